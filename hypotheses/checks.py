"""Checks of a structurally valid hypothesis against the registries' names.

Kept apart from the models because the names are not this package's knowledge: the engine
passes a `Catalog`. Each problem is `(dotted field, reason)`; the reason lists the known names
so a typo is fixed from the message alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from .catalog import Catalog, known
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
    problems += _unknown_params("params", h.params, info.params, h.experiment)
    problems += _unknown_params("grid", h.grid, info.params, h.experiment)
    for name in sorted(h.arms):
        problems += _unknown_params(
            f"arms.{name}.overrides", h.arms[name].overrides, info.params, h.experiment
        )
    return problems
