"""Trend rules: the slope across cells, its paired bootstrap CI, normalisation and validation."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from engine.judging.trends import judge_trends
from engine.judging.verdicts import TrialResult
from hypotheses import Hypothesis

DOC: dict[str, Any] = {
    "id": "T",
    "title": "t",
    "claim": "c",
    "source": "seed",
    "world": "network",
    "experiment": "jepa_collapse",
    "grid": {"world_config.hosts": [25, 50, 100, 200], "arms.*.params.d_model": [64, 128]},
    "arms": {"o": {"proposer": "graph_rssm"}, "l": {"proposer": "graph_rssm"}},
    "seeds": {"initial": [0, 1, 2, 3, 4]},
    "effect": {"metric": "eff_rank", "kind": "difference", "treatment": "o", "control": "l"},
    "decision": {"direction": "greater", "threshold": 0.0},
    "trends": [
        {
            "id": "stable",
            "axis": "world_config.hosts",
            "scale": "log",
            "normalise_by": "arms.*.params.d_model",
            "direction": "greater",
            "threshold": -0.005,
            "why": "S1: stable or growing with N",
        }
    ],
}


def _results(h: Hypothesis, gap: Any) -> list[TrialResult]:
    """Control 10 everywhere; treatment 10 + gap(hosts, d, seed)."""
    out = []
    for cell in h.cells():
        n, d = cell.values["world_config.hosts"], cell.values["arms.*.params.d_model"]
        for s in h.seeds.initial:
            out.append(TrialResult(cell.cell_id, "l", s, {"eff_rank": 10.0}))
            out.append(TrialResult(cell.cell_id, "o", s, {"eff_rank": 10.0 + gap(n, d, s)}))
    return out


def test_a_decaying_normalised_gap_is_refuted_and_a_flat_one_confirmed() -> None:
    h = Hypothesis.model_validate(DOC)
    # upstream-like: the rank gap falls ~halving per doubling of N, with seed noise
    decaying = judge_trends(h, _results(h, lambda n, d, s: 0.1 * d * 25 / n + 0.01 * s))
    assert {v.group for v in decaying} == {"arms.*.params.d_model=64", "arms.*.params.d_model=128"}
    assert all(v.outcome == "refuted" and v.ci_high < -0.005 for v in decaying)
    flat = judge_trends(h, _results(h, lambda n, d, s: 0.1 * d + 0.3 * s))
    assert all(v.outcome == "confirmed" for v in flat)
    # normalised by d_model: cell means are 0.1 + 0.6 / d in each group
    for v in flat:
        d = 64 if v.group.endswith("=64") else 128
        assert v.means == pytest.approx((0.1 + 0.6 / d,) * 4)


def test_slope_matches_least_squares_on_cell_means_and_replays() -> None:
    h = Hypothesis.model_validate(DOC)
    results = _results(h, lambda n, d, s: d * (0.2 - 0.01 * (n / 25)) + (s - 2))
    (first, *_) = judge_trends(h, results)
    import numpy as np

    xs = np.log2([25, 50, 100, 200])
    means = np.asarray(first.means)
    expected = np.polyfit(xs, means, 1)[0]
    assert first.slope == pytest.approx(expected)
    assert judge_trends(h, results) == judge_trends(h, results)


def test_incomplete_groups_get_no_trend_verdict() -> None:
    h = Hypothesis.model_validate(DOC)
    dropped = "arms.*.params.d_model=64,"
    results = [
        r
        for r in _results(h, lambda n, d, s: 1.0 + s)
        if not (r.cell_id.startswith(dropped) and r.seed == 0)
    ]
    assert [v.group for v in judge_trends(h, results)] == ["arms.*.params.d_model=128"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"axis": "hosts"}, "is not a grid axis"),
        ({"normalise_by": "world_config.hosts"}, "must differ"),
        ({"id": "a/b"}, "trend id"),
    ],
)
def test_bad_trends_are_refused(change: dict[str, Any], message: str) -> None:
    doc = copy.deepcopy(DOC)
    doc["trends"][0].update(change)
    with pytest.raises(ValidationError, match=message):
        Hypothesis.model_validate(doc)


def test_files_without_trends_keep_their_hash() -> None:
    doc = copy.deepcopy(DOC)
    del doc["trends"]
    assert "trends" not in Hypothesis.model_validate(doc).canonical()
