"""Verdict statistics: intervals, degenerate data, the decision rule, p-values, corrections."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.judging import stats
from engine.judging.stats import StatsError

finite = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0.5, max_value=100, allow_nan=False, allow_infinity=False)
FAST = 999  # resamples in property tests: enough for coverage of the code paths, fast


def ev(kind: str, t: list[float], c: list[float] | None = None, **kw: object) -> stats.Evidence:
    args: dict[str, object] = {"direction": "greater", "threshold": 0.0, "seed": "h"}
    args.update(kw)
    return stats.evidence(kind=kind, treatment=t, control=c, **args)  # type: ignore[arg-type]


def textbook_p(d: list[float], theta: float) -> float:
    """The exact sign-flip p by brute force: every sign pattern, statistic the sum."""
    x = [v - theta for v in d]
    observed = sum(x)
    patterns = list(itertools.product((1.0, -1.0), repeat=len(x)))
    hits = sum(1 for s in patterns if sum(a * b for a, b in zip(s, x, strict=True)) >= observed)
    return hits / len(patterns)


def test_difference_is_paired_and_its_interval_contains_the_estimate() -> None:
    t = [3.0, 4.0, 5.0, 6.0, 7.0, 5.0, 4.0, 6.0]
    c = [1.0, 2.5, 3.0, 4.0, 5.5, 3.0, 2.0, 4.5]
    e = ev("difference", t, c)
    assert e.estimate == pytest.approx(sum(a - b for a, b in zip(t, c, strict=True)) / 8)
    d = e.at(0.05)
    assert d.low <= e.estimate <= d.high and d.confidence == pytest.approx(0.9)
    assert e.method == "exact sign-flip" and e.n == 8 and not e.degenerate
    # Every per-seed difference is > 0: the exact p is 2^-8 and the lower bound is positive.
    assert e.p_value == 2.0**-8 and d.low > 0 and d.outcome == "confirmed"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-20, 20).map(lambda i: i / 4), min_size=1, max_size=8),
    st.integers(-8, 8).map(lambda i: i / 4),
)
def test_p_value_is_the_exact_sign_flip_test(d: list[float], thr: float) -> None:
    e = ev("value", d, threshold=thr)
    assert e.p_value == pytest.approx(textbook_p(d, thr))


def test_p_value_agrees_with_scipy_permutation_test() -> None:
    from scipy import stats as st_

    d = [0.3, -0.1, 0.5, 0.2, 0.05, -0.2, 0.4]
    ref = st_.permutation_test(
        (d,),
        lambda x, axis=-1: x.mean(axis=axis),
        permutation_type="samples",
        alternative="greater",
    )
    assert ev("value", d).p_value == pytest.approx(ref.pvalue)


alphas = st.sampled_from([0.2, 0.1, 0.05, 0.025, 0.01, 0.05 / 3, 0.05 / 7, 0.003])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(finite, min_size=1, max_size=9),
    alphas,
    st.sampled_from(["greater", "less", "equivalent"]),
    st.floats(-5, 5),
    st.floats(0.01, 5),
)
def test_one_alpha_interval_and_p_never_disagree(
    d: list[float], alpha: float, direction: str, thr: float, margin: float
) -> None:
    """'The interval lies beyond the threshold' iff 'p <= alpha', at every level."""
    e = ev("value", d, direction=direction, threshold=thr, equivalence=margin)
    at = e.at(alpha)
    assert (at.outcome == "confirmed") == (e.p_value <= alpha)
    # The other side: refuted (directional) iff the opposite one-sided p is <= alpha, or the
    # interval is inside the band (both TOST p-values <= alpha) and not confirmed.
    ref = e.reference
    band = max(ref.p_greater(thr - margin), ref.p_less(thr + margin)) <= alpha
    if direction == "greater":
        other = ref.p_less(thr) <= alpha
        assert (at.outcome == "refuted") == (other or (band and at.outcome != "confirmed"))
    if direction == "less":
        other = ref.p_greater(thr) <= alpha
        assert (at.outcome == "refuted") == (other or (band and at.outcome != "confirmed"))
    # A stricter level can only widen the interval and take decisions away.
    tight = e.at(alpha / 2)
    assert tight.low <= at.low and tight.high >= at.high
    if at.outcome == "inconclusive":
        assert tight.outcome == "inconclusive"


def test_ci_reproducible_above_the_exact_range() -> None:
    d = [float(i % 7) - 2.5 for i in range(20)]
    a, b = ev("value", d, seed="hash-1"), ev("value", d, seed="hash-1")
    assert a.method.startswith("sign-flip (") and a.at(0.05) == b.at(0.05)
    assert a.p_value == b.p_value and a.p_value >= 1 / 2**16


def test_ratio_is_a_ratio_of_means() -> None:
    t = [2.0, 4.0, 6.0, 9.0, 5.0]
    c = [1.0, 0.0, 3.0, 4.0, 2.0]  # one zero control seed: the ratio of means is still defined
    e = ev("ratio", t, c, threshold=1.0)
    assert e.estimate == pytest.approx(26.0 / 10.0)
    at = e.at(0.05)
    assert at.low <= e.estimate <= at.high
    # Every subset has sum(t) > sum(c): p is the floor 2^-5.
    assert e.p_value == 2.0**-5 and at.outcome == "confirmed"


def test_ratio_with_zero_control_mean_is_a_clear_error() -> None:
    with pytest.raises(StatsError, match="control arm's mean is 0"):
        ev("ratio", [1.0, 2.0], [0.0, 0.0])
    with pytest.raises(StatsError, match="non-negative control"):
        ev("ratio", [1.0, 2.0], [-1.0, 3.0])


@given(st.integers(min_value=1, max_value=12), finite)
def test_all_equal_effects_give_a_flagged_point_interval(n: int, v: float) -> None:
    e = ev("value", [v] * n, threshold=v - 1.0)
    diff = ev("difference", [v + 1.0] * n, [1.0] * n, threshold=v - 1.0)
    assert e.degenerate and e.method == "degenerate" and diff.degenerate
    at = e.at(0.05)
    if 2.0**-n <= 0.05:
        assert at.low == at.high == e.estimate == v and at.outcome == "confirmed"
    else:  # the test cannot reach 0.05 with so few seeds: no bound at that level
        assert at.outcome == "inconclusive" and at.low == -math.inf
    assert e.p_value == 2.0**-n


@given(st.lists(positive, min_size=2, max_size=8), st.floats(min_value=0.1, max_value=5))
def test_proportional_ratio_is_degenerate(c: list[float], r: float) -> None:
    e = ev("ratio", [r * x for x in c], c)
    assert e.degenerate and e.estimate == pytest.approx(r)


@pytest.mark.parametrize("bad", [[1.0, math.nan], [math.inf, 1.0], []])
def test_non_finite_or_empty_input_is_a_clear_error(bad: list[float]) -> None:
    with pytest.raises(StatsError, match=r"non-finite|empty"):
        ev("value", bad)


def test_unpaired_or_malformed_arms_are_errors() -> None:
    with pytest.raises(StatsError, match="differ in length"):
        ev("difference", [1.0, 2.0], [1.0])
    with pytest.raises(StatsError, match="needs a control"):
        ev("difference", [1.0, 2.0])
    with pytest.raises(StatsError, match="no control"):
        ev("value", [1.0], [1.0])
    with pytest.raises(StatsError, match="unknown effect kind"):
        ev("median", [1.0])
    with pytest.raises(StatsError, match="confidence"):
        stats.alpha_of(1.0)


def test_two_level_bootstrap_resamples_fitted_models() -> None:
    """Five models: four helpful, one harmful. Over evaluation seeds alone (one model's
    view, or all pooled as if independent) the interval is narrower than over models."""
    per_model = [1.0, 1.2, 0.9, 1.1, -0.8]
    t = [m + 0.05 * (e % 3) for m in per_model for e in range(6)]
    groups = [i for i in range(5) for _ in range(6)]
    nested = ev("value", t, model_groups=groups)
    pooled = ev("value", t)
    n_at, p_at = nested.at(0.05), pooled.at(0.05)
    assert nested.method.startswith("two-level bootstrap")
    assert (n_at.high - n_at.low) > (p_at.high - p_at.low)
    assert (n_at.outcome == "confirmed") == (nested.p_value <= 0.05)
    assert ev("value", t, model_groups=groups).at(0.05) == n_at  # seeded: replays
    with pytest.raises(StatsError, match="at least two model seeds"):
        ev("value", [1.0, 2.0], model_groups=[0, 0])
    with pytest.raises(StatsError, match="same evaluation seeds"):
        ev("value", [1.0, 2.0, 3.0], model_groups=[0, 0, 1])


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
    # The band is open (TOST is strict): a point on its edge is not inside it.
    assert stats.decide(-0.02, 0.0, "greater", 0.0, equivalence=0.02) == "inconclusive"
    # Unreachable bounds are infinite, never a decision.
    assert stats.decide(-math.inf, math.inf, "greater", 0.0, equivalence=1.0) == "inconclusive"


def test_equivalence_is_two_one_sided_tests() -> None:
    eq = {"direction": "equivalent", "threshold": 0.0, "equivalence": 0.05}
    assert stats.decide(-0.01, 0.03, **eq) == "confirmed"  # type: ignore[arg-type]
    assert stats.decide(0.06, 0.2, **eq) == "refuted"  # type: ignore[arg-type]
    assert stats.decide(-0.2, -0.07, **eq) == "refuted"  # type: ignore[arg-type]
    assert stats.decide(-0.01, 0.08, **eq) == "inconclusive"  # type: ignore[arg-type]
    with pytest.raises(StatsError, match="margin"):
        stats.decide(0.0, 0.0, "equivalent", 0.0)
    # Same small effects: a tight spread is equivalent, a wide one is not "shown the same".
    tight = ev("difference", [0.01, -0.01, 0.02, 0.0, 0.01, -0.005], [0.0] * 6, **eq)
    wide = ev("difference", [0.3, -0.3, 0.25, -0.2, 0.1, -0.15], [0.0] * 6, **eq)
    assert tight.at(0.05).outcome == "confirmed" and tight.p_value == 2.0**-6
    assert wide.at(0.05).outcome == "inconclusive"


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
    with pytest.raises(StatsError, match="not a number"):
        stats.decide(math.nan, 1.0, "greater", 0.0)
    with pytest.raises(StatsError, match="above"):
        stats.decide(2.0, 1.0, "greater", 0.0)
    with pytest.raises(StatsError, match="direction"):
        stats.decide(0.0, 1.0, "up", 0.0)


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


dyadic = st.integers(1, 256).map(lambda k: k / 256)


@given(
    st.lists(dyadic, min_size=1, max_size=12),
    st.sampled_from(["holm", "bh"]),
    st.sampled_from([0.05, 0.1, 0.01]),
)
@example(p=[1 / 256, 1 / 256, 1 / 256], method="bh", alpha=0.05)  # 0.05 * 3 / 3 > 0.05
def test_member_levels_decide_exactly_as_the_adjusted_p(
    p: list[float], method: str, alpha: float
) -> None:
    """p <= the member's level iff its adjusted p <= alpha: the interval printed at the
    level agrees with the adjusted outcome."""
    levels = stats.member_levels(p, alpha, method)
    adjusted = stats.adjust(p, method)
    for raw, level, adj in zip(p, levels, adjusted, strict=True):
        assert (raw <= level) == (adj <= alpha)
        assert alpha / len(p) - 1e-15 <= level <= alpha


def test_holm_levels_known_values() -> None:
    # Sorted 0.01, 0.03, 0.04 against 0.05/3, 0.05/2, 0.05/1: the first passes, the second
    # fails, so the second and third keep 0.025.
    assert stats.member_levels([0.01, 0.04, 0.03], 0.05, "holm") == pytest.approx(
        [0.05 / 3, 0.025, 0.025]
    )
    assert stats.member_levels([0.001, 0.01], 0.05, "bh") == pytest.approx([0.05, 0.05])
    with pytest.raises(StatsError, match="unknown correction"):
        stats.member_levels([0.1], 0.05, "bonferroni-ish")


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
        method="exact sign-flip",
        family="holm over 6 (EN1)",
    )
    assert "\n" not in text
    for part in (
        "(1 - 2 alpha) interval",
        "alpha = 0.05 adjusted within family holm over 6 (EN1)",
        "exact sign-flip",
        "horizon[graph] - horizon[flat]",
        "n=8",
        "> 0",
        "< 0",
        "+- 0.02",
        "p <= alpha",
    ):
        assert part in text
    eq = stats.rule_text(
        kind="value",
        metric="m",
        treatment="a",
        control=None,
        direction="equivalent",
        threshold=0.0,
        equivalence=0.1,
    )
    assert "strictly inside 0 +- 0.1" in eq and "two one-sided tests" in eq
