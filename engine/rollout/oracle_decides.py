"""A rollout in which the oracle owns the decidable part of every step (SPEC-8, H24).

H24's pre-registered readout is the faithful horizon per oracle bit when the partition is used
at inference: whatever the observation decides is taken from the oracle, and the model is only
ever trusted on the residual. The seed proposed it (and, after its smoke near-tie, "keep D in
the loss; the oracle owns D only at inference") but never computed it.

One rollout of T actions from s0, beside the truth s_1..s_T rolled by the oracle:

1. At step t the proposer predicts a delta from the coupled state s_hat and a_t.
2. The oracle steps s_hat with a_t. Its edits the observation decides replace the proposer's
   decided edits; the proposer's undecided edits are kept. s_hat becomes the coupled state with
   that merged delta applied. An edit is decided iff `decides(edit)` (for the network: every
   host it touches is observed, `worlds.network.partition`), so the decided facts of the new
   s_hat are the oracle's and the residual ones are the model's.
3. `revealed(successor)` symbols are charged for each step (for the network, |D| of the
   oracle's successor: the decided facts it hands over), summed into `oracle_bits`.
4. d_t = divergence(s_{t+1}, s_hat), as in the consulting loop, so `Rollout.horizon(eps)` is
   the same H_eps.

Edits over disjoint facts commute, and a decided edit and an undecided one never share a fact,
so the merged delta's order (decided first) does not change the state it produces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine.rollout.loop import Rollout, predict, true_states
from proposers.base import Proposer
from worlds.base import A, S, World


def run_oracle_decides(
    world: World[S, A],
    proposer: Proposer[S, A],
    s0: S,
    actions: Sequence[A],
    *,
    decides: Callable[[Any], bool],
    revealed: Callable[[S], int],
) -> Rollout[S]:
    """One rollout with the oracle supplying every decided edit (see the module note)."""
    truth = true_states(world, s0, actions)
    s_hat = s0
    bits = 0
    divergences: list[float] = []
    signals: list[float] = []
    states: list[S] = []
    for t, action in enumerate(actions):
        delta, signal = predict(proposer, s_hat, action)
        oracle = world.step(s_hat, action)
        merged = [e for e in oracle.delta if decides(e)] + [e for e in delta if not decides(e)]
        s_hat = world.apply(s_hat, merged)
        bits += int(revealed(oracle.state))
        divergences.append(float(world.divergence(truth[t], s_hat)))
        signals.append(signal)
        states.append(s_hat)
    steps = len(actions)
    return Rollout(
        divergences=tuple(divergences),
        schedule=(True,) * steps,
        signals=tuple(signals),
        budget=steps,
        oracle_bits=bits,
        operator_log=(),
        states=tuple(states),
        truth=tuple(truth),
    )
