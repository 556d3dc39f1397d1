"""The incremental connected components against a fresh BFS, on shapes that stress splitting.

Hypothesis (test_net_properties) covers small arbitrary graphs; here larger graphs are driven
through thousands of random link and host edits, plus the shapes where a split search does
the most work: a star whose hub goes down, a path cut in the middle, a cycle cut twice.
"""

from __future__ import annotations

import random

import pytest

from worlds.network import HostDown, HostUp, LinkAdd, LinkDel, NetEdit, NetState, NetworkWorld
from worlds.network.components import build_components

world = NetworkWorld()


def partition(state: NetState) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for host, label in state.components.label.items():
        groups.setdefault(label, set()).add(host)
    return {frozenset(g) for g in groups.values()}


def fresh_partition(state: NetState) -> set[frozenset[str]]:
    comp = build_components({h: hs.up for h, hs in state.hosts.items()}, {
        h: state.neighbours(h) for h in {x for link in state.links for x in link}
    })  # fmt: skip
    groups: dict[int, set[str]] = {}
    for host, label in comp.label.items():
        groups.setdefault(label, set()).add(host)
    return {frozenset(g) for g in groups.values()}


def start(n: int) -> NetState:
    return NetState.initial(f"h{i}" for i in range(n))


def test_star_hub_down_isolates_every_leaf() -> None:
    s = world.apply(start(40), [LinkAdd("h0", f"h{i}") for i in range(1, 40)])
    assert len(partition(s)) == 1
    s = world.apply(s, [HostDown("h0")])
    assert partition(s) == {frozenset({f"h{i}"}) for i in range(1, 40)}
    s = world.apply(s, [HostUp("h0")])
    assert len(partition(s)) == 1


def test_path_cut_in_the_middle_and_cycle_cut_twice() -> None:
    path = world.apply(start(50), [LinkAdd(f"h{i}", f"h{i + 1}") for i in range(49)])
    cut = world.apply(path, [LinkDel("h24", "h25")])
    assert partition(cut) == {
        frozenset(f"h{i}" for i in range(25)),
        frozenset(f"h{i}" for i in range(25, 50)),
    }
    ring = world.apply(path, [LinkAdd("h49", "h0")])
    once = world.apply(ring, [LinkDel("h10", "h11")])
    assert len(partition(once)) == 1
    twice = world.apply(once, [HostDown("h30")])
    assert partition(twice) == {
        frozenset(f"h{i}" for i in range(11, 30)),
        frozenset([*(f"h{i}" for i in range(31, 50)), *(f"h{i}" for i in range(11))]),
    }


@pytest.mark.parametrize("seed", range(4))
def test_random_edit_storm_matches_a_fresh_bfs(seed: int) -> None:
    rng = random.Random(seed)
    names = [f"h{i}" for i in range(30)] + ["ghost"]  # one host that only apply can create
    s = start(30)
    for i in range(1500):
        a, b = rng.choice(names), rng.choice(names)
        kind = rng.random()
        edit: NetEdit
        if kind < 0.45:
            edit = LinkAdd(a, b)
        elif kind < 0.75:
            links = sorted(s.links)
            edit = LinkDel(*rng.choice(links)) if links else LinkDel(a, b)
        elif kind < 0.88:
            edit = HostDown(a)
        else:
            edit = HostUp(a)
        s = world.apply(s, [edit])
        if i % 10 == 0:
            assert partition(s) == fresh_partition(s), (seed, i, edit)
    assert partition(s) == fresh_partition(s)
