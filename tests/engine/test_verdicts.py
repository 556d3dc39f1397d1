"""Verdicts from trials (complete cells only) and the family correction's one-way effect."""

from __future__ import annotations

from typing import Any

import pytest

from engine.judging.families import SANITY_CORRECTION, plan_families
from engine.judging.stats import StatsError
from engine.judging.verdicts import (
    TrialResult,
    adjust_family,
    cell_evidence,
    judge,
    summary_line,
)
from hypotheses import Hypothesis, parse_hypothesis


def make(grid: dict[str, list[Any]] | None = None, kind: str = "difference") -> Hypothesis:
    data: dict[str, Any] = {
        "id": "V",
        "title": "t",
        "claim": "c",
        "source": "s",
        "world": "network",
        "experiment": "horizon_curve",
        "arms": {"t": {"proposer": "oracle"}, "c": {"proposer": "null"}},
        "seeds": {"initial": [0, 1, 2, 3]},
        "effect": {"metric": "h", "kind": kind, "treatment": "t", "control": "c"},
        "decision": {"direction": "greater", "threshold": 0.0},
    }
    if grid:
        data["grid"] = grid
    return parse_hypothesis(data)


def results(cell: str, t: list[float], c: list[float]) -> list[TrialResult]:
    return [TrialResult(cell, "t", s, {"h": v}) for s, v in enumerate(t)] + [
        TrialResult(cell, "c", s, {"h": v}) for s, v in enumerate(c)
    ]


def test_planted_difference_is_confirmed_and_reproducible() -> None:
    h = make()
    rs = results("", [5.0, 6.0, 7.0, 8.0], [0.0, 0.0, 1.0, 0.0])
    first, gaps = judge(h, rs)
    again, _ = judge(h, list(reversed(rs)))
    # 4 seeds: the exact test's floor 2^-4 = 0.0625 is above 0.05, so no decision is possible
    # (a file like this is refused at load time); 5 seeds can decide.
    assert gaps == [] and [v.outcome for v in first] == ["inconclusive"]
    assert first[0].p_value == 2.0**-4 and first[0].ci_low is None
    assert first == again  # the CI is seeded from the content hash: same trials, same CI
    assert first[0].n == 4 and first[0].seeds == (0, 1, 2, 3)


def test_incomplete_or_failed_cells_get_no_verdict() -> None:
    h = make(grid={"rho": [0.0, 1.0]})
    rs = results("rho=0.0", [1.0] * 4, [0.0] * 4) + results("rho=1.0", [1.0] * 3, [0.0] * 4)
    verdicts, gaps = judge(h, rs)
    assert [v.cell_id for v in verdicts] == ["rho=0.0"]
    assert verdicts[0].degenerate and verdicts[0].estimate == 1.0
    assert gaps[0].cell_id == "rho=1.0" and "t seeds [3]" in gaps[0].reason


def test_a_missing_metric_is_reported_not_crashed() -> None:
    h = make()
    rs = [TrialResult("", arm, s, {"other": 1.0}) for arm in ("t", "c") for s in range(4)]
    verdicts, gaps = judge(h, rs)
    assert verdicts == [] and "no metric 'h'" in gaps[0].reason


def test_summary_line() -> None:
    assert summary_line(["refuted"]) == "refuted"
    assert summary_line(["confirmed", "confirmed", "refuted"]) == (
        "confirmed in 2 of 3 cells; refuted in 1 of 3 cells"
    )
    assert summary_line([]) == "no verdict"


def test_a_version_alone_in_its_family_is_adjusted_when_judged() -> None:
    h = make(grid={"rho": [0.0, 1.0]})
    rs = results("rho=0.0", [1.0] * 4, [0.0] * 4) + results("rho=1.0", [1.0] * 4, [0.0] * 4)
    verdicts, gaps = judge(h, rs)
    assert gaps == []
    for v in verdicts:
        # Raw: p = 2^-4 = 0.0625 > 0.05, so even the raw test cannot confirm with 4 seeds.
        assert v.outcome == "inconclusive" and v.adjusted_outcome == "inconclusive"
        assert v.correction == "holm over 2 (V)" and v.family is not None
        assert v.adjusted_alpha is not None and v.adjusted_alpha <= v.alpha == pytest.approx(0.05)
    # An incomplete cell: raw verdicts only, nothing adjusted (the family is not complete).
    partial, gaps = judge(h, rs[:-1])
    assert gaps and all(v.adjusted_outcome is None for v in partial)


def test_the_adjusted_outcome_is_the_one_at_the_family_level() -> None:
    """Seven seeds, one slightly negative, in each of six cells: raw p = 2/128 confirms at
    0.05, but Holm's first step asks for 0.05 / 6, so every adjusted outcome is inconclusive,
    and the adjusted interval (at that level) reaches below the threshold."""
    h = make(grid={"rho": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]})
    h = h.model_copy(update={"seeds": h.seeds.model_copy(update={"initial": tuple(range(7))})})
    t = [1.0, 1.2, 0.9, 1.1, 1.0, 1.3, -0.01]
    rs = [r for cell in h.cells() for r in results(cell.cell_id, t, [0.0] * 7)]
    verdicts, _ = judge(h, rs)
    assert len(verdicts) == 6
    for v in verdicts:
        assert v.p_value == pytest.approx(2 / 128)
        assert v.outcome == "confirmed" and v.ci_low is not None and v.ci_low > 0
        assert v.adjusted_outcome == "inconclusive" and v.decisive == "inconclusive"
        assert v.adjusted_alpha == pytest.approx(0.05 / 6)
        assert v.adjusted_ci_low is not None and v.adjusted_ci_low <= 0.0
        assert v.adjusted_p == pytest.approx(6 * 2 / 128)


def test_a_sanity_check_stays_outside_every_family() -> None:
    h = make().model_copy(update={"tags": ("sanity",)})
    h = h.model_copy(update={"seeds": h.seeds.model_copy(update={"initial": tuple(range(5))})})
    verdicts, _ = judge(h, results("", [5.0, 6.0, 7.0, 8.0, 9.0], [0.0] * 5))
    (v,) = verdicts
    assert v.family is None and v.correction == SANITY_CORRECTION
    assert v.adjusted_outcome == v.outcome == "confirmed" and v.adjusted_alpha == v.alpha


def test_a_shared_family_is_adjusted_only_whole() -> None:
    a, b = make(), make().model_copy(update={"id": "W"})
    a = a.model_copy(update={"decision": a.decision.model_copy(update={"family": "F"})})
    b = b.model_copy(update={"decision": b.decision.model_copy(update={"family": "F"})})
    plans = plan_families([a, b], "holm")
    plan = plans[a.content_hash]
    assert plans[b.content_hash] == plan and plan.size == 2 and plan.name == "F"
    assert plan.members == tuple(sorted([a.content_hash, b.content_hash]))
    ev_a, _ = cell_evidence(a, results("", [1.0] * 4, [0.0] * 4))
    raw_a, _ = judge(a, results("", [1.0] * 4, [0.0] * 4), plan)
    assert raw_a[0].adjusted_outcome is None  # a member alone does not complete the family
    with pytest.raises(StatsError, match="2 tests, 1 verdicts"):
        adjust_family(plan, {a.content_hash: (a, ev_a)}, raw_a)


def test_unknown_correction_is_refused() -> None:
    with pytest.raises(StatsError):
        plan_families([], "bonferroni")
