"""The names a hypothesis file may use, gathered from the live registries.

`hypotheses` validates files against a `Catalog` it is handed (it may not import the engine,
the worlds or the proposers); this is where the engine builds that catalogue from what is
really registered, so a file naming a proposer or metric that does not exist is refused at
load time, before anything reaches the ledger. The catalogue also carries the checks that
need the live code: a `[world_config]` is checked by building the world, an arm's params by
building its proposer in that world, and a driver-naming parameter against the world's
drivers, so nothing a trial would trip over is left for the trial to find.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from hypotheses import Catalog, ExperimentInfo, canonical_json


def driver_params(params: frozenset[str]) -> frozenset[str]:
    """The parameters that name a world driver: `driver` and every `*_driver` (the kinds'
    naming rule, see `engine.experiments.base.ExperimentKind.params`)."""
    return frozenset(p for p in params if p == "driver" or p.endswith("_driver"))


def _build_world(name: str, config: Mapping[str, Any]) -> Any:
    from worlds import get_world

    try:
        return get_world(name, **dict(config))
    except TypeError as exc:  # an unknown key or a value of the wrong type
        raise ValueError(str(exc)) from None


@lru_cache(maxsize=256)
def _proposer_ok(proposer: str, world: str, config_json: str, params_json: str) -> str | None:
    """Build the proposer once per distinct (proposer, world, config, params); the reason it
    cannot be built, or None. Cached because every lever child repeats its parent's arms."""
    import json

    from proposers import ProposerError, get_proposer

    built = _build_world(world, json.loads(config_json))
    try:
        get_proposer(proposer, built, **json.loads(params_json))
    except (ProposerError, TypeError, ValueError) as exc:
        return str(exc)
    return None


def check_proposer(
    proposer: str, world: str, config: Mapping[str, Any], params: Mapping[str, Any]
) -> None:
    """`Catalog.proposer_check`: raises ValueError when the arm's proposer cannot be built.

    The torch proposers (and the baselines) are checked against their tables in
    `proposers.params`, without importing torch; any other registered proposer is built."""
    from proposers import ProposerError
    from proposers.params import PARAM_SPECS

    spec = PARAM_SPECS.get(proposer)
    if spec is not None:
        try:
            spec.check(world, params)
        except ProposerError as exc:
            raise ValueError(str(exc)) from None
        return
    reason = _proposer_ok(proposer, world, canonical_json(dict(config)), canonical_json(params))
    if reason is not None:
        raise ValueError(reason)


def _world_check(name: str) -> Any:
    def check(config: Mapping[str, Any]) -> None:
        _build_world(name, config)

    return check


def build_catalog() -> Catalog:
    from engine.experiments import EXPERIMENTS
    from engine.search.checks import search_problems
    from proposers import proposer_names
    from worlds import WORLD_NAMES, get_world

    return Catalog(
        worlds=frozenset(WORLD_NAMES),
        proposers=frozenset(proposer_names()),
        experiments={
            name: ExperimentInfo(
                metrics=frozenset(kind.metrics),
                params=frozenset(kind.params),
                check=kind.validate,
                driver_params=driver_params(frozenset(kind.params)),
            )
            for name, kind in EXPERIMENTS.items()
        },
        drivers={name: frozenset(get_world(name).driver_names()) for name in WORLD_NAMES},
        world_checks={name: _world_check(name) for name in WORLD_NAMES},
        proposer_check=check_proposer,
        search_check=search_problems,
    )
