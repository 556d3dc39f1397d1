"""Rows to text: the CLI's three output formats, from plain dicts.

Tables are for people, JSON and CSV for pipes: the latter two carry every column with full
precision and no truncation, the table shortens long cells and rounds floats so that a
verdict list fits a terminal.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


CELL_WIDTH = 48


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.4g}"
    if isinstance(value, Mapping | list | tuple):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    else:
        text = str(value)
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


def _csv_value(value: Any) -> Any:
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "" if value is None else value


def columns_of(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def render(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    width: int = 200,
) -> str:
    """The rows in `fmt`; `columns` picks and orders the table's (and CSV's) columns."""
    cols = columns_of(rows, columns)
    if fmt is Format.json:
        picked = [{c: row.get(c) for c in cols} for row in rows] if columns else list(rows)
        return json.dumps(picked, indent=2, sort_keys=False, default=str, allow_nan=True)
    if fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _csv_value(row.get(c)) for c in cols})
        return buffer.getvalue().rstrip("\n")
    table = Table(title=title, show_lines=False, header_style="bold")
    for c in cols:
        table.add_column(c, overflow="fold")
    for row in rows:
        table.add_row(*(_cell_text(row.get(c)) for c in cols))
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(table)
    if not rows:
        console.print("(no rows)")
    return console.export_text().rstrip("\n")
