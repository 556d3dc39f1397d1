"""OG1 partition and OG2 negative factory: exact partitions, wrong negatives, oracle branches."""

from __future__ import annotations

import random

import pytest

from worlds.network import NetworkWorld, make_config
from worlds.network.metrics import divergence, facts
from worlds.network.negatives import (
    FlipSpace,
    counterfactual_branches,
    distinct_branches,
    fixed_branch_actions,
    is_hard_negative,
    mine_negatives,
    one_edit_negatives,
    per_command_for,
    world_branch_actions,
)
from worlds.network.oracle import step
from worlds.network.partition import (
    edit_hosts,
    fact_hosts,
    observed_prefix,
    oracle_targets,
)


def _walk(hosts: int, ports: int, seed: int, steps: int) -> list[tuple[object, object]]:
    world = NetworkWorld(hosts=hosts, ports=ports)
    return [(r.state, r.action) for r in world.trajectory("traffic", seed, steps)]


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 1.0])
def test_decidable_and_residual_partition_the_successor_exactly(fraction: float) -> None:
    cfg = make_config(8, 3)
    observed = observed_prefix(cfg.hosts, fraction)
    for state, action in _walk(8, 3, 3, 30):
        t = oracle_targets(state, action, observed)  # type: ignore[arg-type]
        assert t.decidable | t.residual == facts(t.next_state)
        assert not t.decidable & t.residual
        for f in t.decidable:
            assert fact_hosts(f) <= observed
        for f in t.residual:
            assert not fact_hosts(f) <= observed


def test_full_observation_decides_everything_and_empty_only_globals() -> None:
    for state, action in _walk(6, 2, 1, 10):
        full = oracle_targets(state, action, None)  # type: ignore[arg-type]
        assert full.residual == frozenset() and full.decidable == facts(full.next_state)
        empty = oracle_targets(state, action, frozenset())  # type: ignore[arg-type]
        assert {f[0] for f in empty.decidable} == {"\x00clock", "\x00exit"}


def test_observed_prefix_is_at_least_one_host_and_ceil() -> None:
    hosts = tuple(f"h{i}" for i in range(5))
    assert observed_prefix(hosts, 0.0) == {"h0"}
    assert observed_prefix(hosts, 0.5) == {"h0", "h1", "h2"}
    with pytest.raises(ValueError):
        observed_prefix(hosts, 1.5)


def test_divergence_target_is_the_judges_divergence() -> None:
    walk = _walk(6, 3, 2, 20)
    for (state, action), (other, _) in zip(walk, walk[5:], strict=False):
        t = oracle_targets(state, action, frozenset({"h0"}))  # type: ignore[arg-type]
        assert t.divergence_to(other) == divergence(step(state, action).state, other)  # type: ignore[arg-type]
        assert t.divergence_to(t.next_state) == 0.0


def test_edit_hosts_agree_with_fact_hosts_of_the_changed_facts() -> None:
    for state, action in _walk(6, 3, 4, 40):
        tr = step(state, action)  # type: ignore[arg-type]
        changed = facts(state) ^ facts(tr.state)  # type: ignore[arg-type]
        touched = frozenset().union(*(edit_hosts(e) for e in tr.delta))
        assert frozenset().union(*(fact_hosts(f) for f in changed)) <= touched


def test_flip_space_has_upstreams_count_and_every_flip_is_one_fact_away() -> None:
    cfg = make_config(5, 3)
    space = FlipSpace.of(cfg)
    assert len(space) == 110  # 5 + 15 + 20 + 10 + 60
    (state, action), *_ = _walk(5, 3, 0, 1)
    truth = step(state, action).state  # type: ignore[arg-type]
    negatives = one_edit_negatives(truth, cfg)
    assert len(negatives) == 110
    base = facts(truth)
    diffs = [facts(n) ^ base for n in negatives]
    # an up/down toggle replaces one fact by another (2 in the symmetric difference)
    assert all(len(d) in (1, 2) for d in diffs)
    assert len({frozenset(d) for d in diffs}) == 110  # all distinct neighbours
    assert all(is_hard_negative(n, truth) for n in negatives)


def test_flip_space_indexing_matches_a_nested_loop_at_odd_sizes() -> None:
    cfg = make_config(7, 2)
    space = FlipSpace.of(cfg)
    h, p = cfg.hosts, cfg.ports
    expected = (
        [("up", a) for a in h]
        + [("svc", a, q) for a in h for q in p]
        + [("fw", a, b) for a in h for b in h if a != b]
        + [("link", a, b) for i, a in enumerate(h) for b in h[i + 1 :]]
        + [("flow", a, b, q) for a in h for b in h if a != b for q in p]
    )
    state = NetworkWorld(hosts=7, ports=2).initial_state()
    got = []
    for i in range(len(space)):
        e = space.edit(state, i)
        fields = tuple(getattr(e, f) for f in e.__slots__)  # type: ignore[attr-defined]
        kind = {"host_down": "up", "svc_up": "svc", "fw_deny": "fw", "link_add": "link"}
        got.append((kind.get(e.op, "flow"), *fields))
    assert got == expected
    with pytest.raises(IndexError):
        space.edit(state, len(space))


def test_sampled_negatives_are_deterministic_bounded_and_wrong() -> None:
    cfg = make_config(40, 5)
    (state, action), *_ = _walk(40, 5, 1, 1)
    truth = step(state, action).state  # type: ignore[arg-type]
    a = one_edit_negatives(truth, cfg, 12, random.Random(7))
    b = one_edit_negatives(truth, cfg, 12, random.Random(7))
    c = one_edit_negatives(truth, cfg, 12, random.Random(8))
    assert a == b and a != c and len(a) == 12
    assert all(n != truth for n in a)
    assert one_edit_negatives(truth, cfg, 3) == one_edit_negatives(truth, cfg)[:3]


def test_branch_successors_are_the_oracles_and_negatives_are_wrong() -> None:
    cfg = make_config(30, 3)
    rng = random.Random(0)
    for state, action in _walk(30, 3, 5, 15):
        truth = step(state, action).state  # type: ignore[arg-type]
        actions = world_branch_actions(state, cfg, rng, per_command_for(30))  # type: ignore[arg-type]
        assert len(actions) == 10 * 2 + 1
        branches = counterfactual_branches(state, actions)  # type: ignore[arg-type]
        for a, succ in branches:
            assert succ == step(state, a).state  # type: ignore[arg-type]
        kept = distinct_branches(branches)
        assert len({s for _, s in kept}) == len(kept)
        negs = mine_negatives(truth, branches, cfg, 16, random.Random(1))
        assert len(negs) == 16 and all(is_hard_negative(n, truth) for n in negs)


def test_fixed_branches_are_upstreams_eleven_and_world_branches_grow() -> None:
    cfg = make_config(5, 3)
    texts = [a.text for a in fixed_branch_actions(cfg)]
    assert texts[0] == "host_up h0" and texts[-1] == "advance" and len(texts) == 11
    assert "connect h0 h1 22" in texts
    assert per_command_for(5) == 1 and per_command_for(100) == 4 and per_command_for(300) == 12
    state = NetworkWorld(hosts=100, ports=3).initial_state()
    grown = world_branch_actions(state, make_config(100, 3), random.Random(0), 4)
    assert len(grown) == 41
    assert len({a.args[0] for a in grown if a.args}) > 2  # spread over hosts, not h0/h1
