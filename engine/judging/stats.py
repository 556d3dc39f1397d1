"""Verdict statistics: paired effects, bootstrap CIs, the decision rule and family corrections.

A verdict is only as honest as the interval behind it, so this module fixes every choice the
hypothesis file does not make:

- **Pairing.** Arms run on the same seeds, so effects are computed per seed and resampled
  together: `difference` bootstraps the per-seed differences t_i - c_i, `value` bootstraps
  t_i, and `ratio` bootstraps mean(t)/mean(c) with the (t_i, c_i) pairs resampled jointly
  (`paired=True`). A ratio of means (not a mean of ratios) stays defined when one seed's control
  is 0.
- **Interval.** `scipy.stats.bootstrap`, BCa where it is defined; where BCa comes back
  non-finite (too few distinct resamples, a skewed statistic) the percentile interval of the
  same resampling is used, and the result says which. The generator is seeded from the
  hypothesis content hash (`seed_from_hash`), so the CI itself replays exactly.
- **Degenerate data.** A deterministic oracle often makes every per-seed effect equal; then
  every resample is that value and BCa is undefined. We detect it up front and return the point
  as the interval with `degenerate=True` (no call into scipy, so no warning spam).
- **p-value.** One-sided, from an exact sign-flip permutation test of the per-seed excesses over
  the threshold (d_i = effect_i - threshold; for a ratio, d_i = t_i - threshold * c_i, which
  has the sign of mean(t)/mean(c) - threshold when mean(c) > 0). It is exact for n <= 13
  (2^n sign patterns) and Monte Carlo with the seeded generator above that. It is honest at
  small n: n identical positive effects give p = 2^-n, never 0.
- **Families.** Holm (FWER, step-down) and Benjamini-Hochberg (FDR, via
  `scipy.stats.false_discovery_control`) over the run's family of p-values.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as _st

EffectKind = Literal["difference", "ratio", "value"]
Direction = Literal["greater", "less"]
Outcome = Literal["confirmed", "refuted", "inconclusive"]
CIMethod = Literal["BCa", "percentile", "degenerate"]

EFFECT_KINDS: tuple[str, ...] = ("difference", "ratio", "value")
DIRECTIONS: tuple[str, ...] = ("greater", "less")
DEFAULT_RESAMPLES = 9999

FloatArray = npt.NDArray[np.float64]


class StatsError(ValueError):
    """Input the statistics cannot give an honest answer for (NaN, unpaired arms, a ratio
    whose control mean is 0, an unknown effect kind): the message says which and why."""


@dataclass(frozen=True)
class EffectEstimate:
    """A point estimate and its confidence interval, with everything needed to read it.

    `method` is "BCa", "percentile" (BCa was not finite) or "degenerate" (every per-seed effect
    equal: the interval is the point). `n` is the number of seeds behind the interval.
    """

    kind: EffectKind
    estimate: float
    low: float
    high: float
    confidence: float
    n: int
    method: CIMethod
    degenerate: bool
    n_resamples: int


@dataclass(frozen=True)
class Verdict:
    """One cell's verdict: the estimate, the outcome, the one-sided p-value and the rule text."""

    estimate: EffectEstimate
    outcome: Outcome
    p_value: float
    rule: str


# --- input handling ------------------------------------------------------------------------


