"""`model_quality`: what a learned proposer knows one step ahead, and how long it lasts alone.

Made for EN4 / H11 (graph vs flat), whose seed protocol reports three readouts of the same
fitted model on the same held-out trajectory: the *teacher-forced* next-token accuracy (the
model's own training objective, read on held-out data; proposer-specific, so a proposer that
has no token model cannot be scored here and says so), the free-decode delta-exact rate along
the true trajectory, and the unaided (rho = 0) faithful horizon at eps 0, 0.05 and 0.1.

Metrics: `teacher_forced_accuracy`, `delta_exact`, `bits_to_correct` (teacher-forced steps),
`horizon_eps0`, `horizon_eps005`, `horizon_eps01` (one unaided rollout, scored per eps),
`mean_signal` (along the teacher-forced steps), `train_examples`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from engine.experiments import data
from engine.experiments.base import ExperimentError, TrialSpec
from engine.experiments.data import predictions
from engine.experiments.horizon_curve import TRAINING_PARAMS
from engine.experiments.params import Param, at_least, resolve, resolve_values
from engine.rollout.loop import run_at_rho

NAME = "model_quality"

PARAMS: dict[str, Param] = {
    "steps": Param("steps", int, 24, at_least(1), doc="T, the held-out trajectory length"),
    "driver": Param("driver", str, "weighted", doc="driver of the held-out trajectory"),
    **TRAINING_PARAMS,
}

HORIZON_EPS: dict[str, float] = {"horizon_eps0": 0.0, "horizon_eps005": 0.05, "horizon_eps01": 0.1}


class ModelQuality:
    name = NAME
    params = frozenset(PARAMS)
    metrics = frozenset(
        {
            "teacher_forced_accuracy",
            "delta_exact",
            "bits_to_correct",
            "mean_signal",
            "train_examples",
            *HORIZON_EPS,
        }
    )

    def validate(self, params: Mapping[str, Any]) -> None:
        """`ExperimentKind.validate`: the params table and the sealed training seeds."""
        data.training_spec(NAME, resolve_values(NAME, PARAMS, params))

    def run(self, spec: TrialSpec) -> dict[str, float]:
        p = resolve(NAME, PARAMS, spec)
        world = data.build_world(NAME, spec.world, spec.world_config)
        train = data.training_spec(NAME, p)
        records = data.trajectory(NAME, world, p["driver"], data.eval_seed(spec.seed), p["steps"])
        proposer, examples = data.fitted_proposer(NAME, world, spec.arm, train, spec.seed)
        token_accuracy = getattr(proposer, "token_accuracy", None)
        if token_accuracy is None:
            raise ExperimentError(
                f"{NAME}: proposer {spec.arm.proposer!r} has no token model, so no "
                "teacher-forced accuracy (use one_step for proposers without one)"
            )
        preds = predictions(proposer, records)
        exact = [
            1.0 if world.delta_exact(pr.delta, r.transition.delta) else 0.0
            for pr, r in zip(preds, records, strict=True)
        ]
        bits = [
            float(world.bits_to_correct(pr.delta, r.transition.delta))
            for pr, r in zip(preds, records, strict=True)
        ]
        rollout = run_at_rho(
            world, proposer, world.initial_state(), data.actions_of(records), rho=0.0
        )
        n = len(records)
        metrics = {
            "teacher_forced_accuracy": float(token_accuracy(records)),
            "delta_exact": math.fsum(exact) / n,
            "bits_to_correct": math.fsum(bits) / n,
            "mean_signal": math.fsum(pr.signal for pr in preds) / n,
            "train_examples": float(examples),
        }
        for metric, eps in HORIZON_EPS.items():
            metrics[metric] = float(rollout.horizon(eps))
        return metrics
