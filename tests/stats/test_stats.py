"""Verdict statistics: intervals, degenerate data, the decision rule, p-values, corrections."""

from __future__ import annotations

import itertools
import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.judging import stats
from engine.judging.stats import StatsError

finite = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0.5, max_value=100, allow_nan=False, allow_infinity=False)
FAST = 999  # resamples in property tests: enough for coverage of the code paths, fast


def test_difference_ci_is_paired_and_contains_the_estimate() -> None:
    t = [3.0, 4.0, 5.0, 6.0, 7.0, 5.0, 4.0, 6.0]
    c = [1.0, 2.5, 3.0, 4.0, 5.5, 3.0, 2.0, 4.5]
    est = stats.estimate_effect("difference", t, c, seed="abc")
    assert est.estimate == pytest.approx(sum(a - b for a, b in zip(t, c, strict=True)) / 8)
    assert est.low <= est.estimate <= est.high
    assert est.method in ("BCa", "percentile")
    assert est.n == 8 and not est.degenerate and est.n_resamples == stats.DEFAULT_RESAMPLES
    # Every per-seed difference is > 0, so the paired CI is strictly positive.
    assert est.low > 0


def test_ci_is_reproducible_from_the_seed_text() -> None:
    t = [0.1, 0.5, 0.2, 0.9, 0.4]
    a = stats.estimate_effect("value", t, seed="hash-1")
    b = stats.estimate_effect("value", t, seed="hash-1")
    other = stats.estimate_effect("value", t, seed="hash-2")
    assert a == b
    assert (a.low, a.high) != (other.low, other.high)


def test_ratio_is_a_ratio_of_means() -> None:
    t = [2.0, 4.0, 6.0, 9.0]
    c = [1.0, 0.0, 3.0, 4.0]  # one zero control seed: the ratio of means is still defined
    est = stats.estimate_effect("ratio", t, c, seed=1)
    assert est.estimate == pytest.approx(21.0 / 8.0)
    assert est.low <= est.estimate <= est.high


def test_ratio_with_zero_control_mean_is_a_clear_error() -> None:
    with pytest.raises(StatsError, match="control arm's mean is 0"):
        stats.estimate_effect("ratio", [1.0, 2.0], [0.0, 0.0])


@given(st.integers(min_value=1, max_value=12), finite)
def test_all_equal_effects_give_a_flagged_point_ci_without_warnings(n: int, v: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = stats.estimate_effect("value", [v] * n, seed=0)
        diff = stats.estimate_effect("difference", [v + 1.0] * n, [1.0] * n, seed=0)
    assert est.degenerate and est.method == "degenerate"
    assert est.low == est.high == est.estimate == v
    assert diff.degenerate and diff.low == diff.high == pytest.approx(v)


@given(st.lists(positive, min_size=2, max_size=8), st.floats(min_value=0.1, max_value=5))
def test_proportional_ratio_is_degenerate(c: list[float], r: float) -> None:
    t = [r * x for x in c]
    est = stats.estimate_effect("ratio", t, c, seed=0)
    assert est.degenerate
    assert est.estimate == pytest.approx(r)


def test_n_equals_one_is_a_point() -> None:
    est = stats.estimate_effect("difference", [5.0], [2.0])
    assert est.degenerate and (est.low, est.high) == (3.0, 3.0) and est.n == 1


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=2, max_size=10))
def test_ci_contains_the_estimate_for_any_data(values: list[float]) -> None:
    est = stats.estimate_effect("value", values, seed=3, n_resamples=FAST)
    assert est.low <= est.estimate <= est.high
    assert math.isfinite(est.low) and math.isfinite(est.high)
    assert min(values) - 1e-9 <= est.low and est.high <= max(values) + 1e-9


