"""The load-time check of a `[search]` table against what the engine has registered.

`hypotheses` validates the table's shape; only the engine knows the proposer's parameters, the
controllers and the judge's denylist, so this check is handed to the loader through the
catalogue (`Catalog.search_check`). A file that fails it contributes nothing to the ledger.
"""

from __future__ import annotations

from typing import Any

from engine.search.space import judge_name
from hypotheses.search import Search


def proposer_defaults(name: str) -> dict[str, Any] | None:
    """The proposer's parameter table (None when it declares none)."""
    from proposers.registry import proposer_factory

    cls = proposer_factory(name)
    defaults = getattr(cls, "DEFAULTS", None)
    return dict(defaults) if defaults is not None else None


def search_problems(search: Search) -> list[tuple[str, str]]:
    from engine.search.registry import CONTROLLERS

    problems: list[tuple[str, str]] = []
    if search.controller not in CONTROLLERS:
        problems.append(
            (
                "controller",
                f"unknown controller {search.controller!r} "
                f"(known: {', '.join(sorted(CONTROLLERS))})",
            )
        )
    try:
        defaults = proposer_defaults(search.proposer)
    except (KeyError, ValueError, ImportError):
        return problems  # the unknown proposer is reported at arms.base.proposer
    for where, names in (("base", search.base), ("space", search.space)):
        for name in sorted(names):
            if judge_name(name):
                problems.append(
                    (f"{where}.{name}", f"{name!r} is a parameter of the judge, not a knob")
                )
            elif defaults is not None and name not in defaults:
                problems.append(
                    (
                        f"{where}.{name}",
                        f"{search.proposer} has no parameter {name!r} "
                        f"(known: {', '.join(sorted(defaults))})",
                    )
                )
    for name, knob in sorted(search.space.items()):
        if defaults is None or name not in defaults or not isinstance(knob, list):
            continue
        want = type(defaults[name])
        for value in knob:
            ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
            ok = ok or (want is float and isinstance(value, int) and not isinstance(value, bool))
            if not ok:
                problems.append((f"space.{name}", f"value {value!r} is not a {want.__name__}"))
                break
    return problems
