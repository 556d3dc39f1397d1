"""Invariant sweep: 48,000 seeded transitions (4 drivers x sizes 5 and 25 x 6 seeds x 1,000
steps) with negative controls, so the checks are shown to catch a corrupted delta.

Per transition: the delta ends with its result and replays to the next state, exit codes are
0/1 (drivers never name unknown hosts), divergence is within its axioms, bits-to-correct is 0
on the true delta; and a deterministically corrupted copy of the delta (an edit dropped, the
result flipped, or a spurious flow added) must both fail delta-exact and replay to a different
state. Every 25th state also round-trips through JSON, and every 100th has its incrementally
carried components checked against a fresh computation.
"""

from __future__ import annotations

from collections import Counter

import pytest

from worlds.network import FlowClose, FlowOpen, NetEdit, NetState, NetworkWorld, SetResult

DRIVERS = ("uniform", "weighted", "adversarial", "traffic")
SIZES = (5, 25)
SEEDS = range(6)
STEPS = 1000


def corrupt(delta: tuple[NetEdit, ...], k: int) -> tuple[NetEdit, ...]:
    result = delta[-1]
    assert isinstance(result, SetResult)
    kind = k % 3
    if kind == 0 and len(delta) > 1:
        i = k % (len(delta) - 1)
        return delta[:i] + delta[i + 1 :]
    if kind == 1 or len(delta) == 1:
        return (*delta[:-1], SetResult(result.exit_code ^ 1))
    return (FlowOpen("h0", "h1", -7), *delta)


def partition(state: NetState) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for host, label in state.components.label.items():
        groups.setdefault(label, set()).add(host)
    return {frozenset(g) for g in groups.values()}


@pytest.fixture(scope="module")
def sweep() -> dict[str, Counter[str]]:
    stats: dict[str, Counter[str]] = {d: Counter() for d in DRIVERS}
    for n in SIZES:
        world = NetworkWorld(hosts=n, ports=3)
        for driver in DRIVERS:
            for seed in SEEDS:
                for i, rec in enumerate(world.trajectory(driver, seed, STEPS)):
                    s, t = rec.state, rec.transition
                    delta = t.delta
                    last = delta[-1]
                    assert isinstance(last, SetResult) and last.exit_code == t.exit_code
                    assert t.exit_code in (0, 1)
                    assert world.apply(s, delta) == t.state
                    assert t.state.last_exit == t.exit_code
                    d = world.divergence(s, t.state)
                    assert 0.0 <= d <= 1.0 and (d == 0.0) == (s == t.state)
                    assert world.bits_to_correct(delta, delta) == 0.0
                    bad = corrupt(delta, i + seed)
                    assert world.bits_to_correct(bad, delta) > 0
                    assert not world.delta_exact(bad, delta)
                    assert world.apply(s, bad) != t.state
                    if i % 25 == 0:
                        assert world.from_json(world.to_json(t.state)) == t.state
                    if i % 100 == 0:
                        fresh = world.from_json(world.to_json(t.state))
                        assert partition(t.state) == partition(fresh)
                    st = stats[driver]
                    st["transitions"] += 1
                    st[f"exit{t.exit_code}"] += 1
                    if rec.action.command == "advance":
                        st["lazy_drops"] += sum(isinstance(e, FlowClose) for e in delta)
                    if any(isinstance(e, FlowOpen) for e in delta):
                        st["opens"] += 1
    return stats


def test_sweep_size_and_coverage(sweep: dict[str, Counter[str]]) -> None:
    assert sum(s["transitions"] for s in sweep.values()) >= 48_000
    for driver, stats in sweep.items():
        assert stats["exit0"] > 0 and stats["exit1"] > 0, driver


def test_traffic_driver_exercises_the_lazy_drop(sweep: dict[str, Counter[str]]) -> None:
    per_1000 = {d: 1000 * s["lazy_drops"] / s["transitions"] for d, s in sweep.items()}
    assert per_1000["traffic"] >= 50
    assert per_1000["traffic"] >= 10 * max(per_1000["weighted"], 1.0)
    assert sweep["traffic"]["opens"] >= 5 * max(sweep["weighted"]["opens"], 1)
