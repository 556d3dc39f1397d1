"""`horizon_curve`: one rollout at consultation rate rho, scored by the faithful horizon.

The eval actions come from the world's driver at the trial's sealed evaluation seed (see
`data.py`); the arm's proposer is fitted inside the trial on the training params; the rollout
follows the seed's runner (`engine.rollout.loop`). A hypothesis sweeps `rho` with a grid to draw the
H_eps(rho) curve, one verdict per cell.

Metrics:
- `horizon`: H_eps, the first step with d_t > eps (strict), else T; `normalized_horizon` = H/T.
- `consults` and `oracle_bits` (symbols revealed), `horizon_per_bit` = H / max(bits, 1).
- `mean_divergence`, `final_divergence` over the rollout.
- `train_examples`: transitions the proposer was fitted on (so matched arms are auditable).
- `mean_reachability_faithfulness` (worlds with a reachability matrix only, i.e. the network):
  the mean over steps of RF(s_{t+1}, s_hat_t).
- `competence_delta_exact` (only with `competence = true`): the fitted proposer's
  teacher-forced one-step exactness along the same held-out trajectory, the seed's K2
  competence measure, so a hypothesis can gate its verdict on the model being competent
  (`[gate]` in the file) instead of reading an incompetent model's curve as the loop's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from engine.experiments import data
from engine.experiments.base import ExperimentError, TrialSpec
from engine.experiments.params import Param, at_least, in_range, one_of, resolve, resolve_values
from engine.rollout.loop import LoopError, run_at_rho
from engine.rollout.operators import OBSERVATIONS, OPERATOR_NAMES, OperatorError
from engine.rollout.policies import (
    POLICY_NAMES,
    PROBE_POLICY_NAMES,
    PolicyError,
    ProbePolicy,
    make_probe_policy,
)
from worlds.base import A, ReachabilityWorld, S

NAME = "horizon_curve"

TRAINING_PARAMS: dict[str, Param] = {
    "train_driver": Param("train_driver", str, "weighted", doc="driver of the training data"),
    "train_seeds": Param("train_seeds", list, None, doc="training driver seeds (< 100_000)"),
    "train_trajectories": Param(
        "train_trajectories", int, None, at_least(0), doc="n -> training seeds 0..n-1"
    ),
    "train_steps": Param("train_steps", int, 40, at_least(1), doc="steps per trajectory"),
}

PARAMS: dict[str, Param] = {
    "rho": Param("rho", float, 0.0, in_range(0.0, 1.0), doc="consultation rate"),
    "eps": Param("eps", float, 0.0, in_range(0.0, 1.0), doc="divergence tolerance"),
    "steps": Param("steps", int, 24, at_least(1), doc="T, the rollout length"),
    "driver": Param("driver", str, "weighted", doc="driver of the eval actions"),
    "policy": Param("policy", str, "fixed_interval", one_of(*POLICY_NAMES)),
    "operator": Param("operator", str, "full", one_of(*OPERATOR_NAMES)),
    "observation": Param("observation", str, "full", one_of(*OBSERVATIONS)),
    "probe": Param("probe", str, "round_robin", one_of(*PROBE_POLICY_NAMES)),
    "online": Param("online", bool, False, doc="online_update on consulted transitions"),
    "competence": Param(
        "competence", bool, False, doc="also measure teacher-forced exactness (a gate)"
    ),
    **TRAINING_PARAMS,
}

BASE_METRICS = frozenset(
    {
        "horizon",
        "normalized_horizon",
        "consults",
        "oracle_bits",
        "horizon_per_bit",
        "mean_divergence",
        "final_divergence",
        "train_examples",
    }
)
REACHABILITY_METRICS = frozenset({"mean_reachability_faithfulness"})
COMPETENCE_METRICS = frozenset({"competence_delta_exact"})


def mean_reachability(
    world: ReachabilityWorld[S, A], truth: Sequence[S], states: Sequence[S]
) -> float:
    pairs = list(zip(truth, states, strict=True))
    if not pairs:
        return 1.0
    return math.fsum(world.reachability_faithfulness(t, s) for t, s in pairs) / len(pairs)


class HorizonCurve:
    name = NAME
    params = frozenset(PARAMS)
    metrics = BASE_METRICS | REACHABILITY_METRICS | COMPETENCE_METRICS
    """`mean_reachability_faithfulness` is returned only for worlds with reachability,
    `competence_delta_exact` only when `competence` is on."""

    def validate(self, params: Mapping[str, Any]) -> None:
        """`ExperimentKind.validate`: the params table and the sealed training seeds."""
        data.training_spec(NAME, resolve_values(NAME, PARAMS, params))

    def run(self, spec: TrialSpec) -> dict[str, float]:

        p = resolve(NAME, PARAMS, spec)
        world = data.build_world(NAME, spec.world, spec.world_config)
        train = data.training_spec(NAME, p)
        records = data.trajectory(NAME, world, p["driver"], data.eval_seed(spec.seed), p["steps"])
        probe: ProbePolicy | None = None
        if p["observation"] == "probe":
            probe = make_probe_policy(p["probe"], seed=spec.seed)
        proposer, examples = data.fitted_proposer(NAME, world, spec.arm, train, spec.seed)
        competence: float | None = None
        if p["competence"]:  # the fitted model, before any online update can change it
            exact = [
                1.0 if world.delta_exact(pred.delta, r.transition.delta) else 0.0
                for r, pred in zip(records, data.predictions(proposer, records), strict=True)
            ]
            competence = math.fsum(exact) / len(exact)
        try:
            rollout = run_at_rho(
                world,
                proposer,
                world.initial_state(),
                data.actions_of(records),
                rho=p["rho"],
                policy=p["policy"],
                operator=p["operator"],
                observation=p["observation"],
                probe_policy=probe,
                online=p["online"],
            )
        except (LoopError, PolicyError, OperatorError) as exc:
            raise ExperimentError(f"{NAME}: {exc}") from None
        horizon = rollout.horizon(p["eps"])
        metrics = {
            "horizon": float(horizon),
            "normalized_horizon": horizon / rollout.steps,
            "consults": float(rollout.consults),
            "oracle_bits": float(rollout.oracle_bits),
            "horizon_per_bit": horizon / max(rollout.oracle_bits, 1),
            "mean_divergence": rollout.mean_divergence,
            "final_divergence": rollout.final_divergence,
            "train_examples": float(examples),
        }
        if isinstance(world, ReachabilityWorld):
            metrics["mean_reachability_faithfulness"] = mean_reachability(
                world, rollout.truth, rollout.states
            )
        if competence is not None:
            metrics["competence_delta_exact"] = competence
        return metrics
