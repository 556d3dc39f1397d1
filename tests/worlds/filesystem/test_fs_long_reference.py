"""The persistent state representation against a naive reference, on long random trajectories.

The reference is `fsw_reference`'s plain-dict state with its one generic `apply_edits` (no
sharing, no index, no lineage, no caching). Every oracle delta of a long trajectory is replayed
on it, and the world's state must match it step after step: the insertion order the drivers
see, the canonical JSON byte for byte, hash and equality against a state rebuilt from that JSON
(nothing shared), `apply(s, delta) == step(s, a).state`, the fact set, and divergence, both
between arbitrary states of the trajectory and along a coupled "model" chain that drifts from
the truth and is sometimes corrected (the engine loop's pattern, which exercises the
remembered diffs of `tree.diff`).

Each test runs in three forms: the default small/large thresholds (trajectories cross them
both ways), every tree large (the HAMT form from the first edit), and every tree small.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import fsw_reference as ref
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import worlds.filesystem.tree as tree_module
from worlds.filesystem import (
    Chmod,
    Create,
    Delete,
    Dir,
    File,
    FilesystemWorld,
    FsState,
    Modify,
    Move,
    SetEnv,
)

WORLD = FilesystemWorld()
FORMS = {"default": None, "large": (0, 0), "small": (10**9, 10**9)}
DRIVERS = ("weighted", "adversarial", "structural", "uniform")


@contextmanager
def form(name: str) -> Iterator[None]:
    """Run with the given small/large thresholds (restored afterwards)."""
    limits = FORMS[name]
    saved = (tree_module.SMALL_MAX, tree_module.SMALL_MIN)
    if limits is not None:
        tree_module.SMALL_MAX, tree_module.SMALL_MIN = limits
    try:
        yield
    finally:
        tree_module.SMALL_MAX, tree_module.SMALL_MIN = saved


def naive_facts(s: ref.State) -> frozenset[tuple[Any, ...]]:
    out: set[tuple[Any, ...]] = set()
    for path, node in s["fs"].items():
        if node["type"] == "file":
            out.add((path, "file", ref.sha(node["content"]), node["mode"]))
        else:
            out.add((path, "dir", "", node["mode"]))
    out.add(("\0cwd", s["cwd"]))
    out.update(("\0env", k, v) for k, v in s["env"].items())
    out.add(("\0exit", s["last"]["exit_code"]))
    out.add(("\0stdout", s["last"]["stdout_hash"]))
    return frozenset(out)


def naive_divergence(a: ref.State, b: ref.State) -> float:
    fa = naive_facts(a)
    fb = naive_facts(b)
    return len(fa ^ fb) / (len(fa) + len(fb))


def replay(state: FsState, delta: tuple[Any, ...], naive: ref.State) -> ref.State:
    return ref.apply_edits(naive, WORLD.delta_to_dicts(delta))


def check_same(state: FsState, naive: ref.State, full: bool) -> None:
    assert list(state.fs) == list(naive["fs"])  # insertion order, as the drivers see it
    if full:
        text = WORLD.to_json(state)
        assert text == ref.canonical_json(naive)
        rebuilt = WORLD.from_json(text)
        assert rebuilt == state and state == rebuilt
        assert hash(rebuilt) == hash(state)
        assert WORLD.facts(state) == naive_facts(naive)


def wild_edit(rng: random.Random, state: FsState) -> Any:
    """A plausible wrong edit a model might emit, on the paths `state` holds."""
    paths = list(state.fs) or ["/"]
    p = rng.choice(paths)
    q = rng.choice(paths)
    name = rng.choice("abcxyz")
    kind = rng.randrange(7)
    if kind == 0:
        return Create(("" if p == "/" else p) + "/" + name, File(rng.choice(["alpha", "beta"])))
    if kind == 1:
        return Create(("" if q == "/" else q) + "/" + name + "/" + name, Dir())  # an orphan
    if kind == 2:
        return Delete(p)
    if kind == 3:
        return Move(p, ("" if q == "/" else q) + "/" + name)
    if kind == 4:
        return Modify(p, "gamma")
    if kind == 5:
        return Chmod(p, rng.choice([0o700, 0o644, 0o755]))
    return SetEnv(rng.choice(["K", "HOME"]), name)


long_runs = st.tuples(st.sampled_from(DRIVERS), st.integers(0, 10**6), st.integers(120, 320))


@pytest.mark.parametrize("name", list(FORMS))
@settings(max_examples=6, deadline=None)
@given(run=long_runs)
def test_long_trajectory_matches_the_naive_reference(name: str, run: tuple[str, int, int]) -> None:
    driver, seed, steps = run
    with form(name):
        records = WORLD.trajectory(driver, seed, steps)
        naive = ref.new_state()
        states = [WORLD.initial_state()]
        naives = [naive]
        for t, record in enumerate(records):
            delta = record.transition.delta
            nxt = record.transition.state
            naive = replay(record.state, delta, naive)
            replayed = WORLD.apply(record.state, delta)
            assert replayed == nxt and hash(replayed) == hash(nxt)
            assert list(replayed.fs) == list(nxt.fs)
            check_same(nxt, naive, full=t % 9 == 0 or t == len(records) - 1)
            states.append(nxt)
            naives.append(naive)
        rng = random.Random(seed)
        for _ in range(40):  # arbitrary pairs: mostly unrelated trees
            i = rng.randrange(len(states))
            j = rng.randrange(len(states))
            expected = naive_divergence(naives[i], naives[j])
            assert WORLD.divergence(states[i], states[j]) == expected
            assert WORLD.divergence(states[j], states[i]) == expected
            assert (states[i] == states[j]) == (naives[i] == naives[j])
        for t in range(0, len(records), 5):  # a state and its successor: lineage
            expected = naive_divergence(naives[t], naives[t + 1])
            assert WORLD.divergence(states[t], states[t + 1]) == expected


@pytest.mark.parametrize("name", list(FORMS))
@settings(max_examples=6, deadline=None)
@given(run=long_runs, p_wrong=st.floats(0.05, 0.6), p_consult=st.floats(0.0, 0.3))
def test_coupled_chain_divergence_matches_the_naive_reference(
    name: str, run: tuple[str, int, int], p_wrong: float, p_consult: float
) -> None:
    """The loop's pattern: divergence(truth[t], model[t]) step after step, where the model
    applies the true delta, a corrupted one, or is corrected by the oracle."""
    driver, seed, steps = run
    with form(name):
        records = WORLD.trajectory(driver, seed, steps)
        rng = random.Random(seed ^ 0x5EED)
        model = WORLD.initial_state()
        naive_model = ref.new_state()
        naive_truth = ref.new_state()
        for record in records:
            naive_truth = replay(record.state, record.transition.delta, naive_truth)
            roll = rng.random()
            if roll < p_consult:
                consulted = WORLD.step(model, record.action)
                model = consulted.state
                naive_model = replay(model, consulted.delta, naive_model)
            else:
                delta = list(record.transition.delta)
                if roll < p_consult + p_wrong:
                    if delta and rng.random() < 0.3:
                        delta.pop(rng.randrange(len(delta)))
                    delta.extend(wild_edit(rng, model) for _ in range(rng.randrange(1, 3)))
                model = WORLD.apply(model, tuple(delta))
                naive_model = ref.apply_edits(naive_model, WORLD.delta_to_dicts(tuple(delta)))
            truth = record.transition.state
            expected = naive_divergence(naive_truth, naive_model)
            assert WORLD.divergence(truth, model) == expected
            assert WORLD.divergence(model, truth) == expected
            assert (truth == model) == (expected == 0.0)
            assert list(model.fs) == list(naive_model["fs"])
        check_same(model, naive_model, full=True)


def test_crossing_the_small_large_thresholds_both_ways() -> None:
    """Grow past SMALL_MAX (large form), then remove and move subtrees until below SMALL_MIN
    (small form again), checking the reference at every step."""
    if tree_module.SMALL_MAX < 8:
        pytest.skip("thresholds patched below what this scenario crosses")
    records = WORLD.trajectory("structural", 3, 2 * tree_module.SMALL_MAX)
    state = records[-1].transition.state
    assert state._tree.kids is not None  # it did grow into the large form
    naive = ref.state_from_canonical(json.loads(WORLD.to_json(state)))
    naive["fs"] = {p: naive["fs"][p] for p in state.fs}  # the world's insertion order
    tops = sorted(p for p in state.fs if p.count("/") == 1 and p != "/")
    texts = [f"mv {tops[0]} {tops[1]}/moved", f"cp -r {tops[1]} /copy", "ls /", "rmdir /copy"]
    texts += [f"rm -r {p}" for p in [*tops[1:], "/copy"]]
    for text in texts:
        t = WORLD.step(state, WORLD.parse_action(text))
        naive = replay(state, t.delta, naive)
        assert WORLD.apply(state, t.delta) == t.state
        state = t.state
        check_same(state, naive, full=True)
    assert len(state) < tree_module.SMALL_MIN and state._tree.kids is None


@pytest.mark.parametrize("name", list(FORMS))
def test_moving_and_removing_leaves_among_orphans_matches_the_seed(name: str) -> None:
    """`mv` of a file or an empty directory and `rm -r` of one take a one-edit path on a large
    tree; among orphans (a path whose parent is missing, a file with paths below it) every
    virtual prefix they leave or need must come and go exactly as the seed's dict says."""
    with form(name):
        naive = ref.new_state()
        fs = naive["fs"]
        fs["/d"] = {"type": "dir", "mode": 0o755}
        fs["/d/e"] = {"type": "dir", "mode": 0o755}
        for i in range(12):
            fs[f"/d/f{i}"] = {"type": "file", "content": f"t{i}", "mode": 0o644}
        fs["/x/y/lone"] = {"type": "file", "content": "orphan", "mode": 0o644}
        fs["/x/z"] = {"type": "file", "content": "orphan too", "mode": 0o600}
        fs["/d/f3/under"] = {"type": "file", "content": "below a file", "mode": 0o644}
        state = WORLD.from_json(ref.canonical_json(naive))
        naive["fs"] = {p: naive["fs"][p] for p in state.fs}  # the world's insertion order
        texts = [
            "mv /x/y/lone /d",  # an orphan leaf: its missing parents are unhung
            "mv /d/f1 /d/e/f1",
            "mv /d/e/f1 /top",
            "mv /d/f3 /f3",  # a file with a path below it: the subtree path
            "mv /x/z /d/e",
            "rm -r /d/e/z",
            "rm -r /d/f5",
            "rm -r /x",  # nothing hangs under /x any more: fails, as in the seed
            "mkdir /d/empty",
            "mv /d/empty /d/e",
            "rm -r /d/e",
            "rm -r /f3",
        ]
        for text in texts:
            t = WORLD.step(state, WORLD.parse_action(text))
            naive, delta, code, _ = ref.oracle_step(naive, text)
            assert WORLD.delta_to_dicts(t.delta) == delta, text
            assert t.exit_code == code, text
            assert WORLD.apply(state, t.delta) == t.state
            assert WORLD.divergence(state, t.state) == naive_divergence(
                ref.state_from_canonical(json.loads(WORLD.to_json(state))), naive
            )
            state = t.state
            check_same(state, naive, full=True)
