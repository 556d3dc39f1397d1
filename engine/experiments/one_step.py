"""`one_step`: teacher-forced one-step prediction along the true evaluation trajectory.

At each true state s_t of the sealed evaluation trajectory (see `data.py`) the proposer predicts
the delta of a_t; the state then follows the truth, never the prediction, so every step is
scored on its own. Metrics (means over the T steps):

- `token_accuracy`: field-token recall of the true delta (definition in `scoring.py`).
- `delta_exact`: rate of predictions equal to the true delta (the world's `delta_exact`).
- `bits_to_correct`: the world's bits-to-correct of the prediction.
- `mean_divergence`: d(apply(s_t, pred), s_{t+1}).
- `accuracy_at_eps`: rate of steps with that divergence <= eps.
- `train_examples`; and `mean_reachability_faithfulness` (network only) of apply(s_t, pred)
  against s_{t+1}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.experiments import data
from engine.experiments.base import TrialSpec
from engine.experiments.data import predictions
from engine.experiments.horizon_curve import REACHABILITY_METRICS, TRAINING_PARAMS
from engine.experiments.params import Param, at_least, in_range, resolve, resolve_values
from engine.experiments.scoring import mean_or_zero, token_accuracy
from worlds.base import ReachabilityWorld

NAME = "one_step"

PARAMS: dict[str, Param] = {
    "steps": Param("steps", int, 24, at_least(1), doc="T, the evaluation trajectory length"),
    "driver": Param("driver", str, "weighted", doc="driver of the evaluation trajectory"),
    "eps": Param("eps", float, 0.0, in_range(0.0, 1.0), doc="tolerance of accuracy_at_eps"),
    **TRAINING_PARAMS,
}

BASE_METRICS = frozenset(
    {
        "token_accuracy",
        "delta_exact",
        "bits_to_correct",
        "mean_divergence",
        "accuracy_at_eps",
        "train_examples",
    }
)


class OneStep:
    name = NAME
    params = frozenset(PARAMS)
    metrics = BASE_METRICS | REACHABILITY_METRICS
    """`mean_reachability_faithfulness` is returned only for worlds with reachability."""

    def validate(self, params: Mapping[str, Any]) -> None:
        """`ExperimentKind.validate`: the params table and the sealed training seeds."""
        data.training_spec(NAME, resolve_values(NAME, PARAMS, params))

    def run(self, spec: TrialSpec) -> dict[str, float]:
        p = resolve(NAME, PARAMS, spec)
        world = data.build_world(NAME, spec.world, spec.world_config)
        train = data.training_spec(NAME, p)
        records = data.trajectory(NAME, world, p["driver"], data.eval_seed(spec.seed), p["steps"])
        proposer, examples = data.fitted_proposer(NAME, world, spec.arm, train, spec.seed)
        preds = predictions(proposer, records)
        tokens, exact, bits, div, rf = [], [], [], [], []
        reach = world if isinstance(world, ReachabilityWorld) else None
        for record, pred in zip(records, preds, strict=True):
            true = record.transition.delta
            after = world.apply(record.state, pred.delta)
            tokens.append(token_accuracy(world, pred.delta, true))
            exact.append(1.0 if world.delta_exact(pred.delta, true) else 0.0)
            bits.append(float(world.bits_to_correct(pred.delta, true)))
            div.append(float(world.divergence(after, record.transition.state)))
            if reach is not None:
                rf.append(reach.reachability_faithfulness(record.transition.state, after))
        metrics = {
            "token_accuracy": mean_or_zero(tokens),
            "delta_exact": mean_or_zero(exact),
            "bits_to_correct": mean_or_zero(bits),
            "mean_divergence": mean_or_zero(div),
            "accuracy_at_eps": mean_or_zero([1.0 if d <= p["eps"] else 0.0 for d in div]),
            "train_examples": float(examples),
        }
        if reach is not None:
            metrics["mean_reachability_faithfulness"] = mean_or_zero(rf)
        return metrics
