"""Budget strings mean one obvious number of seconds, and format back to one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.ratchet.budget import BudgetError, format_seconds, parse_budget


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("24h", 86_400),
        ("1h30m", 5_400),
        ("2d", 172_800),
        ("1.5h", 5_400),
        (" 1h 30m ", 5_400),
        ("1H30M", 5_400),
        ("1d2h3m4s", 93_784),
    ],
)
def test_accepted_forms(text: str, seconds: float) -> None:
    assert parse_budget(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["", "15", "m", "15x", "1m1h", "1h1h", "0s", "0h0m", "-5m", "abc", "1h30", "400d", "h30m"],
)
def test_rejected_forms(text: str) -> None:
    with pytest.raises(BudgetError) as info:
        parse_budget(text)
    assert "\n" not in str(info.value)


@given(d=st.integers(0, 300), h=st.integers(0, 23), m=st.integers(0, 59), s=st.integers(0, 59))
def test_composed_budgets_sum_their_parts(d: int, h: int, m: int, s: int) -> None:
    parts = [(d, "d"), (h, "h"), (m, "m"), (s, "s")]
    text = "".join(f"{n}{u}" for n, u in parts if n)
    total = d * 86_400 + h * 3_600 + m * 60 + s
    if total == 0:
        with pytest.raises(BudgetError):
            parse_budget(text or "0s")
    else:
        assert parse_budget(text) == total


@given(st.integers(1, 365 * 86_400))
def test_format_round_trips_whole_seconds(seconds: int) -> None:
    assert parse_budget(format_seconds(seconds)) == pytest.approx(seconds, abs=0.5)


@given(st.text(max_size=12))
def test_arbitrary_text_parses_or_raises_budget_error(text: str) -> None:
    try:
        value = parse_budget(text)
    except BudgetError:
        return
    assert value > 0
