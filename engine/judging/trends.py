"""Trend rules: pre-registered claims about how an effect changes across a grid's cells.

SPEC-9's scaling claims are not about one cell ("the gap is positive at 100 hosts") but
about a direction across cells ("stable or growing with N", "normalised by d_model"). A
`[[trends]]` entry states one: along a numeric grid axis, within each combination of the
other axes, the per-seed paired effect of every cell (optionally divided by the value of a
`normalise_by` axis) is regressed on the axis value (or log2 of it); the least-squares slope
is the statistic. Its CI comes from `scipy.stats.bootstrap` with `paired=True` over the seeds:
a resample draws seed indices once and uses them in every cell, because a seed's models in
different cells share their data seeds and are not independent. The generator is seeded from
the hypothesis hash, the trend id and the group, so the CI replays. The decision is the
verdict rule (`stats.decide`) applied to the slope's CI.

A group whose cells are not all complete gets no trend verdict (as a cell gets no verdict).
This module reads only finished trials; it never touches a cell verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as _st

from engine.judging import stats
from engine.judging.verdicts import TrialResult, _arm_values
from hypotheses import Hypothesis, Trend

RESAMPLES = 9999


@dataclass(frozen=True)
class TrendVerdict:
    trend_id: str
    group: str
    """The other axes' values, `k=v,...` (empty when the trend's axis is the only one)."""
    outcome: str
    slope: float
    ci_low: float
    ci_high: float
    ci_method: str
    n: int
    xs: tuple[float, ...]
    means: tuple[float, ...]
    """The (normalised) mean effect per cell along the axis, in axis order."""
    rule: str


def _per_seed_effects(
    h: Hypothesis,
    results: Sequence[TrialResult],
    cell_id: str,
    seeds: Sequence[tuple[int, int | None]],
) -> list[float] | None:
    """The paired effect per (evaluation seed, model seed) unit, in `seeds` order."""
    effect = h.effect
    t = _arm_values(results, cell_id, effect.treatment, effect.metric)
    c = _arm_values(results, cell_id, effect.control, effect.metric) if effect.control else {}
    if any(s not in t for s in seeds) or (effect.control and any(s not in c for s in seeds)):
        return None
    if effect.kind == "value":
        return [t[s] for s in seeds]
    if effect.kind == "difference":
        return [t[s] - c[s] for s in seeds]
    return [t[s] / c[s] if c[s] != 0 else math.nan for s in seeds]


def _slope_of(xs: np.ndarray) -> Any:
    centred = xs - xs.mean()
    denom = float((centred**2).sum())

    def slope(*cells: np.ndarray, axis: int = -1) -> Any:
        means = np.stack([np.mean(c, axis=axis) for c in cells], axis=-1)
        return ((means - means.mean(axis=-1, keepdims=True)) * centred).sum(axis=-1) / denom

    return slope


def judge_trend(h: Hypothesis, trend: Trend, results: Sequence[TrialResult]) -> list[TrendVerdict]:
    models: tuple[int | None, ...] = tuple(h.seeds.model) if h.seeds.model else (None,)
    seeds = tuple((s, m) for m in models for s in sorted(h.seeds.initial))
    groups: dict[str, list[tuple[float, float, str]]] = {}
    for cell in h.cells():
        others = {k: v for k, v in cell.values.items() if k != trend.axis}
        group = ",".join(f"{k}={v}" for k, v in others.items())
        norm = float(cell.values[trend.normalise_by]) if trend.normalise_by else 1.0
        groups.setdefault(group, []).append((float(cell.values[trend.axis]), norm, cell.cell_id))
    out: list[TrendVerdict] = []
    for group, members in groups.items():
        members.sort()
        samples: list[np.ndarray] = []
        for _, norm, cell_id in members:
            effects = _per_seed_effects(h, results, cell_id, seeds)
            if effects is None or not all(math.isfinite(e) for e in effects):
                break
            samples.append(np.asarray(effects, dtype=np.float64) / norm)
        else:
            out.append(_decide(h, trend, group, members, samples, len(seeds)))
    return out


def _decide(
    h: Hypothesis,
    trend: Trend,
    group: str,
    members: Sequence[tuple[float, float, str]],
    samples: Sequence[np.ndarray],
    n: int,
) -> TrendVerdict:
    raw = np.asarray([x for x, _, _ in members], dtype=np.float64)
    xs = np.log2(raw) if trend.scale == "log" else raw
    statistic = _slope_of(xs)
    slope = float(statistic(*samples))
    method = "degenerate"
    low = high = slope
    if n > 1 and any(float(np.ptp(s)) > 0 for s in samples):
        rng = np.random.default_rng(stats.seed_from_hash(f"{h.content_hash}/{trend.id}/{group}"))
        method = "percentile"
        res = _st.bootstrap(
            tuple(samples),
            statistic,
            paired=True,
            vectorized=True,
            confidence_level=1.0 - 2.0 * stats.alpha_of(trend.confidence),  # one alpha
            n_resamples=RESAMPLES,
            method="percentile",
            random_state=rng,
        )
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    outcome = stats.decide(low, high, trend.direction, trend.threshold, trend.equivalence)
    x_text = "log2(" + trend.axis + ")" if trend.scale == "log" else trend.axis
    per = f" / {trend.normalise_by}" if trend.normalise_by else ""
    side = "above" if trend.direction == "greater" else "below"
    rule = (
        f"slope of ({h.effect.metric} effect{per}) on {x_text}: confirmed iff its "
        f"{1.0 - 2.0 * stats.alpha_of(trend.confidence):.0%} CI (one-sided alpha "
        f"{stats.alpha_of(trend.confidence):g} each end) lies {side} {trend.threshold:g}"
    )
    if trend.equivalence is not None:
        rule += f"; refuted inside {trend.threshold:g} +- {trend.equivalence:g}"
    return TrendVerdict(
        trend_id=trend.id,
        group=group,
        outcome=outcome,
        slope=slope,
        ci_low=low,
        ci_high=high,
        ci_method=method,
        n=n,
        xs=tuple(float(x) for x in raw),
        means=tuple(float(s.mean()) for s in samples),
        rule=rule,
    )


def judge_trends(h: Hypothesis, results: Sequence[TrialResult]) -> list[TrendVerdict]:
    """Every trend of `h` over every complete group of cells (empty without trends)."""
    return [v for trend in h.trends or () for v in judge_trend(h, trend, results)]


def trend_line(v: TrendVerdict) -> str:
    where = f" [{v.group}]" if v.group else ""
    return (
        f"trend {v.trend_id}{where}: {v.outcome}, slope {v.slope:.4g} "
        f"[{v.ci_low:.4g}, {v.ci_high:.4g}] ({v.ci_method}, n={v.n})"
    )


def as_rows(verdicts: Sequence[TrendVerdict]) -> list[Mapping[str, Any]]:
    return [
        {
            "trend": v.trend_id,
            "group": v.group,
            "outcome": v.outcome,
            "slope": v.slope,
            "ci_low": v.ci_low,
            "ci_high": v.ci_high,
            "n": v.n,
        }
        for v in verdicts
    ]
