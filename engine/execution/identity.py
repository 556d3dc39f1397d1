"""What code a trial's result depends on: the release, the world's oracle and the source hash.

Kept apart from `engine.execution.trials` (which plans trials from hypothesis files and so
imports the experiment kinds) so that an experiment kind, such as the search's gate, can name
the code it scores under without importing the kinds' registry back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from engine.execution.source_hash import source_hash
from hypotheses import canonical_json

DISTRIBUTION = "verisim-engine"


@cache
def engine_version() -> str:
    """The installed distribution's version (part of every trial key)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # pragma: no cover - a source tree without an install
        return "0+unknown"


@cache
def oracle_version(world: str, config_json: str) -> str:
    """The oracle version of a world built from its config (cached: building is cheap but
    a run asks for the same few worlds thousands of times)."""
    from worlds import get_world

    config = json.loads(config_json)
    if not isinstance(config, dict):
        raise ValueError(f"world config must be a JSON object, got {type(config).__name__}")
    built = get_world(world, **config)
    return str(built.oracle_version)


def code_version(world: str, world_config: Mapping[str, Any], src: str | None = None) -> str:
    """What code a trial's result depends on: the engine release, the world's oracle and the
    hash of the source a trial executes (so an edit between releases still changes keys).
    `src` is that hash when the caller already holds it (default: this process's)."""
    oracle = oracle_version(world, canonical_json(dict(world_config)))
    src = source_hash() if src is None else src
    return f"{DISTRIBUTION}/{engine_version()}+{world}-oracle/{oracle}+src/{src}"
