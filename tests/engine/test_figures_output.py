"""Figures come from plain numbers; output formats carry every row."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from engine.cli.output import Format, render
from engine.reporting.figures import (
    TrialValue,
    curve_points,
    draw,
    horizon_figures,
    png_data_uri,
    slug,
)


def trials() -> list[TrialValue]:
    out = []
    for rho in (0.0, 0.5, 1.0):
        for seed in range(3):
            out.append(TrialValue("H1", "oracle", {"rho": rho}, {"h_eps": 24.0}))
            out.append(TrialValue("H1", "null", {"rho": rho}, {"h_eps": 24.0 * rho + seed}))
    out.append(TrialValue("H1", "null", {"steps": 3}, {"h_eps": 1.0}))  # no rho: skipped
    return out


def test_curve_points_average_over_seeds() -> None:
    curves = curve_points(trials(), "h_eps", "rho")["H1"]
    null = curves["null"]
    assert [p.x for p in null] == [0.0, 0.5, 1.0]
    assert null[1].mean == 13.0 and null[1].low == 12.0 and null[1].high == 14.0
    assert all(p.n == 3 for p in null)
    assert all(p.mean == 24.0 for p in curves["oracle"])


def test_horizon_figure_is_drawn_as_png(tmp_path: Path) -> None:
    figures = horizon_figures(trials(), {"H1": "h_eps", "H2": "h_eps"})
    assert [f.stem for f in figures] == ["H1-h_eps-vs-rho"]
    path = draw(figures[0], tmp_path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png_data_uri(path).startswith("data:image/png;base64,iVBOR")
    assert slug("H1/replicate x") == "H1_replicate_x"


def test_render_formats() -> None:
    rows = [{"id": 1, "outcome": "confirmed", "ci": [0.1, 0.2]}, {"id": 2, "outcome": None}]
    parsed = json.loads(render(rows, Format.json))
    assert parsed[0]["ci"] == [0.1, 0.2] and parsed[1]["outcome"] is None
    table = list(csv.DictReader(io.StringIO(render(rows, Format.csv))))
    assert table[0]["ci"] == "[0.1,0.2]" and table[1]["outcome"] == ""
    text = render(rows, Format.table, columns=["id", "outcome"])
    assert "confirmed" in text and "ci" not in text
    assert "(no rows)" in render([], Format.table, columns=["id"])


def test_other_varying_parameters_get_their_own_curves() -> None:
    trials = [
        TrialValue("H", "m", {"rho": rho, "driver": driver}, {"h": float(rho) + (driver == "b")})
        for rho in (0.0, 1.0)
        for driver in ("a", "b")
        for _ in range(2)
    ]
    curves = curve_points(trials, "h", "rho")["H"]
    assert sorted(curves) == ["m driver=a", "m driver=b"]
    assert [p.mean for p in curves["m driver=b"]] == [1.0, 2.0]
    assert all(p.n == 2 for p in curves["m driver=a"])
