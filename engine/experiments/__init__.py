"""Experiment kinds by name: pure functions from a `TrialSpec` to metrics.

`EXPERIMENTS` maps each name a hypothesis file may use (`experiment = "..."`) to its kind;
`get_experiment(name)` is the lookup with a clear error. Each kind declares the parameters it
accepts and the metrics it returns (hypothesis validation checks both).
"""

from __future__ import annotations

from engine.experiments.base import ArmSpec, ExperimentError, ExperimentKind, TrialSpec
from engine.experiments.data import EVAL_SEED_OFFSET, eval_seed
from engine.experiments.horizon_curve import HorizonCurve
from engine.experiments.learned_kinds import LEARNED_KINDS
from engine.experiments.one_step import OneStep
from engine.experiments.ssl_kinds import SSL_KINDS

EXPERIMENTS: dict[str, ExperimentKind] = {kind.name: kind for kind in (HorizonCurve(), OneStep())}
EXPERIMENTS.update({kind.name: kind for kind in LEARNED_KINDS})
EXPERIMENTS.update({kind.name: kind for kind in SSL_KINDS})


def _search_kinds() -> tuple[ExperimentKind, ...]:
    """The configuration search's kinds (`engine.search`): the gate that scores one
    candidate, and a whole small search as one trial (for claims about controllers)."""
    from engine.search.compare import SearchCompare
    from engine.search.gate import ConfigSearchGate

    return (ConfigSearchGate(), SearchCompare())


EXPERIMENTS.update({kind.name: kind for kind in _search_kinds()})


def get_experiment(name: str) -> ExperimentKind:
    kind = EXPERIMENTS.get(name)
    if kind is None:
        raise ExperimentError(
            f"unknown experiment kind {name!r} (known: {', '.join(sorted(EXPERIMENTS))})"
        )
    return kind


__all__ = [
    "EVAL_SEED_OFFSET",
    "EXPERIMENTS",
    "ArmSpec",
    "ExperimentError",
    "ExperimentKind",
    "TrialSpec",
    "eval_seed",
    "get_experiment",
]
