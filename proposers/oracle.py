"""The oracle-backed proposer (the ceiling): predicts the oracle's own delta.

It is the one proposer allowed to call `world.step`; with it the loop never drifts, which is
the sanity check on the loop and the metrics, not a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic

from proposers.base import Prediction
from proposers.registry import register_proposer, reject_params
from worlds.base import A, S, StepRecord, World


class OracleProposer(Generic[S, A]):
    name = "oracle"

    def __init__(self, world: World[S, A], **params: Any) -> None:
        reject_params(self.name, params, frozenset())
        self.world = world

    def fit(self, trajectories: Sequence[Sequence[StepRecord[S, A]]], seed: int) -> None:
        """Nothing to learn: the oracle is exact."""

    def predict(self, state: S, action: A) -> Prediction:
        return Prediction(tuple(self.world.step(state, action).delta), 0.0)


register_proposer("oracle", OracleProposer)
