"""Verdict statistics: paired effects, the decision rule, one alpha, and family corrections.

A verdict is only as honest as the test behind it, so this module fixes every choice the
hypothesis file does not make:

- **Pairing.** Arms run on the same seeds, so effects are computed per seed: `difference`
  works on t_i - c_i, `value` on t_i, `ratio` on the pairs (t_i, c_i) through sums
  (a ratio of means, not a mean of ratios, stays defined when one seed's control is 0).
- **One alpha.** `confidence` fixes alpha = 1 - confidence, the level of each one-sided test;
  a family lowers it to the member's level. The interval printed with a verdict has as its
  ends the one-sided (1 - alpha) bounds (so it is the two-sided (1 - 2 alpha) interval), and
  it is read off the same reference distribution as the p-value (`engine.judging.reference`):
  "the interval lies beyond the threshold" and "p <= alpha" are one statement. An equivalence
  claim is two one-sided tests, i.e. the (1 - 2 alpha) interval inside the band.
- **The test.** An exact sign-flip (randomisation) test over the evaluation seeds, exact for
  any n (Monte Carlo above 16 seeds, seeded from the hypothesis hash so it replays); with
  model seeds, a two-level bootstrap. Its smallest attainable p is 2^-n, so a file whose seeds
  cannot reach its family's alpha is refused at load time (`hypotheses.power`).
- **Degenerate data.** A deterministic oracle often makes every per-seed effect equal; the
  interval is then that point and the verdict says `degenerate`.
- **Families.** Holm (FWER, step-down) and Benjamini-Hochberg (FDR, via
  `scipy.stats.false_discovery_control`) adjusted p-values, and `member_levels`: the level each
  member's decision used, so its interval can be printed at that level.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as _st

from engine.judging import reference
from engine.judging.reference import Reference
from hypotheses import power

EffectKind = Literal["difference", "ratio", "value"]
Direction = Literal["greater", "less", "equivalent"]
Outcome = Literal["confirmed", "refuted", "inconclusive"]

EFFECT_KINDS: tuple[str, ...] = ("difference", "ratio", "value")
DIRECTIONS: tuple[str, ...] = ("greater", "less", "equivalent")
CORRECTIONS: tuple[str, ...] = ("holm", "bh")

FloatArray = npt.NDArray[np.float64]


class StatsError(ValueError):
    """Input the statistics cannot give an honest answer for (NaN, unpaired arms, a ratio
    whose control mean is 0, an unknown effect kind): the message says which and why."""


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
        raise StatsError(f"unknown direction {direction!r} (known: greater, less, equivalent)")
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
    """Whether every per-seed effect is the same (so the interval is that point)."""
    if c is None:
        return bool(np.all(t == t[0]))
    if kind == "difference":
        d = t - c
        return bool(np.all(d == d[0]))
    if bool(np.all(c == c[0])) and bool(np.all(t == t[0])):
        return True
    if np.any(c == 0.0):
        return False
    r = t / c
    # Tolerance of a few ulps: r * c / c need not round back to r exactly.
    return bool(np.allclose(r, r[0], rtol=1e-12, atol=0.0))


# --- the decision rule ---------------------------------------------------------------------


def alpha_of(confidence: float) -> float:
    """The one-sided level of each test: alpha = 1 - confidence (the one convention)."""
    return power.alpha_of(_check_confidence(confidence))


def decide(
    low: float,
    high: float,
    direction: str,
    threshold: float,
    equivalence: float | None = None,
) -> Outcome:
    """The pre-registered rule on the interval [low, high] (each end a one-sided bound).

    - greater / less: confirmed iff the whole interval lies strictly beyond the threshold on
      the predicted side; otherwise refuted iff it lies strictly on the other side, or (with
      `equivalence`) strictly inside threshold +- equivalence; otherwise inconclusive.
    - equivalent: confirmed iff the interval lies strictly inside threshold +- equivalence
      (two one-sided tests); refuted iff it lies strictly outside the band; else inconclusive.

    An end may be infinite (a test that cannot reach its level has no bound on that side).
    """
    sense = _check_direction(direction)
    for name, value in (("low", low), ("high", high)):
        if math.isnan(value):
            raise StatsError(f"decide: {name} is not a number")
    if not math.isfinite(threshold):
        raise StatsError(f"decide: threshold is not finite ({threshold!r})")
    if low > high:
        raise StatsError(f"decide: CI low {low!r} is above high {high!r}")
    if equivalence is not None and not (math.isfinite(equivalence) and equivalence >= 0):
        raise StatsError(f"decide: equivalence must be a finite number >= 0, got {equivalence!r}")
    in_band = equivalence is not None and (
        threshold - equivalence < low and high < threshold + equivalence
    )
    if sense == "equivalent":
        if equivalence is None:
            raise StatsError("decide: an equivalence claim needs its margin (equivalence)")
        if in_band:
            return "confirmed"
        if low > threshold + equivalence or high < threshold - equivalence:
            return "refuted"
        return "inconclusive"
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
    return "refuted" if in_band else "inconclusive"


def confirmation_p(
    ref: Reference, direction: str, threshold: float, equivalence: float | None = None
) -> float:
    """The p-value of the claim itself: one-sided, or the larger of the two TOST p-values.

    `decide(ref.lower(a), ref.upper(a), ...) == "confirmed"` iff this is <= a, for every a:
    the family correction works on this p, the outcome on the interval, and they agree.
    """
    sense = _check_direction(direction)
    if sense == "greater":
        return ref.p_greater(threshold)
    if sense == "less":
        return ref.p_less(threshold)
    if equivalence is None:
        raise StatsError("an equivalence claim needs its margin (equivalence)")
    return max(ref.p_greater(threshold - equivalence), ref.p_less(threshold + equivalence))


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
    family: str | None = None,
) -> str:
    """The decision rule as the one line stored with every verdict.

    It states the one convention: each one-sided test at alpha (1 - confidence, lowered to the
    member's level by its family), and the interval whose ends are the one-sided (1 - alpha)
    bounds, i.e. the two-sided (1 - 2 alpha) interval.
    """
    sense = _check_direction(direction)
    alpha = alpha_of(confidence)
    how = f" from the {method} test" if method else ""
    seeds = f" over n={n} paired seeds" if n is not None else ""
    effect = effect_text(kind, metric, treatment, control)
    level = f"alpha = {_num(alpha)}" + (f" adjusted within family {family}" if family else "")
    interval = f"the (1 - 2 alpha) interval{how} of {effect}{seeds} ({level})"
    t = _num(threshold)
    if sense == "equivalent":
        band = f"{t} +- {_num(equivalence if equivalence is not None else 0.0)}"
        return (
            f"confirmed iff {interval} lies strictly inside {band} (two one-sided tests, each "
            f"p <= alpha); refuted iff it lies entirely outside the band; otherwise inconclusive"
        )
    beyond, other = (">", "<") if sense == "greater" else ("<", ">")
    refute = f"entirely {other} {t}"
    if equivalence is not None:
        refute += f" or strictly within {t} +- {_num(equivalence)}"
    return (
        f"confirmed iff {interval} lies entirely {beyond} {t} (one-sided p <= alpha); "
        f"refuted iff it lies {refute}; otherwise inconclusive"
    )


@dataclass(frozen=True)
class Evidence:
    """What one cell's data say, before any level is chosen: the estimate and its reference.

    `at(alpha)` gives the interval and outcome at a level; `p_value` is the claim's own p
    (what a family corrects), with `at(a).outcome == "confirmed"` iff `p_value <= a`.
    """

    kind: EffectKind
    estimate: float
    n: int
    degenerate: bool
    method: str
    reference: Reference
    p_value: float
    direction: str
    threshold: float
    equivalence: float | None

    def at(self, alpha: float) -> Decision:
        low, high = self.reference.lower(alpha), self.reference.upper(alpha)
        if self.degenerate and math.isfinite(low) and math.isfinite(high):
            low = high = self.estimate  # every subset mean is the point (up to an ulp)
        outcome = decide(low, high, self.direction, self.threshold, self.equivalence)
        return Decision(outcome, low, high, alpha)


@dataclass(frozen=True)
class Decision:
    """An outcome at one level, with the interval that level gives."""

    outcome: Outcome
    low: float
    high: float
    alpha: float

    @property
    def confidence(self) -> float:
        """Two-sided coverage of [low, high]: 1 - 2 alpha."""
        return 1.0 - 2.0 * self.alpha


def evidence(
    *,
    kind: str,
    treatment: Sequence[float],
    control: Sequence[float] | None,
    direction: str,
    threshold: float,
    equivalence: float | None = None,
    seed: int | str = 0,
    model_groups: Sequence[int] | None = None,
) -> Evidence:
    """The cell's estimate and reference distribution.

    Without `model_groups` the evaluation seeds are the unit (exact sign-flip test). With it,
    `model_groups[i]` names the model seed of the i-th paired value and the reference is the
    two-level bootstrap (model seeds, then evaluation seeds within them).
    """
    k = _check_kind(kind)
    _check_direction(direction)
    t, c = _arms(k, treatment, control)
    estimate = point_estimate(k, t.tolist(), None if c is None else c.tolist())
    degenerate = _is_degenerate(k, t, c)
    rng = _rng(seed)
    try:
        if model_groups is None:
            ref = reference.sign_flip(k, t, c, rng)
        else:
            groups = np.asarray(model_groups)
            if groups.shape != t.shape:
                raise StatsError("model_groups must name one model seed per paired value")
            models = sorted(set(groups.tolist()))
            ref = reference.two_level_bootstrap(
                k,
                [t[groups == m] for m in models],
                None if c is None else [c[groups == m] for m in models],
                rng,
            )
    except reference.ReferenceError as exc:
        raise StatsError(str(exc)) from None
    if degenerate and k != "ratio":
        estimate = float(t[0] if c is None else t[0] - c[0])
    method = "degenerate" if degenerate else ref.method
    p = confirmation_p(ref, direction, threshold, equivalence)
    return Evidence(
        k, estimate, int(t.size), degenerate, method, ref, p, direction, threshold, equivalence
    )


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


def member_levels(pvalues: Sequence[float], alpha: float, method: str) -> list[float]:
    """The level each family member's decision is taken at, in the input's order.

    A member is confirmed iff its raw p <= its level, which is exactly when its adjusted p
    (`adjust`) is <= alpha, so the interval printed at that level agrees with the adjusted
    outcome:

    - holm: the i-th smallest p is tested at alpha / (m - i + 1) while every smaller one was
      rejected; from the first that is not, every later member keeps that failing level (its
      p is at least the failing p, so it stays unrejected).
    - bh: one common level alpha * k / m, k the largest rank with p_(k) <= alpha * k / m
      (alpha / m when there is none).
    """
    p = _pvalues(pvalues)
    m = p.size
    if not 0.0 < alpha < 1.0:
        raise StatsError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    levels = np.empty(m, dtype=np.float64)
    if method == "holm":
        failing: float | None = None
        for rank, idx in enumerate(order):
            level = alpha / (m - rank) if failing is None else failing
            if failing is None and not p[idx] <= level:
                failing = level
            levels[idx] = level
        return levels.tolist()
    if method == "bh":

        def step_up(rank: int) -> float:
            # alpha * rank / m, never above alpha: at rank m the product rounds one ulp up
            # (0.05 * 3 / 3 = 0.05000000000000001), a level no member may be held to.
            return min(alpha, alpha * rank / m)

        k = 0
        for rank, idx in enumerate(order, start=1):
            if p[idx] <= step_up(rank):
                k = rank
        levels[:] = step_up(max(k, 1))
        return levels.tolist()
    raise StatsError(f"unknown correction {method!r} (known: holm, bh)")
