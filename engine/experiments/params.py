"""Experiment parameters: one declared table per kind, checked by name, type and range.

A hypothesis file is a contract; a misspelt parameter must fail validation, not silently fall
back to a default. So every kind declares its parameters, `resolve` merges the arm's overrides
over the hypothesis params, rejects unknown names, checks types (an int is accepted where a
float is expected; a bool is never an int) and ranges, and fills the defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.experiments.base import ArmSpec, ExperimentError, TrialSpec

Check = Callable[[Any], str | None]
"""Returns the reason a value is bad, or None."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: type
    default: Any
    check: Check | None = None
    doc: str = ""


def _typed(kind: type, value: Any) -> tuple[bool, Any]:
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False, value
        return True, float(value)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if kind is list:
        return isinstance(value, list | tuple), list(value) if isinstance(
            value, list | tuple
        ) else value
    return isinstance(value, kind), value


def resolve(experiment: str, table: Mapping[str, Param], spec: TrialSpec) -> dict[str, Any]:
    """The effective parameters of one trial: defaults <- hypothesis params <- arm overrides."""
    given = {**dict(spec.params), **dict(spec.arm.overrides)}
    unknown = sorted(set(given) - set(table))
    if unknown:
        raise ExperimentError(
            f"{experiment}: unknown parameter(s) {unknown} (known: {', '.join(sorted(table))})"
        )
    out: dict[str, Any] = {}
    for name, param in table.items():
        if name not in given:
            out[name] = param.default
            continue
        ok, value = _typed(param.kind, given[name])
        if not ok:
            raise ExperimentError(
                f"{experiment}: parameter {name!r} must be {param.kind.__name__}, "
                f"got {given[name]!r}"
            )
        reason = param.check(value) if param.check is not None else None
        if reason is not None:
            raise ExperimentError(f"{experiment}: parameter {name!r} {reason}, got {value!r}")
        out[name] = value
    return out


def resolve_values(
    experiment: str, table: Mapping[str, Param], params: Mapping[str, Any]
) -> dict[str, Any]:
    """`resolve` for effective params alone (no trial yet): what a kind's `validate` checks."""
    return resolve(experiment, table, TrialSpec("", {}, experiment, dict(params), ArmSpec(""), 0))


def in_range(low: float, high: float) -> Check:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be in [{low:g}, {high:g}]"

    return check


MAX_COUNT = 1_000_000
"""The largest value of any count parameter (steps, examples, branches): larger ones are
sizes no trial can allocate or finish, refused when the file is loaded."""


def at_least(low: int, high: int = MAX_COUNT) -> Check:
    """A count: at least `low` and at most `high` (a sane size)."""

    def check(value: Any) -> str | None:
        if value < low:
            return f"must be >= {low}"
        return None if value <= high else f"must be <= {high}"

    return check


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check
