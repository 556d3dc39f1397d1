"""Reference distributions: one set of values that gives both the p-values and the interval.

A verdict must never print a CI that says one thing while its p-value says another. Both are
therefore read off the same sorted reference values `v_1 <= ... <= v_N`, by one counting rule:

    p_greater(theta) = (offset + #{v <= theta}) / (N + offset)
    p_less(theta)    = (offset + #{v >= theta}) / (N + offset)
    lower(alpha)     = the value with  lower(alpha) > theta  <=>  p_greater(theta) <= alpha
    upper(alpha)     = the value with  upper(alpha) < theta  <=>  p_less(theta) <= alpha

so "the one-sided (1 - alpha) bound lies beyond the threshold" and "the one-sided p-value is
at most alpha" are the same statement, for every theta and alpha, by construction (the bound
is found by the same float comparisons the p-value uses).

Two sources of reference values:

- **Exact sign-flip** (one level: evaluation seeds are the unit). Under the null that the
  per-seed effects d_i - theta are symmetric about 0, each of the 2^n sign patterns is equally
  likely. Flipping the signs of a subset S moves the statistic below the observed one exactly
  when mean_S(d) <= theta, so the reference values are the means of the 2^n - 1 non-empty
  subsets of d (Hartigan's subset means), with offset 1 (the identity pattern). The smallest
  attainable p is 2^-n. For a ratio effect the subset statistic is sum_S(t) / sum_S(c). Above
  `EXACT_MAX_N` seeds, `MC_DRAWS` random non-empty subsets are drawn with the seeded generator
  (a Monte Carlo p-value in the (b + 1) / (m + 1) form, never 0).
- **Two-level bootstrap** (model seeds, then evaluation seeds within each drawn model): the
  bootstrap means are the reference values, offset 1, so the interval is the percentile
  interval and the p-value the bootstrap tail fraction (b + 1) / (B + 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hypotheses.power import BOOTSTRAP_RESAMPLES, EXACT_MAX_N, MC_DRAWS

FloatArray = npt.NDArray[np.float64]


class ReferenceError(ValueError):
    """Data a reference distribution cannot be built from (raised as a StatsError upstream)."""


@dataclass(frozen=True)
class Reference:
    """Sorted reference values and the counting rule that turns them into p-values and bounds.

    `ties` counts reference patterns that sit on every theta at once (a ratio subset with
    sum(t) = sum(c) = 0): they count towards both tails, like the identity pattern.
    """

    values: FloatArray
    offset: int
    method: str

    @property
    def total(self) -> int:
        return int(self.values.size) + self.offset

    @property
    def smallest_p(self) -> float:
        return self.offset / self.total

    def p_greater(self, theta: float) -> float:
        """One-sided p for "the effect is above theta"."""
        count = int(np.searchsorted(self.values, theta, side="right"))
        return (self.offset + count) / self.total

    def p_less(self, theta: float) -> float:
        """One-sided p for "the effect is below theta"."""
        count = int(self.values.size - np.searchsorted(self.values, theta, side="left"))
        return (self.offset + count) / self.total

    def _k(self, alpha: float) -> int:
        """The largest j with j / total <= alpha (float division, as the p-values use)."""
        j = math.floor(alpha * self.total)
        while j + 1 <= self.total and (j + 1) / self.total <= alpha:
            j += 1
        while j > 0 and j / self.total > alpha:
            j -= 1
        return j

    def lower(self, alpha: float) -> float:
        """The one-sided (1 - alpha) lower bound: > theta iff p_greater(theta) <= alpha."""
        k = self._k(alpha) - self.offset  # how many values may lie at or below theta
        if k < 0:
            return -math.inf
        return float(self.values[k]) if k < self.values.size else math.inf

    def upper(self, alpha: float) -> float:
        """The one-sided (1 - alpha) upper bound: < theta iff p_less(theta) <= alpha."""
        k = self._k(alpha) - self.offset
        if k < 0:
            return math.inf
        n = self.values.size
        return float(self.values[n - 1 - k]) if k < n else -math.inf


def _subset_masks(n: int, rng: np.random.Generator) -> tuple[npt.NDArray[np.bool_], str]:
    if n <= EXACT_MAX_N:
        codes = np.arange(1, 2**n, dtype=np.int64)
        masks = ((codes[:, None] >> np.arange(n)) & 1).astype(bool)
        return masks, "exact sign-flip"
    masks = rng.random((MC_DRAWS, n)) < 0.5
    empty = ~masks.any(axis=1)
    while empty.any():  # redraw the (rare) empty subsets: every draw is a real pattern
        masks[empty] = rng.random((int(empty.sum()), n)) < 0.5
        empty = ~masks.any(axis=1)
    return masks, f"sign-flip ({MC_DRAWS} random patterns)"


def sign_flip(
    kind: str, t: FloatArray, c: FloatArray | None, rng: np.random.Generator
) -> Reference:
    """Subset means (difference, value) or subset ratios of sums (ratio) of the paired data."""
    n = int(t.size)
    masks, method = _subset_masks(n, rng)
    weights = masks.astype(np.float64)
    if c is None or kind != "ratio":
        d = t if c is None else t - c
        values = (weights @ d) / weights.sum(axis=1)
        return Reference(np.sort(values), 1, method)
    if np.any(c < 0):
        raise ReferenceError("a ratio test needs non-negative control values")
    num, den = weights @ t, weights @ c
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = num / den
    # sum_S(c) = 0: the pattern's excess sum_S(t - theta c) = sum_S(t) does not move with theta.
    zero = den == 0.0
    ratio[zero & (num > 0)] = math.inf
    ratio[zero & (num < 0)] = -math.inf
    both = zero & (num == 0)
    return Reference(np.sort(ratio[~both]), 1 + int(both.sum()), method)


def two_level_bootstrap(
    kind: str,
    treatment: Sequence[FloatArray],
    control: Sequence[FloatArray] | None,
    rng: np.random.Generator,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
) -> Reference:
    """Resample model seeds, then evaluation seeds within each drawn model; the mean effect.

    `treatment[m]` holds one model seed's per-evaluation-seed values (paired with `control[m]`
    seed by seed). A difference resamples the paired differences; a ratio the (t, c) pairs
    and takes the ratio of the resample's means.
    """
    n_models = len(treatment)
    if n_models < 2:
        raise ReferenceError("a two-level bootstrap needs at least two model seeds")
    sizes = {int(x.size) for x in treatment}
    if len(sizes) != 1:
        raise ReferenceError("every model seed must have the same evaluation seeds")
    n_eval = sizes.pop()
    t = np.stack(list(treatment))
    c = None if control is None else np.stack(list(control))
    outer = rng.integers(0, n_models, size=(n_resamples, n_models))
    inner = rng.integers(0, n_eval, size=(n_resamples, n_models, n_eval))
    rows = outer[:, :, None]
    if c is None or kind != "ratio":
        d = t if c is None else t - c
        values = d[rows, inner].mean(axis=(1, 2))
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            values = t[rows, inner].mean(axis=(1, 2)) / c[rows, inner].mean(axis=(1, 2))
        if not np.all(np.isfinite(values)):
            raise ReferenceError("a resampled control mean is 0: the ratio is undefined")
    return Reference(np.sort(values), 1, f"two-level bootstrap ({n_resamples} resamples)")