def seed_from_hash(text: str) -> int:
    """A 64-bit generator seed from any text (the hypothesis content hash, a cell id, ...).

    Hashing first means a hex digest and an arbitrary label both work, and two cells of one
    hypothesis can be given distinct streams by hashing `f"{hash}/{cell}"`.
    """
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _rng(seed: int | str) -> np.random.Generator:
    if isinstance(seed, str):
        seed = seed_from_hash(seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise StatsError(f"rng seed must be a non-negative int or a text to hash, got {seed!r}")
    return np.random.default_rng(seed)


def _as_array(values: Sequence[float], what: str) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise StatsError(f"{what} must be numbers: {exc}") from None
    if arr.ndim != 1:
        raise StatsError(f"{what} must be a flat sequence of numbers, got shape {arr.shape}")
    if arr.size == 0:
        raise StatsError(f"{what} is empty: a verdict needs at least one seed")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise StatsError(
            f"{what} has non-finite values at positions {bad.tolist()} "
            f"({arr[bad].tolist()}): a failed trial must not be averaged into a verdict"
        )
    return arr


def _check_kind(kind: str) -> EffectKind:
    if kind not in EFFECT_KINDS:
        raise StatsError(f"unknown effect kind {kind!r} (known: {', '.join(EFFECT_KINDS)})")
    return kind  # type: ignore[return-value]


def _check_direction(direction: str) -> Direction:
    if direction not in DIRECTIONS:
        raise StatsError(f"unknown direction {direction!r} (known: greater, less)")
    return direction  # type: ignore[return-value]


def _check_confidence(confidence: float) -> float:
    if not (isinstance(confidence, int | float) and 0.0 < float(confidence) < 1.0):
        raise StatsError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return float(confidence)


def _arms(
    kind: EffectKind, treatment: Sequence[float], control: Sequence[float] | None
) -> tuple[FloatArray, FloatArray | None]:
    t = _as_array(treatment, "treatment")
    if kind == "value":
        if control is not None:
            raise StatsError("a 'value' effect takes no control arm")
        return t, None
    if control is None:
        raise StatsError(f"a {kind!r} effect needs a control arm")
    c = _as_array(control, "control")
    if c.size != t.size:
        raise StatsError(
            f"paired arms differ in length (treatment {t.size}, control {c.size}): "
            "every seed must have run in both arms"
        )
    return t, c


# --- the effect and its interval -----------------------------------------------------------


def _ratio_of_means(t: FloatArray, c: FloatArray, axis: int = -1) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mean(t, axis=axis) / np.mean(c, axis=axis)


def _mean_statistic(x: FloatArray, axis: int = -1) -> Any:
    return np.mean(x, axis=axis)


def point_estimate(
    kind: str, treatment: Sequence[float], control: Sequence[float] | None = None
) -> float:
    """The effect on the observed seeds: mean(t - c), mean(t)/mean(c) or mean(t)."""
    k = _check_kind(kind)
    t, c = _arms(k, treatment, control)
    if c is None:
        return float(np.mean(t))
    if k == "difference":
        return float(np.mean(t - c))
    if float(np.mean(c)) == 0.0:
        raise StatsError("ratio effect is undefined: the control arm's mean is 0")
    return float(np.mean(t) / np.mean(c))


def _is_degenerate(kind: EffectKind, t: FloatArray, c: FloatArray | None) -> bool:
    """Whether every resample gives the same statistic (so the CI is the point)."""
    if c is None:
        return bool(np.all(t == t[0]))
    if kind == "difference":
        d = t - c
        return bool(np.all(d == d[0]))
    # ratio of means is constant over resamples iff t_i = r * c_i for one r and every seed.
    if bool(np.all(c == c[0])) and bool(np.all(t == t[0])):
        return True
    if np.any(c == 0.0):
        return False
    r = t / c
    # Tolerance of a few ulps: r * c / c need not round back to r exactly.
    return bool(np.allclose(r, r[0], rtol=1e-12, atol=0.0))


def _bootstrap(
    kind: EffectKind,
    t: FloatArray,
    c: FloatArray | None,
    confidence: float,
    rng: np.random.Generator,
    n_resamples: int,
) -> tuple[float, float, CIMethod]:
    statistic: Callable[..., Any]
    if c is None or kind == "difference":
        data: tuple[FloatArray, ...] = (t if c is None else t - c,)
        paired, statistic = False, _mean_statistic
    else:
        data, paired, statistic = (t, c), True, _ratio_of_means

    # Both methods share one resampling state so the fallback does not depend on BCa's draw.
    state = rng.bit_generator.state
    methods: tuple[CIMethod, ...] = ("BCa", "percentile")
    for method in methods:
        rng.bit_generator.state = state
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = _st.bootstrap(
                data,
                statistic,
                n_resamples=n_resamples,
                paired=paired,
                vectorized=True,
                confidence_level=confidence,
                method=method,
                rng=rng,
            )
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            return low, high, method
    raise StatsError(
        f"the bootstrap interval of the {kind} effect is not finite (a control mean of 0 "
        "in resamples?): no honest CI"
    )


def estimate_effect(
    kind: str,
    treatment: Sequence[float],
    control: Sequence[float] | None = None,
    *,
    confidence: float = 0.95,
    seed: int | str = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> EffectEstimate:
    """The paired effect and its bootstrap CI (see the module note for every choice)."""
    k = _check_kind(kind)
    conf = _check_confidence(confidence)
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 100:
        raise StatsError(f"n_resamples must be an int >= 100, got {n_resamples!r}")
    t, c = _arms(k, treatment, control)
    estimate = point_estimate(k, t.tolist(), None if c is None else c.tolist())
    if t.size == 1 or _is_degenerate(k, t, c):
        if k != "ratio":
            # The common per-seed value itself: a mean of equal floats can be off by an ulp.
            estimate = float(t[0] if c is None else t[0] - c[0])
        return EffectEstimate(
            k, estimate, estimate, estimate, conf, int(t.size), "degenerate", True, 0
        )
    low, high, method = _bootstrap(k, t, c, conf, _rng(seed), n_resamples)
    # Floating-point rounding can put a BCa bound a hair past the estimate; the interval must
    # contain the point it is reported around.
    low, high = min(low, estimate), max(high, estimate)
    return EffectEstimate(k, estimate, low, high, conf, int(t.size), method, False, n_resamples)


# --- p-value -------------------------------------------------------------------------------


def excesses(
    kind: str,
    treatment: Sequence[float],
    control: Sequence[float] | None,
    threshold: float,
) -> list[float]:
    """Per-seed excess over the threshold, whose mean has the sign of (effect - threshold)."""
    k = _check_kind(kind)
    t, c = _arms(k, treatment, control)
    if c is None:
        return (t - threshold).tolist()
    if k == "difference":
        return (t - c - threshold).tolist()
    if float(np.mean(c)) <= 0.0:
        raise StatsError(
            "a one-sided ratio test needs a positive control mean "
            f"(got {float(np.mean(c))!r}); compare a difference instead"
        )
    return (t - threshold * c).tolist()


def one_sided_p_value(
    kind: str,
    treatment: Sequence[float],
    control: Sequence[float] | None = None,
    *,
    direction: str,
    threshold: float,
    seed: int | str = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> float:
    """P(effect at least this far beyond the threshold | no effect beyond it): sign-flip test.

    Null: the per-seed excesses are symmetric about 0. Exact for n <= 13, Monte Carlo above.
    """
    d = np.asarray(excesses(kind, treatment, control, float(threshold)), dtype=np.float64)
    sense = _check_direction(direction)
    alternative = "greater" if sense == "greater" else "less"
    if d.size == 1:
        # Two sign patterns: the observed one and its flip.
        beyond = d[0] > 0 if sense == "greater" else d[0] < 0
        return 0.5 if beyond else 1.0
    if np.all(d == 0.0):
        return 1.0
    res = _st.permutation_test(
        (d,),
        lambda x, axis=-1: np.mean(x, axis=axis),
        permutation_type="samples",
        vectorized=True,
        n_resamples=n_resamples,
        alternative=alternative,
        rng=_rng(seed),
    )
    return float(min(1.0, max(0.0, float(res.pvalue))))


# --- the decision rule ---------------------------------------------------------------------


def decide(
    low: float,
    high: float,
    direction: str,
    threshold: float,
    equivalence: float | None = None,
) -> Outcome:
    """The pre-registered rule on an interval [low, high].

    confirmed iff the whole CI is strictly beyond the threshold on the predicted side;
    otherwise refuted iff the whole CI is strictly on the other side, or lies inside
    threshold +- equivalence (when given); otherwise inconclusive. Confirmation is checked
    first, exactly as the format note states it ("confirmed iff ...").
    """
    sense = _check_direction(direction)
    for name, value in (("low", low), ("high", high), ("threshold", threshold)):
        if not math.isfinite(value):
            raise StatsError(f"decide: {name} is not finite ({value!r})")
    if low > high:
        raise StatsError(f"decide: CI low {low!r} is above high {high!r}")
    if equivalence is not None and not (math.isfinite(equivalence) and equivalence >= 0):
        raise StatsError(f"decide: equivalence must be a finite number >= 0, got {equivalence!r}")
    if sense == "greater":
        if low > threshold:
            return "confirmed"
        if high < threshold:
            return "refuted"
    else:
        if high < threshold:
            return "confirmed"
        if low > threshold:
            return "refuted"
    in_band = equivalence is not None and (
        threshold - equivalence <= low and high <= threshold + equivalence
    )
    if in_band:
        return "refuted"
    return "inconclusive"


def _num(x: float) -> str:
    return f"{x:g}"


def effect_text(kind: str, metric: str, treatment: str, control: str | None = None) -> str:
    """How the effect reads in a rule: `mean(horizon[t] - horizon[c])` etc."""
    k = _check_kind(kind)
    if k == "value":
        return f"mean({metric}[{treatment}])"
    if k == "difference":
        return f"mean({metric}[{treatment}] - {metric}[{control}])"
    return f"mean({metric}[{treatment}]) / mean({metric}[{control}])"


def rule_text(
    *,
    kind: str,
    metric: str,
    treatment: str,
    control: str | None,
    direction: str,
    threshold: float,
    confidence: float = 0.95,
    equivalence: float | None = None,
    n: int | None = None,
    method: str | None = None,
) -> str:
    """The decision rule as the one line stored with every verdict."""
    sense = _check_direction(direction)
    conf = _check_confidence(confidence)
    beyond, other = (">", "<") if sense == "greater" else ("<", ">")
    how = f"{method} " if method else ""
    seeds = f", n={n} paired seeds" if n is not None else ""
    refute = f"entirely {other} {_num(threshold)}"
    if equivalence is not None:
        refute += f" or within {_num(threshold)} +- {_num(equivalence)}"
    return (
        f"confirmed iff the {_num(conf * 100)}% {how}bootstrap CI of "
        f"{effect_text(kind, metric, treatment, control)}{seeds} lies entirely {beyond} "
        f"{_num(threshold)}; refuted iff it lies {refute}; otherwise inconclusive"
    )


def evaluate(
    *,
    kind: str,
    metric: str,
    treatment_name: str,
    control_name: str | None,
    treatment: Sequence[float],
    control: Sequence[float] | None,
    direction: str,
    threshold: float,
    confidence: float = 0.95,
    equivalence: float | None = None,
    seed: int | str = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> Verdict:
    """Everything a cell's verdict needs, from the per-seed metric values of its arms."""
    est = estimate_effect(
        kind, treatment, control, confidence=confidence, seed=seed, n_resamples=n_resamples
    )
    outcome = decide(est.low, est.high, direction, threshold, equivalence)
    p = one_sided_p_value(
        kind,
        treatment,
        control,
        direction=direction,
        threshold=threshold,
        seed=seed,
        n_resamples=n_resamples,
    )
    rule = rule_text(
        kind=kind,
        metric=metric,
        treatment=treatment_name,
        control=control_name,
        direction=direction,
        threshold=threshold,
        confidence=confidence,
        equivalence=equivalence,
        n=est.n,
        method=est.method,
    )
    return Verdict(est, outcome, p, rule)


# --- multiple comparisons ------------------------------------------------------------------


def _pvalues(pvalues: Sequence[float]) -> FloatArray:
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        raise StatsError("p-values must be a flat sequence")
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise StatsError(f"p-values must be finite numbers in [0, 1], got {p.tolist()}")
    return p


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error), in the input's order.

    Sorted ascending, p_(i) is scaled by (m - i) and made non-decreasing, capped at 1; so an
    adjusted p never falls below its raw p and the ordering of the raw p-values is kept.
    """
    p = _pvalues(pvalues)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted_sorted = np.maximum.accumulate(scaled)
    out = np.empty(m, dtype=np.float64)
    out[order] = adjusted_sorted
    return out.tolist()


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), in the input's order."""
    p = _pvalues(pvalues)
    if p.size == 0:
        return []
    return [float(x) for x in _st.false_discovery_control(p, method="bh")]


def adjust(pvalues: Sequence[float], method: str) -> list[float]:
    """Family correction by name: "holm" or "bh"."""
    if method == "holm":
        return holm(pvalues)
    if method == "bh":
        return benjamini_hochberg(pvalues)
    raise StatsError(f"unknown correction {method!r} (known: holm, bh)")
