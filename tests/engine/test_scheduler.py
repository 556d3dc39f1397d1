"""The scheduler picks in pre-registered order and never starts what cannot fit."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.execution.trials import TrialRequest
from engine.experiments.base import ArmSpec, TrialSpec
from engine.ratchet.scheduler import (
    DEPTH_PENALTY,
    OVERHEAD_SECONDS_PER_BATCH,
    CostModel,
    FinishedTiming,
    Queued,
    choose,
    plan_seconds,
)
from hypotheses import Hypothesis, parse_hypothesis


def make(
    hid: str, priority: int = 100, estimate: float | None = None, seeds: int = 2
) -> Hypothesis:
    data: dict[str, Any] = {
        "id": hid,
        "title": "t",
        "claim": "c",
        "source": "s",
        "world": "network",
        "experiment": "horizon_curve",
        "priority": priority,
        "arms": {"a": {"proposer": "oracle"}, "b": {"proposer": "null"}},
        "seeds": {"initial": list(range(seeds))},
        "effect": {"metric": "m", "kind": "difference", "treatment": "a", "control": "b"},
        "decision": {"direction": "greater", "threshold": 0.0},
    }
    if estimate is not None:
        data["estimated_trial_seconds"] = estimate
    return parse_hypothesis(data)


def requests(h: Hypothesis) -> list[TrialRequest]:
    out = []
    for arm in sorted(h.arms):
        for seed in h.seeds.initial:
            spec = TrialSpec(
                world=h.world,
                world_config={},
                experiment=h.experiment,
                params={},
                arm=ArmSpec(proposer=h.arms[arm].proposer),
                seed=seed,
            )
            out.append(
                TrialRequest(
                    key=f"{h.id}:{arm}:{seed}",
                    hypothesis_hash=h.content_hash,
                    hypothesis_id=h.id,
                    cell_id="",
                    arm=arm,
                    seed=seed,
                    code_version="test",
                    spec=spec,
                )
            )
    return out


def test_priority_order_and_fit() -> None:
    big = make("H1", priority=1, estimate=100.0)
    small = make("H2", priority=2, estimate=1.0)
    queue = [Queued(small, 1), Queued(big, 0)]
    pending = {h.content_hash: requests(h) for h in (big, small)}
    choice, passed = choose(queue, pending, CostModel(), remaining_seconds=1000.0, workers=1)
    assert choice is not None and choice.queued.hypothesis.id == "H1"
    assert choice.mode == "run" and len(choice.requests) == 4
    # With less time left, the big one is passed over (and said so), the small one runs.
    choice, passed = choose(queue, pending, CostModel(), remaining_seconds=50.0, workers=1)
    assert choice is not None and choice.queued.hypothesis.id == "H2"
    assert [p.hypothesis_id for p in passed] == ["H1"]
    # Nothing fits: nothing is chosen.
    choice, passed = choose(queue, pending, CostModel(), remaining_seconds=2.0, workers=1)
    assert choice is None and len(passed) == 2


def child_of(parent: Hypothesis, lever: str) -> Hypothesis:
    return parse_hypothesis(
        {**parent.canonical(), "id": f"{parent.id}/{lever}", "parent": parent.content_hash}
    )


def test_children_pay_a_depth_penalty_and_promotion_jumps_the_queue() -> None:
    a, b = make("A", priority=5), make("B", priority=5 + DEPTH_PENALTY + 1)
    child = child_of(a, "x")
    assert Queued(child, 0).effective_priority == 5 + DEPTH_PENALTY
    queue = [Queued(b, 1), Queued(child, 0), Queued(a, 0)]
    ordered = [q.hypothesis.id for q in sorted(queue, key=lambda q: q.order)]
    assert ordered == ["A", "A/x", "B"]  # the child's 15 still beats B's 16
    level = make("C", priority=5)
    ordered = [q.hypothesis.id for q in sorted([*queue, Queued(level, 2)], key=lambda q: q.order)]
    assert ordered == ["A", "C", "A/x", "B"]  # a root at the parent's priority goes first
    promoted = [Queued(b, 1, promoted=True), Queued(child, 0)]
    assert sorted(promoted, key=lambda q: q.order)[0].hypothesis.id == "B"


def test_every_root_comes_before_a_chain_deeper_than_one() -> None:
    a = make("A", priority=1)
    grandchild = child_of(child_of(a, "x"), "y")
    last_root = make("Z", priority=10_000)
    ordered = sorted([Queued(grandchild, 0), Queued(last_root, 1)], key=lambda q: q.order)
    assert [q.hypothesis.id for q in ordered] == ["Z", "A/x/y"]


def test_unknown_cost_is_measured_with_one_trial() -> None:
    h = make("H3")
    choice, _ = choose([Queued(h, 0)], {h.content_hash: requests(h)}, CostModel(), 100.0, 1)
    assert choice is not None and choice.mode == "measure" and len(choice.requests) == 1


def test_all_trials_done_means_only_the_verdict_is_left() -> None:
    h = make("H4", estimate=1e6)
    choice, _ = choose([Queued(h, 0)], {h.content_hash: []}, CostModel(), 1.0, 1)
    assert choice is not None and choice.mode == "run" and choice.requests == ()


def test_measured_cost_beats_the_files_guess() -> None:
    h = make("H5", estimate=1000.0)
    req = requests(h)[0]
    costs = CostModel.from_timings(
        [FinishedTiming(h.content_hash, req.arm, h.experiment, "oracle", 2.0)]
    )
    assert costs.estimate(req, h) == 2.0
    other_arm = requests(h)[-1]
    assert costs.estimate(other_arm, h) == 1000.0
    # Same experiment and proposer, other hypothesis: the kind's history is the fallback.
    h2 = make("H6")
    assert costs.estimate(requests(h2)[0], h2) == 2.0
    assert costs.estimate(requests(h2)[-1], h2) is None


@given(
    st.lists(st.lists(st.floats(0.0, 100.0), min_size=1, max_size=5), min_size=1, max_size=6),
    st.integers(1, 8),
)
def test_plan_is_bounded_by_serial_time_and_longest_batch(
    batches: list[list[float]], workers: int
) -> None:
    plan = plan_seconds(batches, workers)
    serial = sum(sum(b) + OVERHEAD_SECONDS_PER_BATCH for b in batches)
    longest = max(sum(b) + OVERHEAD_SECONDS_PER_BATCH for b in batches)
    assert longest - 1e-9 <= plan <= serial + 1e-9
    assert plan_seconds(batches, 1) == pytest.approx(serial)
