"""`oracle_compare`: the control-plane (reachability) oracle against the data-plane oracle (EN10).

Teacher-forced along the held-out trajectory (the seed's EN10 protocol): at each true state
s_t the proposer predicts the delta of a_t and both oracles judge the prediction.

- data-plane error `dp`: the world's bits-to-correct of the predicted delta (bits);
- control-plane error `cp`: reachability entries of apply(s_t, pred) that differ from those
  of s_{t+1} (entries);
- `non_redundant_rate`: steps with cp > 0 and dp = 0 (the control plane catches what the data
  plane misses). R is a function of the state, so dp = 0 forces cp = 0: the seed found 0.000,
  necessarily; it is measured, not assumed;
- `cp_sufficient_rate`: steps with cp = 0 and dp > 0 (the delta is wrong, reachability right),
  over all steps, and `cp_sufficient_given_wrong` over the steps with dp > 0 (0 if none);
- `consult_cost_ratio`: mean over steps of |R(s_{t+1})| / |F(s_{t+1})|, a control-plane consult's
  cost relative to a full one.

Needs a world with reachability (the network).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.experiments import data
from engine.experiments.base import ExperimentError, TrialSpec
from engine.experiments.data import predictions
from engine.experiments.horizon_curve import TRAINING_PARAMS
from engine.experiments.params import Param, at_least, resolve, resolve_values
from engine.experiments.scoring import mean_or_zero
from worlds.base import ReachabilityWorld

NAME = "oracle_compare"

PARAMS: dict[str, Param] = {
    "steps": Param("steps", int, 24, at_least(1), doc="T, the held-out trajectory length"),
    "driver": Param("driver", str, "weighted", doc="driver of the held-out trajectory"),
    **TRAINING_PARAMS,
}


class OracleCompare:
    name = NAME
    params = frozenset(PARAMS)
    metrics = frozenset(
        {
            "data_plane_bits",
            "control_plane_entries",
            "non_redundant_rate",
            "cp_sufficient_rate",
            "cp_sufficient_given_wrong",
            "consult_cost_ratio",
            "train_examples",
        }
    )

    def validate(self, params: Mapping[str, Any]) -> None:
        """`ExperimentKind.validate`: the params table and the sealed training seeds."""
        data.training_spec(NAME, resolve_values(NAME, PARAMS, params))

    def run(self, spec: TrialSpec) -> dict[str, float]:
        p = resolve(NAME, PARAMS, spec)
        world = data.build_world(NAME, spec.world, spec.world_config)
        if not isinstance(world, ReachabilityWorld):
            raise ExperimentError(f"{NAME}: world {spec.world!r} has no control-plane oracle")
        train = data.training_spec(NAME, p)
        records = data.trajectory(NAME, world, p["driver"], data.eval_seed(spec.seed), p["steps"])
        proposer, examples = data.fitted_proposer(NAME, world, spec.arm, train, spec.seed)
        dp, cp, non_redundant, sufficient, ratio = [], [], [], [], []
        for record, pred in zip(records, predictions(proposer, records), strict=True):
            true_next = record.transition.state
            d = float(world.bits_to_correct(pred.delta, record.transition.delta))
            c = float(
                world.reachability_bits_to_correct(world.apply(record.state, pred.delta), true_next)
            )
            dp.append(d)
            cp.append(c)
            non_redundant.append(1.0 if c > 0 and d == 0 else 0.0)
            sufficient.append(1.0 if c == 0 and d > 0 else 0.0)
            ratio.append(
                len(world.reachability_matrix(true_next)) / max(world.full_bits(true_next), 1)
            )
        wrong = [s for s, d in zip(sufficient, dp, strict=True) if d > 0]
        return {
            "data_plane_bits": mean_or_zero(dp),
            "control_plane_entries": mean_or_zero(cp),
            "non_redundant_rate": mean_or_zero(non_redundant),
            "cp_sufficient_rate": mean_or_zero(sufficient),
            "cp_sufficient_given_wrong": mean_or_zero(wrong),
            "consult_cost_ratio": mean_or_zero(ratio),
            "train_examples": float(examples),
        }
