"""What an experiment kind is: a pure function from (world, params, arm, seed) to metrics.

A trial is one call. Because it is pure, a trial replays exactly from its ledger row, it is the
unit of parallelism, and a resumed run can skip it by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ArmSpec:
    """One arm of a hypothesis: a proposer by registry name and its parameters.

    `overrides` replaces experiment parameters for this arm only: arms that share a proposer
    but differ in the loop (a consultation policy, an operator, probe vs full observation) are
    compared this way, paired on the same seeds.
    """

    proposer: str
    params: Mapping[str, Any] = field(default_factory=dict)
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialSpec:
    """Everything a trial depends on, as plain values (this is what the ledger stores).

    `model_seed` is set when the file declares model seeds: the arm's own `model_seed`
    parameter already carries it to the proposer; here it names the fitted model the trial
    belongs to, so the verdict can resample models (None: one level, evaluation seeds only).
    """

    world: str
    world_config: Mapping[str, Any]
    experiment: str
    params: Mapping[str, Any]
    arm: ArmSpec
    seed: int
    model_seed: int | None = None


class ExperimentError(ValueError):
    """Bad experiment parameters (the message names the kind, the parameter and the reason)."""


class ExperimentKind(Protocol):
    """An experiment kind registered by name, so a hypothesis file can say `experiment = "..."`."""

    name: str

    @property
    def metrics(self) -> frozenset[str]:
        """Every metric name `run` returns (validation checks `effect.metric` against it)."""
        ...

    @property
    def params(self) -> frozenset[str]:
        """The parameter names `run` accepts in `params` (anything else is a validation error).
        A parameter named `driver` or `*_driver` names one of the world's drivers, and the
        catalogue checks its value against them (`engine.experiments.catalog`)."""
        ...

    def validate(self, params: Mapping[str, Any]) -> None:
        """Check one arm's effective params (names, types, ranges, sealed training seeds)
        without running anything; raise ExperimentError. The loader calls it on every cell and
        arm, so a file that could only fail at trial time is refused before the ledger sees it."""
        ...

    def run(self, spec: TrialSpec) -> dict[str, float]:
        """Run one trial. Pure: same spec, same metrics, in any process."""
        ...
