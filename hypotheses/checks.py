"""Checks of a structurally valid hypothesis against the registries' names.

Kept apart from the models because the names are not this package's knowledge: the engine
passes a `Catalog`. Each problem is `(dotted field, reason)`; the reason lists the known names
so a typo is fixed from the message alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .catalog import Catalog, ParamsCheck, known
from .model import Hypothesis

Problem = tuple[str, str]


def _unknown_params(
    where: str, names: Iterable[str], allowed: frozenset[str], experiment: str
) -> list[Problem]:
    return [
        (
            f"{where}.{name}",
            f"unknown parameter {name!r} for experiment {experiment!r} {known(allowed)}",
        )
        for name in sorted(names)
        if name not in allowed
    ]


def catalog_problems(h: Hypothesis, catalog: Catalog) -> list[Problem]:
    """Every name in `h` that the catalog does not know, in a stable order."""
    problems: list[Problem] = []
    if h.world not in catalog.worlds:
        problems.append(("world", f"unknown world {h.world!r} {known(catalog.worlds)}"))
    for name in sorted(h.arms):
        proposer = h.arms[name].proposer
        if proposer not in catalog.proposers:
            problems.append(
                (
                    f"arms.{name}.proposer",
                    f"unknown proposer {proposer!r} {known(catalog.proposers)}",
                )
            )
    info = catalog.experiments.get(h.experiment)
    if info is None:
        problems.append(
            (
                "experiment",
                f"unknown experiment kind {h.experiment!r} {known(catalog.experiments)}",
            )
        )
        return problems
    if h.effect.metric not in info.metrics:
        problems.append(
            (
                "effect.metric",
                f"unknown metric {h.effect.metric!r} for experiment {h.experiment!r} "
                f"{known(info.metrics)}",
            )
        )
    if h.gate is not None and h.gate.metric not in info.metrics:
        problems.append(
            (
                "gate.metric",
                f"unknown metric {h.gate.metric!r} for experiment {h.experiment!r} "
                f"{known(info.metrics)}",
            )
        )
    names = _unknown_params("params", h.params, info.params, h.experiment)
    names += _unknown_params("grid", h.grid, info.params, h.experiment)
    for name in sorted(h.arms):
        names += _unknown_params(
            f"arms.{name}.overrides", h.arms[name].overrides, info.params, h.experiment
        )
    if not names and info.check is not None:
        names += _value_problems(h, info.check)
    if h.search is not None and catalog.search_check is not None:
        names += [(f"search.{f}" if f else "search", r) for f, r in catalog.search_check(h.search)]
    return problems + names


def _value_problems(h: Hypothesis, check: ParamsCheck) -> list[Problem]:
    """The kind's own value check on every (cell, arm), each distinct reason reported once,
    at the field that introduced the bad value (an arm's overrides, the grid, or params)."""

    def passes(params: dict[str, Any]) -> bool:
        try:
            check(params)
        except ValueError:
            return False
        return True

    problems: list[Problem] = []
    seen: set[str] = set()
    for cell in h.cells():
        for name in sorted(h.arms):
            overrides = h.arms[name].overrides
            try:
                check({**cell.params, **overrides})
            except ValueError as exc:
                reason = str(exc)
                if reason in seen:
                    continue
                seen.add(reason)
                if overrides and passes(dict(cell.params)):
                    where = f"arms.{name}.overrides"
                elif cell.values and passes(dict(h.params)):
                    where = "grid"
                else:
                    where = "params"
                problems.append((where, reason))
    return problems
