"""Correction operators: what a consultation does to the coupled state.

Under full observation the consult reveals the oracle's successor of the *coupled* state,
O(s_hat, a) (the seed's runner, kept as the default per the architecture decision: a consult
never repairs drift that happened earlier relative to the ground-truth rollout). The operators:

- `full`: s_hat <- O(s_hat, a). The seed's default correction.
- `hard_reset`: s_hat <- s_{t+1}, the TRUE successor: a named, stronger operator that also
  erases earlier drift; it is what makes rho = 1 give H = T for any proposer.
- `residual`, `projection`: return the full-consult state, as in the seed, and log their
  quantity (|F(pred) ^ F(consulted)| and d(pred, consulted)). Their horizons are identical to
  `full` by construction (the seed's H3 finding is exactly that identity), so they are logged
  diagnostics, not a comparison: the H3 file that compared them was retired for that reason
  (`hypotheses/retired/H3-frequency-fs.toml`), rather than inventing an operator the seed
  never built.
- `belief_filter` (probe observation only): snap the probed host's subgraph to the observation,
  keep the prediction elsewhere; logs d(pred, corrected).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic

from worlds.base import A, Obs, PartiallyObservableWorld, S, World


class OperatorError(ValueError):
    """An unknown operator, or one used with an observation mode it does not fit."""


@dataclass(frozen=True)
class Correction(Generic[S]):
    """The corrected coupled state, and the operator's logged quantity (None if it has none)."""

    state: S
    logged: float | None = None


FullOperator = Callable[[World[Any, Any], Any, Any, Any], Correction[Any]]
"""(world, pred, consulted successor O(s_hat, a), true successor s_{t+1}) -> Correction.

Each operator is generic in the world's state (`World[S, A]`, states `S`, a `Correction[S]`);
the table that holds them by name can only say `Any`."""


def _full(world: World[S, A], pred: S, consulted: S, true_next: S) -> Correction[S]:
    return Correction(consulted)


def _hard_reset(world: World[S, A], pred: S, consulted: S, true_next: S) -> Correction[S]:
    return Correction(true_next)


def _residual(world: World[S, A], pred: S, consulted: S, true_next: S) -> Correction[S]:
    residual = len(world.facts(pred) ^ world.facts(consulted))
    return Correction(consulted, float(residual))


def _projection(world: World[S, A], pred: S, consulted: S, true_next: S) -> Correction[S]:
    return Correction(consulted, float(world.divergence(pred, consulted)))


FULL_OPERATORS: dict[str, FullOperator] = {
    "full": _full,
    "hard_reset": _hard_reset,
    "residual": _residual,
    "projection": _projection,
}
PROBE_OPERATORS: tuple[str, ...] = ("belief_filter",)
OPERATOR_NAMES: tuple[str, ...] = (*FULL_OPERATORS, *PROBE_OPERATORS)
OBSERVATIONS: tuple[str, ...] = ("full", "probe")


def full_operator(name: str) -> FullOperator:
    """The full-observation operator by name."""
    if name in FULL_OPERATORS:
        return FULL_OPERATORS[name]
    if name in PROBE_OPERATORS:
        raise OperatorError(f"operator {name!r} corrects from a probe: use observation='probe'")
    raise OperatorError(f"unknown operator {name!r} (known: {', '.join(OPERATOR_NAMES)})")


def check_probe_operator(name: str) -> None:
    """Probe observation always corrects with the belief filter; `full` (the default operator
    name) is accepted as meaning "the observation mode's own correction"."""
    if name in ("full", "belief_filter"):
        return
    if name in FULL_OPERATORS:
        raise OperatorError(
            f"operator {name!r} needs the full successor; probe observation corrects with "
            "'belief_filter'"
        )
    raise OperatorError(f"unknown operator {name!r} (known: {', '.join(OPERATOR_NAMES)})")


def belief_filter(
    world: PartiallyObservableWorld[S, A, Obs], pred: S, observation: Obs
) -> Correction[S]:
    """Snap the observed host's subgraph of `pred` to the truth; log d(pred, corrected)."""
    corrected = world.belief_filter(pred, observation)
    return Correction(corrected, float(world.divergence(pred, corrected)))
