"""Deterministic computer worlds: state, actions, the oracle, delta/apply, drivers and metrics.

`get_world(name, **config)` is the one entry point the rest of the engine uses; this package
imports nothing from the others (proposers, engine, ledger, hypotheses).
"""

from __future__ import annotations

from typing import Any

from worlds.base import (
    ActionParseError,
    DeltaFormatError,
    Driver,
    StepRecord,
    Transition,
    World,
)

WORLD_NAMES: tuple[str, ...] = ("filesystem", "network")


class UnknownWorldError(ValueError):
    """A world name the registry does not know (the message lists the known ones)."""


def get_world(name: str, **config: Any) -> Any:
    """Build a world by name. Config is world-specific (`hosts`, `ports` for the network)."""
    if name == "filesystem":
        from worlds.filesystem import FilesystemWorld

        return FilesystemWorld(**config)
    if name == "network":
        from worlds.network import NetworkWorld

        return NetworkWorld(**config)
    raise UnknownWorldError(f"unknown world {name!r}; known: {', '.join(WORLD_NAMES)}")


__all__ = [
    "WORLD_NAMES",
    "ActionParseError",
    "DeltaFormatError",
    "Driver",
    "StepRecord",
    "Transition",
    "UnknownWorldError",
    "World",
    "get_world",
]
