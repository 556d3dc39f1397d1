"""`residual_objective` (SPEC-8 H24): does training only on the residual the observation
leaves undecided beat plain likelihood on that residual?

One trial fits the arm's `graph_rssm` proposer (its `objective` = likelihood | residual and
`observed_fraction` are arm params, so the two arms differ only there) on the training
rollouts with the arm's `model_seed` (the trial seed when the arm has none), then reads it on
held-out rollouts from the sealed range selected by the trial seed s (`eval_trajectories`
at `eval_seed(s * E + j)`, as the other SSL kinds):

* `residual_token_accuracy` (upstream's H24 readout), `token_accuracy`, `residual_share`;
* the seed's pre-registered readout that upstream never computed: free-decoded
  `bits_to_correct` and `delta_exact` per held-out step, and `residual_bits_to_correct`,
  the bits of the residual edits alone (edits the observation does not decide), which is
  what the oracle cannot supply when it owns the decidable part at inference;
* H24's pre-registered headline, the faithful horizon when the oracle owns the decidable part
  at inference (`engine.rollout.oracle_decides`), on each held-out rollout from its first
  state: `faithful_horizon` (H_eps, steps, eps the `eps` param), `oracle_bits` (the decided
  facts the oracle handed over along the rollout) and `horizon_per_oracle_bit` (H / bits per
  rollout); beside them the same model's `unaided_horizon` (no oracle at all) and
  `oracle_d_horizon_gain` (faithful - unaided per rollout): what owning D at inference buys
  the model, the seed's "next variant". Each is the mean over the held-out rollouts.

Metrics as listed, plus `train_examples`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from engine.experiments import data, ssl_data
from engine.experiments.base import ExperimentError, TrialSpec
from engine.experiments.data import predictions
from engine.experiments.params import resolve
from engine.experiments.ssl_declared import RESIDUAL
from engine.rollout.loop import run_rollout
from engine.rollout.oracle_decides import run_oracle_decides
from engine.rollout.policies import Never
from proposers.graph_rssm.proposer import GraphRSSMProposer
from worlds.network.partition import is_decided, partition

NAME = RESIDUAL.name
PARAMS = RESIDUAL.table


class ResidualObjective:
    name = NAME
    params = RESIDUAL.params
    metrics = RESIDUAL.metrics

    def validate(self, params: Mapping[str, Any]) -> None:
        RESIDUAL.validate(params)

    def run(self, spec: TrialSpec) -> dict[str, float]:
        p = resolve(NAME, PARAMS, spec)
        if spec.arm.proposer != "graph_rssm":
            raise ExperimentError(f"{NAME}: arms must use proposer 'graph_rssm'")
        world = ssl_data.network_world(NAME, spec)
        train = data.training_spec(NAME, p)

        fitted, examples = data.fitted_proposer(NAME, world, spec.arm, train, spec.seed)
        if not isinstance(fitted, GraphRSSMProposer):  # the arm check above makes this hold
            raise ExperimentError(f"{NAME}: arms must use proposer 'graph_rssm'")
        proposer = fitted
        rollouts = ssl_data.heldout_rollouts(NAME, world, p, spec.seed)
        held = ssl_data.records(rollouts)
        overall, residual, share = proposer.residual_token_accuracy(held)
        preds = predictions(proposer, held)
        bits: list[float] = []
        resid_bits: list[float] = []
        exact: list[float] = []

        def undecided(delta: Any) -> list[Any]:
            return [e for e in delta if not is_decided(e, proposer.observed)]

        for pr, r in zip(preds, held, strict=True):
            true = tuple(r.transition.delta)
            bits.append(float(world.bits_to_correct(pr.delta, true)))
            exact.append(1.0 if world.delta_exact(pr.delta, true) else 0.0)
            resid_bits.append(float(world.bits_to_correct(undecided(pr.delta), undecided(true))))
        n = len(held)
        return {
            "residual_token_accuracy": residual if math.isfinite(residual) else 0.0,
            "token_accuracy": overall,
            "residual_share": share,
            "bits_to_correct": math.fsum(bits) / n,
            "residual_bits_to_correct": math.fsum(resid_bits) / n,
            "delta_exact": math.fsum(exact) / n,
            "train_examples": float(examples),
            **horizons(world, proposer, rollouts, p["eps"]),
        }


def horizons(
    world: Any,
    proposer: GraphRSSMProposer,
    rollouts: Sequence[tuple[int, list[Any]]],
    eps: float,
) -> dict[str, float]:
    """The horizon readouts (module note), each the mean over the held-out rollouts."""
    observed = proposer.observed

    def decides(edit: Any) -> bool:
        return is_decided(edit, observed)

    def revealed(state: Any) -> int:
        return len(partition(state, observed)[0])

    owned: list[float] = []
    alone: list[float] = []
    bits: list[float] = []
    per_bit: list[float] = []
    for _, recs in rollouts:
        s0, actions = recs[0].state, [r.action for r in recs]
        with_d = run_oracle_decides(
            world, proposer, s0, actions, decides=decides, revealed=revealed
        )
        unaided = run_rollout(world, proposer, s0, actions, budget=0, policy=Never())
        h = with_d.horizon(eps)
        owned.append(float(h))
        alone.append(float(unaided.horizon(eps)))
        bits.append(float(with_d.oracle_bits))
        per_bit.append(h / max(with_d.oracle_bits, 1))
    n = len(rollouts)
    return {
        "faithful_horizon": math.fsum(owned) / n,
        "unaided_horizon": math.fsum(alone) / n,
        "oracle_d_horizon_gain": math.fsum(o - a for o, a in zip(owned, alone, strict=True)) / n,
        "oracle_bits": math.fsum(bits) / n,
        "horizon_per_oracle_bit": math.fsum(per_bit) / n,
    }
