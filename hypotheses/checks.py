"""Checks of a structurally valid hypothesis against the registries' names and live checks.

Kept apart from the models because the names are not this package's knowledge: the engine
passes a `Catalog`, with the names and the checks that need the live code (build the world,
build or check each arm's proposer, the kind's own value check, the world's drivers). Each
problem is `(dotted field, reason)`; the reason lists the known names
so a typo is fixed from the message alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .catalog import Catalog, ParamsCheck, known
from .model import Hypothesis

Problem = tuple[str, str]

_CHECK_ERRORS = (ValueError, TypeError, OverflowError)
"""What a catalogue check may raise on a value it refuses (a TypeError from a check that met a
type it did not expect is still a refusal of the file, never a traceback)."""


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


def _world_problems(h: Hypothesis, catalog: Catalog) -> list[Problem]:
    """The world config (by building the world), then each arm's proposer in that world."""
    check = catalog.world_checks.get(h.world)
    if check is not None:
        try:
            check(h.world_config)
        except _CHECK_ERRORS as exc:
            return [("world_config", f"world {h.world!r} cannot be built: {exc}")]
    problems: list[Problem] = []
    if catalog.proposer_check is None:
        return problems
    for name in sorted(h.arms):
        arm = h.arms[name]
        if arm.proposer not in catalog.proposers:
            continue
        try:
            catalog.proposer_check(arm.proposer, h.world, h.world_config, arm.params)
        except _CHECK_ERRORS as exc:
            problems.append((f"arms.{name}.params", str(exc)))
    return problems


def _with_drivers(
    check: ParamsCheck | None, driver_params: frozenset[str], drivers: frozenset[str] | None
) -> ParamsCheck | None:
    """The kind's check, plus: every driver-naming parameter names a driver of the world."""
    if drivers is None or not driver_params:
        return check

    def combined(params: Mapping[str, Any]) -> None:
        for name in sorted(driver_params & set(params)):
            value = params[name]
            if not isinstance(value, str) or value not in drivers:
                raise ValueError(f"parameter {name!r}: unknown driver {value!r} {known(drivers)}")
        if check is not None:
            check(params)

    return combined


def catalog_problems(h: Hypothesis, catalog: Catalog) -> list[Problem]:
    """Every name in `h` that the catalog does not know, in a stable order, then the values
    (world config, proposer params, experiment params per cell and arm) when names are known."""
    problems: list[Problem] = []
    world_known = h.world in catalog.worlds
    if not world_known:
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
    names += _unknown_params("grid", h.param_axes(), info.params, h.experiment)
    for name in sorted(h.arms):
        names += _unknown_params(
            f"arms.{name}.overrides", h.arms[name].overrides, info.params, h.experiment
        )
    if names:
        return problems + names
    if world_known:
        names += _world_problems(h, catalog)
    check = _with_drivers(info.check, info.driver_params, catalog.drivers.get(h.world))
    if not names and check is not None:
        names += _value_problems(h, check)
    if h.search is not None and catalog.search_check is not None:
        names += [(f"search.{f}" if f else "search", r) for f, r in catalog.search_check(h.search)]
    return problems + names


def _value_problems(h: Hypothesis, check: ParamsCheck) -> list[Problem]:
    """The kind's own value check on every (cell, arm), each distinct reason reported once,
    at the field that introduced the bad value (an arm's overrides, the grid, or params)."""

    def passes(params: dict[str, Any]) -> bool:
        try:
            check(params)
        except _CHECK_ERRORS:
            return False
        return True

    problems: list[Problem] = []
    seen: set[str] = set()
    for cell in h.cells():
        for name in sorted(h.arms):
            overrides = h.arms[name].overrides
            try:
                check({**cell.params, **overrides})
            except _CHECK_ERRORS as exc:
                reason = str(exc)
                if reason in seen:
                    continue
                seen.add(reason)
                if overrides and passes(dict(cell.params)):
                    where = f"arms.{name}.overrides"
                elif h.param_axes() and passes(dict(h.params)):
                    where = "grid"
                else:
                    where = "params"
                problems.append((where, reason))
    return problems
