"""The names a hypothesis file may use, gathered from the live registries.

`hypotheses` validates files against a `Catalog` it is handed (it may not import the engine,
the worlds or the proposers); this is where the engine builds that catalogue from what is
really registered, so a file naming a proposer or metric that does not exist is refused at
load time, before anything reaches the ledger.
"""

from __future__ import annotations

from hypotheses import Catalog, ExperimentInfo


def build_catalog() -> Catalog:
    from engine.experiments import EXPERIMENTS
    from engine.search.checks import search_problems
    from proposers import proposer_names
    from worlds import WORLD_NAMES

    return Catalog(
        worlds=frozenset(WORLD_NAMES),
        proposers=frozenset(proposer_names()),
        experiments={
            name: ExperimentInfo(
                metrics=frozenset(kind.metrics),
                params=frozenset(kind.params),
                check=kind.validate,
            )
            for name, kind in EXPERIMENTS.items()
        },
        search_check=search_problems,
    )
