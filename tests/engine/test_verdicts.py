"""Verdicts from trials (complete cells only) and the family correction's one-way effect."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.judging.verdicts import (
    FamilyMember,
    TrialResult,
    correct_family,
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
    assert gaps == [] and [v.outcome for v in first] == ["confirmed"]
    assert first == again  # the CI is seeded from the content hash: same trials, same CI
    assert first[0].n == 4 and first[0].seeds == (0, 1, 2, 3)


def test_incomplete_or_failed_cells_get_no_verdict() -> None:
    h = make(grid={"rho": [0.0, 1.0]})
    rs = results("rho=0.0", [1.0] * 4, [0.0] * 4) + results("rho=1.0", [1.0] * 3, [0.0] * 4)
    verdicts, gaps = judge(h, rs)
    assert [v.cell_id for v in verdicts] == ["rho=0.0"]
    assert verdicts[0].degenerate and verdicts[0].ci_low == verdicts[0].ci_high == 1.0
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


outcome = st.sampled_from(["confirmed", "refuted", "inconclusive"])


@given(
    st.lists(
        st.tuples(outcome, st.floats(0.0, 1.0), st.sampled_from(["all", "other"])),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["holm", "bh"]),
)
def test_correction_only_ever_takes_a_confirmation_away(
    members: list[tuple[str, float, str]], method: str
) -> None:
    family = [FamilyMember(i, fam, o, p, 0.05) for i, (o, p, fam) in enumerate(members)]
    adjusted = {a.verdict_id: a for a in correct_family(family, method)}
    assert set(adjusted) == {m.verdict_id for m in family}
    for m in family:
        a = adjusted[m.verdict_id]
        assert a.adjusted_p >= m.p_value - 1e-12
        if m.outcome != "confirmed":
            assert a.adjusted_outcome == m.outcome
        else:
            assert a.adjusted_outcome in ("confirmed", "inconclusive")
            assert (a.adjusted_outcome == "confirmed") == (a.adjusted_p <= 0.05)


def test_unknown_correction_is_refused() -> None:
    from engine.judging.stats import StatsError

    with pytest.raises(StatsError):
        correct_family([], "bonferroni")
