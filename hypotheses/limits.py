"""Size and range limits on a hypothesis document, checked before the schema sees it.

The schema says what each field means; these limits say what any value, in any field, may
be, so a field added later (by this package or another) is as strict as the old ones without
saying so again. They exist because a pre-registration travels: into the ledger (64-bit
integer columns; PostgreSQL cannot store a NUL character in text or JSON), into the trial
processes, and into error messages. A value outside them would be accepted here and fail
later, after rows are written, or would make validation itself slow or unbounded.

The walk is iterative (no recursion, so depth cannot overflow the interpreter's stack) and
linear in the size of the document; it stops at the first violation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
"""Every integer in a hypothesis must fit a signed 64-bit ledger column."""

MAX_FILE_BYTES = 1_000_000
"""A hypothesis file is a page of TOML; the shipped ones are under 4 kB."""

MAX_DEPTH = 16
"""Tables and arrays nested deeper than this have no meaning in the format."""

MAX_NODES = 100_000
"""Values (tables, arrays, scalars) in one document."""

MAX_TEXT = 10_000
"""Characters in one string or key."""

MAX_SEEDS = 10_000
"""Seeds in `[seeds] initial`: n trials per arm and cell."""

MAX_SEED = 10**9
"""Seeds are below this, so the sealed evaluation seed (100000 + seed) and every library
that takes a seed (numpy, torch) stay in range."""

MAX_ARMS = 16
MAX_LEVERS = 64
MAX_CELLS = 1_000
"""Grid cells (the product of the grid's value counts)."""

MAX_TRIALS = 200_000
"""cells x arms x seeds: the trials one hypothesis version asks for."""

MAX_MESSAGE = 400
"""Characters in one error reason; longer ones are cut, saying so."""


class LimitError(ValueError):
    """A document outside the limits: `field` is the dotted path, `reason` says which limit."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _join(base: str, key: str | int) -> str:
    # A key that is not a TOML bare key is quoted as TOML would write it, so a key holding
    # a dot, a quote or a newline names one field and keeps the message on one line.
    if isinstance(key, int):
        return f"{base}[{key}]"
    text = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{base}.{text}" if base else text


def one_line(text: str) -> str:
    """`text` with every non-printable character (newline, tab, control) written as its
    escape, so a message built from a user's keys or values stays one printable line."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def _scalar(value: Any, where: str) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise LimitError(where, "integer out of range (a ledger stores signed 64-bit integers)")
    elif isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise LimitError(where, f"text of {len(value)} characters (at most {MAX_TEXT})")
        if "\x00" in value:
            raise LimitError(where, "text contains a NUL character, which a ledger cannot store")


def document_problem(data: Mapping[str, Any]) -> LimitError | None:
    """The first limit `data` breaks (depth, size, integer range, text), or None."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    nodes = 0
    while stack:
        value, where, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return LimitError("", f"more than {MAX_NODES} values in one hypothesis")
        if isinstance(value, Mapping | list | tuple):
            if depth >= MAX_DEPTH:
                return LimitError(where, f"nested more than {MAX_DEPTH} levels deep")
            if isinstance(value, Mapping):
                items: list[tuple[Any, Any]] = list(value.items())
            else:
                items = list(enumerate(value))
            for key, item in items:
                if isinstance(key, str):
                    try:
                        _scalar(key, _join(where, key[:40]))
                    except LimitError as exc:
                        return exc
                stack.append((item, _join(where, key), depth + 1))
            continue
        try:
            _scalar(value, where)
        except LimitError as exc:
            return exc
    return None


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` cut to at most `limit` characters, saying how much was left out (idempotent)."""
    if len(text) <= limit:
        return text
    keep = limit - 40
    return f"{text[:keep]}... ({len(text) - keep} more characters)"


def listing(values: list[Any], most: int = 10) -> str:
    """At most `most` values of a list, and how many more there are."""
    shown = ", ".join(repr(v) for v in values[:most])
    more = f", ... ({len(values) - most} more)" if len(values) > most else ""
    return f"[{shown}{more}]"
