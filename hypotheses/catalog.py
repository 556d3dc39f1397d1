"""The names a hypothesis may refer to, handed in by the engine.

`hypotheses` must not import the engine, the worlds or the proposers (imports flow the other
way), yet a file has to be checked against what really exists: so the engine builds a
`Catalog` from its registries and passes it to the loader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

ParamsCheck = Callable[[Mapping[str, Any]], None]
SearchCheck = Callable[[Any], list[tuple[str, str]]]
"""Checks a `[search]` table against the engine's registries (the proposer's parameters, the
controllers, the judge's denylist); returns (field inside `search`, reason) problems."""
"""Checks one arm's effective parameters in one cell; raises ValueError saying what is wrong."""

WorldCheck = Callable[[Mapping[str, Any]], None]
"""Builds (or otherwise checks) a world from a `[world_config]`; raises ValueError."""

ProposerCheck = Callable[[str, str, Mapping[str, Any], Mapping[str, Any]], None]
"""`check(proposer, world, world_config, params)`: can this arm's proposer be built with these
params in this world? Raises ValueError saying what is wrong."""


@dataclass(frozen=True)
class ExperimentInfo:
    """What one experiment kind accepts (`params`) and returns (`metrics`).

    `check`, when the kind has one, validates values (types, ranges, the sealed training seeds)
    so a file that could only fail at trial time is refused when it is loaded.
    """

    metrics: frozenset[str]
    params: frozenset[str]
    check: ParamsCheck | None = None
    driver_params: frozenset[str] = frozenset()
    """The parameters whose value names one of the world's drivers (`Catalog.drivers`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", frozenset(self.metrics))
        object.__setattr__(self, "params", frozenset(self.params))
        object.__setattr__(self, "driver_params", frozenset(self.driver_params))


def _frozen_experiments(
    experiments: Mapping[str, ExperimentInfo],
) -> Mapping[str, ExperimentInfo]:
    return MappingProxyType(dict(sorted(experiments.items())))


@dataclass(frozen=True)
class Catalog:
    """The registries' names: worlds, proposers, and each experiment kind's metrics/params."""

    worlds: frozenset[str]
    proposers: frozenset[str]
    experiments: Mapping[str, ExperimentInfo] = field(default_factory=dict)
    drivers: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """world -> the driver names it has (a world absent here has its drivers unchecked)."""
    world_checks: Mapping[str, WorldCheck] = field(default_factory=dict)
    """world -> the check of a `[world_config]` (by building the world)."""
    proposer_check: ProposerCheck | None = None
    """Builds each arm's proposer with its params, so a parameter it does not take, or a value
    it refuses, is a load-time error rather than a failure of every trial."""
    search_check: SearchCheck | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "worlds", frozenset(self.worlds))
        object.__setattr__(self, "proposers", frozenset(self.proposers))
        object.__setattr__(self, "experiments", _frozen_experiments(self.experiments))
        object.__setattr__(
            self,
            "drivers",
            MappingProxyType({k: frozenset(v) for k, v in sorted(self.drivers.items())}),
        )
        object.__setattr__(self, "world_checks", MappingProxyType(dict(self.world_checks)))


def known(names: Iterable[str]) -> str:
    """The `(known: a, b, c)` suffix of an unknown-name message, sorted for stable output."""
    listed = sorted(names)
    return f"(known: {', '.join(listed)})" if listed else "(none are registered)"
