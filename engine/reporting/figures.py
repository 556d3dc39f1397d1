"""Figures from plain numbers: the H_eps(rho) curve and the like, drawn with matplotlib's Agg.

The science's headline figure is faithful horizon against consultation budget, one line per
arm. This module draws curves from already-aggregated points and knows nothing of the ledger,
so the same function serves the flow's artifacts and `verisim-engine figures`; the grouping of
ledger rows into points is `curve_points`, a pure function.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RHO_KEYS = ("rho",)
"""Parameter names that mean "consultation budget" on the x axis."""


@dataclass(frozen=True)
class Point:
    """One x with the mean over seeds and the spread shown as the bar."""

    x: float
    mean: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Figure:
    """A figure to draw: its file stem, title, axis labels and curves."""

    stem: str
    title: str
    xlabel: str
    ylabel: str
    series: tuple[Series, ...]


@dataclass(frozen=True)
class TrialValue:
    """One finished trial reduced to what a curve needs."""

    hypothesis_id: str
    arm: str
    params: Mapping[str, Any]
    metrics: Mapping[str, float]


def summarize(values: Sequence[float], x: float) -> Point:
    """Mean over seeds with min..max as the bar (with few seeds, the honest spread)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        raise ValueError(f"no finite values at x={x}")
    return Point(
        x=x, mean=sum(finite) / len(finite), low=min(finite), high=max(finite), n=len(finite)
    )


def _label_params(trials: Sequence[TrialValue], x_key: str) -> list[str]:
    """Parameters (besides x) that take more than one value: each value is its own curve."""
    seen: dict[str, set[str]] = {}
    for t in trials:
        for key, value in t.params.items():
            if key != x_key:
                seen.setdefault(key, set()).add(repr(value))
    return sorted(k for k, values in seen.items() if len(values) > 1)


def curve_points(
    trials: Iterable[TrialValue], metric: str, x_key: str
) -> dict[str, dict[str, list[Point]]]:
    """hypothesis id -> series label -> points along `x_key`, averaging `metric` over seeds.

    A series is one arm at one setting of every other parameter that varies (a grid over
    driver and rho gives one curve per arm and driver, never a mean across drivers). Trials
    that lack the metric or a numeric `x_key` are skipped: they belong to other figures.
    """
    usable = [
        t
        for t in trials
        if metric in t.metrics
        and not isinstance(t.params.get(x_key), bool)
        and isinstance(t.params.get(x_key), int | float)
    ]
    by_hypothesis: dict[str, list[TrialValue]] = {}
    for t in usable:
        by_hypothesis.setdefault(t.hypothesis_id, []).append(t)
    out: dict[str, dict[str, list[Point]]] = {}
    for hid, mine in by_hypothesis.items():
        varying = _label_params(mine, x_key)
        grouped: dict[str, dict[float, list[float]]] = {}
        for t in mine:
            label = " ".join([t.arm, *(f"{k}={t.params.get(k)}" for k in varying)])
            x = float(t.params[x_key])
            grouped.setdefault(label, {}).setdefault(x, []).append(float(t.metrics[metric]))
        out[hid] = {
            label: [summarize(vals, x) for x, vals in sorted(by_x.items())]
            for label, by_x in grouped.items()
        }
    return out


def slug(text: str) -> str:
    """A file-name-safe stem (`H1/replicate` -> `H1_replicate`)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "figure"


def draw(figure: Figure, out_dir: Path) -> Path:
    """Write `<out_dir>/<stem>.png` and return its path."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{slug(figure.stem)}.png"
    fig, ax = plt.subplots(figsize=(6.0, 4.0), dpi=110)
    try:
        for s in figure.series:
            xs = [p.x for p in s.points]
            ys = [p.mean for p in s.points]
            below = [p.mean - p.low for p in s.points]
            above = [p.high - p.mean for p in s.points]
            n = max((p.n for p in s.points), default=0)
            ax.errorbar(
                xs, ys, yerr=[below, above], marker="o", capsize=3, label=f"{s.label} (n={n})"
            )
        ax.set_title(figure.title)
        ax.set_xlabel(figure.xlabel)
        ax.set_ylabel(figure.ylabel)
        ax.grid(True, alpha=0.3)
        if figure.series:
            ax.legend(fontsize="small")
        fig.text(0.99, 0.01, "mean over seeds; bars: min..max", ha="right", fontsize=7, alpha=0.7)
        fig.tight_layout()
        fig.savefig(path, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return path


def png_data_uri(path: Path) -> str:
    """The PNG as a data URI, so a markdown artifact can show it without a file server."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def horizon_figures(
    trials: Sequence[TrialValue], metrics_by_hypothesis: Mapping[str, str]
) -> list[Figure]:
    """One H_eps(rho)-style figure per hypothesis whose trials vary a consultation budget.

    `metrics_by_hypothesis` names the metric each hypothesis measures (its effect metric).
    """
    figures: list[Figure] = []
    for hid in sorted(metrics_by_hypothesis):
        metric = metrics_by_hypothesis[hid]
        mine = [t for t in trials if t.hypothesis_id == hid]
        for x_key in RHO_KEYS:
            curves = curve_points(mine, metric, x_key).get(hid, {})
            if not curves or all(len(p) < 2 for p in curves.values()):
                continue
            series = tuple(Series(arm, tuple(points)) for arm, points in sorted(curves.items()))
            horizon = "horizon" in metric
            figures.append(
                Figure(
                    stem=f"{hid}-{metric}-vs-{x_key}",
                    title=f"{hid}: {'H_eps(rho)' if horizon else f'{metric} vs {x_key}'}",
                    xlabel=f"{x_key} (consultation budget)",
                    ylabel=f"{metric} (faithful horizon H_eps)" if horizon else metric,
                    series=series,
                )
            )
    return figures
