"""The null proposer (b0's floor): predicts that nothing happens.

Every true delta has at least a result edit, so the null proposer is wrong on every step that
changes anything; the loop with it measures what consultation alone buys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic

from proposers.base import Prediction
from proposers.registry import register_proposer, reject_params
from worlds.base import A, S, StepRecord, World


class NullProposer(Generic[S, A]):
    name = "null"

    def __init__(self, world: World[S, A], **params: Any) -> None:
        reject_params(self.name, params, frozenset())
        self.world = world

    def fit(self, trajectories: Sequence[Sequence[StepRecord[S, A]]], seed: int) -> None:
        """Nothing to learn."""

    def predict(self, state: S, action: A) -> Prediction:
        return Prediction((), 0.0)


register_proposer("null", NullProposer)
