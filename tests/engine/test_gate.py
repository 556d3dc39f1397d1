"""The competence gate: a cell whose model misses the pre-registered bound gets no verdict,
and the reason says "not competent" (a finding about the model, never a refutation)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.experiments.catalog import build_catalog
from engine.judging.gate import gate_failure
from engine.judging.verdicts import TrialResult, judge
from hypotheses import Hypothesis, HypothesisError, parse_hypothesis


def gated(threshold: float = 0.5, arms: list[str] | None = None, **extra: Any) -> Hypothesis:
    gate: dict[str, Any] = {
        "metric": "competence_delta_exact",
        "threshold": threshold,
        "why": "K2: a knee is judged only on a competent model",
    }
    if arms is not None:
        gate["arms"] = arms
    data: dict[str, Any] = {
        "id": "G",
        "title": "t",
        "claim": "c",
        "source": "seed K2",
        "world": "filesystem",
        "experiment": "horizon_curve",
        "params": {"competence": True},
        "grid": {"rho": [0.1, 0.2]},
        "arms": {"flat": {"proposer": "oracle"}},
        "seeds": {"initial": [0, 1, 2, 3]},
        "effect": {"metric": "normalized_horizon", "kind": "value", "treatment": "flat"},
        "decision": {"direction": "greater", "threshold": 0.5},
        "gate": gate,
        **extra,
    }
    return parse_hypothesis(data, catalog=build_catalog())


def trials(cell: str, horizon: list[float], competence: list[float]) -> list[TrialResult]:
    return [
        TrialResult(cell, "flat", s, {"normalized_horizon": h, "competence_delta_exact": c})
        for s, (h, c) in enumerate(zip(horizon, competence, strict=True))
    ]


def test_an_incompetent_model_gets_no_verdict_and_says_why() -> None:
    h = gated()
    rs = trials("rho=0.1", [0.1, 0.2, 0.1, 0.2], [0.3, 0.4, 0.2, 0.3]) + trials(
        "rho=0.2", [0.9, 0.8, 0.9, 0.8], [0.9, 0.8, 0.9, 0.7]
    )
    verdicts, gaps = judge(h, rs)
    # the incompetent cell would have been refuted (horizon far below 0.5): it is not
    # (the competent cell is judged: every seed above 0.5, so p is the 4-seed floor 2^-4)
    assert [v.cell_id for v in verdicts] == ["rho=0.2"] and verdicts[0].p_value == 2.0**-4
    assert [g.cell_id for g in gaps] == ["rho=0.1"]
    assert gaps[0].reason.startswith("not competent in cell rho=0.1")
    assert "mean competence_delta_exact 0.300 over 4 seeds, gate needs > 0.5" in gaps[0].reason


def test_the_bound_is_strict_and_a_missing_metric_fails() -> None:
    h = gated()
    at_bound = [(s, {"competence_delta_exact": 0.5}) for s in range(4)]
    assert gate_failure(h, "", [("flat", s, m) for s, m in at_bound]) is not None
    above = [("flat", s, {"competence_delta_exact": 0.51}) for s in range(4)]
    assert gate_failure(h, "", above) is None
    unmeasured = [("flat", s, {"normalized_horizon": 1.0}) for s in range(4)]
    reason = gate_failure(h, "", unmeasured)
    assert reason is not None and "nan" in reason
    assert gate_failure(h, "", [("flat", 9, {"competence_delta_exact": 0.0}), *above]) is None


def test_the_gate_is_validated_when_the_file_loads() -> None:
    with pytest.raises(HypothesisError, match=r"gate\.arms"):
        gated(arms=["nope"])
    with pytest.raises(HypothesisError, match=r"gate\.metric"):
        parse_hypothesis(
            {**gated().canonical(), "gate": {"metric": "no_such", "threshold": 0.5, "why": "w"}},
            catalog=build_catalog(),
        )


def test_a_file_without_a_gate_keeps_its_hash() -> None:
    h = gated()
    plain = parse_hypothesis({k: v for k, v in h.canonical().items() if k != "gate"})
    assert "gate" not in plain.canonical() and plain.gated_arms == ()
    assert h.gated_arms == ("flat",) and h.content_hash != plain.content_hash


def test_horizon_curve_measures_competence_only_when_asked() -> None:
    from engine.experiments.base import ArmSpec, TrialSpec
    from engine.experiments.horizon_curve import HorizonCurve

    def spec(competence: bool, proposer: str) -> TrialSpec:
        params = {"steps": 8, "rho": 0.0, "competence": competence}
        return TrialSpec("filesystem", {}, "horizon_curve", params, ArmSpec(proposer, {}, {}), 0)

    kind = HorizonCurve()
    assert "competence_delta_exact" not in kind.run(spec(False, "oracle"))
    assert kind.run(spec(True, "oracle"))["competence_delta_exact"] == 1.0
    assert kind.run(spec(True, "null"))["competence_delta_exact"] < 1.0
