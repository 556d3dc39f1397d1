"""The proposer protocol: a world model that predicts an action's effect as a structured delta.

A proposer sees states and actions and returns deltas in the world's own edit types, so it can
be wrong but never malformed. It never sees the oracle: the loop decides when to consult, and
only then hands the proposer a true delta (for online updates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from worlds.base import Delta, StepRecord

S = TypeVar("S")
A = TypeVar("A")


@dataclass(frozen=True, slots=True)
class Prediction:
    """A predicted delta and the proposer's own uncertainty about it.

    `signal` is what uncertainty- and drift-triggered consultation policies read: higher means
    less sure (mean decode entropy for the learned proposers); 0.0 when the proposer has none.
    """

    delta: Delta
    signal: float = 0.0


class ProposerError(ValueError):
    """Bad proposer name or parameters (the message names the proposer and the parameter)."""


@runtime_checkable
class Proposer(Protocol[S, A]):
    """What the loop and the experiment kinds need of a world model of a `World[S, A]`."""

    name: str

    def fit(self, trajectories: Sequence[Sequence[StepRecord[S, A]]], seed: int) -> None:
        """Learn from oracle-labelled trajectories; deterministic given `seed`."""
        ...

    def predict(self, state: S, action: A) -> Prediction:
        """Predict the delta of `action` in `state`."""
        ...


@runtime_checkable
class OnlineProposer(Proposer[S, A], Protocol[S, A]):
    """A proposer that can learn from each consulted transition during a rollout (EN5 / H7)."""

    def online_update(self, state: S, action: A, true_delta: Sequence[Any]) -> None: ...
