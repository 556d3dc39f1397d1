"""Wall-clock budgets as a person types them (`90s`, `15m`, `24h`, `1h30m`) and back.

Parsing is strict so every accepted string has one obvious meaning; the flow turns the parsed
seconds into a deadline, and the scheduler's decisions take the seconds left as a plain number.
"""

from __future__ import annotations

import re

_UNIT_SECONDS: dict[str, int] = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
MAX_BUDGET_SECONDS = 366 * 86_400
"""A year and a day: anything longer is a typo, not a research plan."""


class BudgetError(ValueError):
    """A budget string that does not parse (the message says what is accepted)."""


def parse_budget(text: str) -> float:
    """Seconds in a budget such as `90s`, `15m`, `24h`, `1h30m` or `2d`.

    Units must be written (a bare `15` is ambiguous: minutes? seconds?), each unit at most once
    and largest first, so every accepted string has one obvious meaning.
    """
    if not isinstance(text, str):
        raise BudgetError(f"budget must be text like '15m', got {type(text).__name__}")
    compact = text.strip().lower().replace(" ", "")
    if not compact:
        raise BudgetError("budget is empty; use e.g. 90s, 15m, 24h or 1h30m")
    pos = 0
    total = 0.0
    seen: list[str] = []
    for match in _PART.finditer(compact):
        if match.start() != pos:
            break
        value, unit = float(match.group(1)), match.group(2)
        if seen and _UNIT_SECONDS[unit] >= _UNIT_SECONDS[seen[-1]]:
            raise BudgetError(
                f"budget {text!r}: units must appear once each, largest first (e.g. 1h30m)"
            )
        seen.append(unit)
        total += value * _UNIT_SECONDS[unit]
        pos = match.end()
    if pos != len(compact) or not seen:
        raise BudgetError(
            f"budget {text!r} is not a duration; use a number with a unit: 90s, 15m, 24h, 1h30m, 2d"
        )
    if total <= 0:
        raise BudgetError(f"budget {text!r} must be longer than zero")
    if total > MAX_BUDGET_SECONDS:
        raise BudgetError(f"budget {text!r} is longer than a year; that is surely a typo")
    return total


def format_seconds(seconds: float) -> str:
    """The inverse shape of `parse_budget` for display (`5400` -> `1h30m`, `2.5` -> `2.5s`)."""
    if seconds < 0:
        raise ValueError(f"cannot format a negative duration {seconds!r}")
    if seconds < 60:
        return f"{seconds:.3g}s"
    whole = round(seconds)
    parts: list[str] = []
    for unit in ("d", "h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
