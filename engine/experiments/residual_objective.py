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
  what the oracle cannot supply when it owns the decidable part at inference.

Metrics as listed, plus `train_examples`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from engine.experiments import data, ssl_data
from engine.experiments.base import ExperimentError, TrialSpec
from engine.experiments.data import predictions
from engine.experiments.params import resolve
from engine.experiments.ssl_declared import RESIDUAL
from proposers.graph_rssm.proposer import GraphRSSMProposer
from worlds.network.partition import edit_hosts, is_decidable

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
        held = ssl_data.records(ssl_data.heldout_rollouts(NAME, world, p, spec.seed))
        overall, residual, share = proposer.residual_token_accuracy(held)
        preds = predictions(proposer, held)
        bits: list[float] = []
        resid_bits: list[float] = []
        exact: list[float] = []
        for pr, r in zip(preds, held, strict=True):
            true = tuple(r.transition.delta)
            bits.append(float(world.bits_to_correct(pr.delta, true)))
            exact.append(1.0 if world.delta_exact(pr.delta, true) else 0.0)

            def undecided(delta: Any) -> list[Any]:
                return [e for e in delta if not is_decidable(edit_hosts(e), proposer.observed)]

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
        }