@settings(max_examples=25, deadline=None)
@given(st.lists(finite, min_size=2, max_size=6))
def test_n_two_and_small_n_never_crash(values: list[float]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = stats.estimate_effect("difference", values, [0.0] * len(values), n_resamples=FAST)
    assert est.method in ("BCa", "percentile", "degenerate")


@pytest.mark.parametrize("bad", [[1.0, math.nan], [math.inf, 1.0], []])
def test_non_finite_or_empty_input_is_a_clear_error(bad: list[float]) -> None:
    with pytest.raises(StatsError, match=r"non-finite|empty"):
        stats.estimate_effect("value", bad)


def test_unpaired_or_malformed_arms_are_errors() -> None:
    with pytest.raises(StatsError, match="differ in length"):
        stats.estimate_effect("difference", [1.0, 2.0], [1.0])
    with pytest.raises(StatsError, match="needs a control"):
        stats.estimate_effect("difference", [1.0, 2.0])
    with pytest.raises(StatsError, match="no control"):
        stats.estimate_effect("value", [1.0], [1.0])
    with pytest.raises(StatsError, match="unknown effect kind"):
        stats.estimate_effect("median", [1.0])
    with pytest.raises(StatsError, match="confidence"):
        stats.estimate_effect("value", [1.0, 2.0], confidence=1.0)


# --- decide ----------------------------------------------------------------------------------


def test_decide_table() -> None:
    assert stats.decide(0.1, 0.5, "greater", 0.0) == "confirmed"
    assert stats.decide(-0.5, -0.1, "greater", 0.0) == "refuted"
    assert stats.decide(-0.1, 0.5, "greater", 0.0) == "inconclusive"
    assert stats.decide(-0.01, 0.01, "greater", 0.0, equivalence=0.02) == "refuted"
    assert stats.decide(-0.5, -0.1, "less", 0.0) == "confirmed"
    assert stats.decide(0.1, 0.5, "less", 0.0) == "refuted"
    # A point CI exactly at the threshold is neither beyond nor on the other side.
    assert stats.decide(0.0, 0.0, "greater", 0.0) == "inconclusive"
    assert stats.decide(0.0, 0.0, "greater", 0.0, equivalence=0.0) == "refuted"


@given(finite, finite, finite, st.sampled_from(["greater", "less"]))
def test_decide_is_consistent(a: float, b: float, thr: float, direction: str) -> None:
    low, high = min(a, b), max(a, b)
    out = stats.decide(low, high, direction, thr)
    beyond = low > thr if direction == "greater" else high < thr
    other = high < thr if direction == "greater" else low > thr
    assert (out == "confirmed") == beyond
    assert (out == "refuted") == other
    # Mirroring the interval and the threshold swaps the direction, not the outcome.
    flipped = "less" if direction == "greater" else "greater"
    assert stats.decide(-high, -low, flipped, -thr) == out
    # Widening the band can only turn inconclusive into refuted.
    banded = stats.decide(low, high, direction, thr, equivalence=abs(a) + abs(b) + abs(thr) + 1)
    assert banded == ("confirmed" if out == "confirmed" else "refuted")


def test_decide_rejects_nan_and_inverted_intervals() -> None:
    with pytest.raises(StatsError, match="not finite"):
        stats.decide(math.nan, 1.0, "greater", 0.0)
    with pytest.raises(StatsError, match="above"):
        stats.decide(2.0, 1.0, "greater", 0.0)
    with pytest.raises(StatsError, match="direction"):
        stats.decide(0.0, 1.0, "up", 0.0)


# --- p-values --------------------------------------------------------------------------------


@given(st.integers(min_value=2, max_value=10))
def test_identical_positive_effects_give_exact_sign_test_p(n: int) -> None:
    p = stats.one_sided_p_value("value", [1.0] * n, direction="greater", threshold=0.0)
    assert p == pytest.approx(2.0**-n)


def test_p_value_edge_cases() -> None:
    assert stats.one_sided_p_value("value", [1.0], direction="greater", threshold=0.0) == 0.5
    assert stats.one_sided_p_value("value", [-1.0], direction="greater", threshold=0.0) == 1.0
    assert stats.one_sided_p_value("value", [0.0, 0.0], direction="greater", threshold=0.0) == 1.0
    low = stats.one_sided_p_value("value", [-1.0] * 6, direction="less", threshold=0.0)
    assert low == pytest.approx(2.0**-6)
    # The ratio test asks whether mean(t) exceeds threshold * mean(c).
    p = stats.one_sided_p_value(
        "ratio", [3.0, 4.0, 5.0, 6.0], [1.0, 1.0, 1.0, 1.0], direction="greater", threshold=2.0
    )
    assert p == pytest.approx(1 / 16)
    with pytest.raises(StatsError, match="positive control mean"):
        stats.one_sided_p_value("ratio", [1.0, 2.0], [0.0, 0.0], direction="greater", threshold=1)


@settings(max_examples=30, deadline=None)
@given(st.lists(finite, min_size=1, max_size=14), finite)
def test_p_value_is_a_probability_and_sides_are_complementary(d: list[float], thr: float) -> None:
    g = stats.one_sided_p_value("value", d, direction="greater", threshold=thr, n_resamples=FAST)
    s = stats.one_sided_p_value("value", d, direction="less", threshold=thr, n_resamples=FAST)
    assert 0.0 < g <= 1.0 and 0.0 < s <= 1.0
    assert g + s >= 1.0 - 1e-9  # the two tails overlap at the observed value


# --- corrections -----------------------------------------------------------------------------

pvals = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=20)


@given(pvals)
def test_holm_bounds_and_monotonicity(p: list[float]) -> None:
    adj = stats.holm(p)
    assert len(adj) == len(p)
    for raw, a in zip(p, adj, strict=True):
        assert raw - 1e-12 <= a <= 1.0
        assert a <= min(1.0, len(p) * raw) + 1e-12  # never worse than Bonferroni
    order = sorted(range(len(p)), key=lambda i: p[i])
    for i, j in itertools.pairwise(order):
        assert adj[i] <= adj[j] + 1e-12  # ordering of raw p-values kept


@given(pvals)
def test_bh_is_no_stricter_than_holm(p: list[float]) -> None:
    bh = stats.benjamini_hochberg(p)
    for raw, b, h in zip(p, bh, stats.holm(p), strict=True):
        assert raw - 1e-12 <= b <= h + 1e-12


def test_holm_known_values_and_errors() -> None:
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([]) == []
    assert stats.adjust([0.01, 0.02], "bh") == pytest.approx([0.02, 0.02])
    with pytest.raises(StatsError, match="in \\[0, 1\\]"):
        stats.holm([0.5, math.nan])
    with pytest.raises(StatsError, match="unknown correction"):
        stats.adjust([0.1], "bonferroni-ish")


# --- rule text and evaluate ------------------------------------------------------------------


def test_rule_text_is_one_line_and_names_everything() -> None:
    text = stats.rule_text(
        kind="difference",
        metric="horizon",
        treatment="graph",
        control="flat",
        direction="greater",
        threshold=0.0,
        confidence=0.95,
        equivalence=0.02,
        n=8,
        method="BCa",
    )
    assert "\n" not in text
    for part in ("95% BCa", "horizon[graph] - horizon[flat]", "n=8", "> 0", "< 0", "+- 0.02"):
        assert part in text


def test_evaluate_combines_the_pieces() -> None:
    v = stats.evaluate(
        kind="value",
        metric="normalized_horizon",
        treatment_name="oracle",
        control_name=None,
        treatment=[1.0] * 8,
        control=None,
        direction="greater",
        threshold=0.99,
        seed="h",
    )
    assert v.outcome == "confirmed" and v.estimate.degenerate
    assert v.p_value == pytest.approx(2.0**-8)
    assert "degenerate" in v.rule
