"""The propose -> consult -> verify -> correct loop (the seed's runner, both worlds).

One rollout of T actions from s0:

1. The ground truth s_1..s_T is rolled by the oracle from s0 (the judge; no proposer sees it).
2. A coupled state s_hat starts at s0. At each step t the proposer predicts a delta and its
   signal u_t from (s_hat, a_t); pred = apply(s_hat, delta); cum += u_t.
3. It consults iff `calls < budget and (budget - calls >= T - t or policy(t, u_t, cum))`: the
   spend-down backstop forces the remaining consults at the end, so every policy makes exactly
   min(budget, T) consults and policies differ only in *when*.
4. On a consult (calls += 1, cum = 0), under full observation the oracle's successor of the
   coupled state O(s_hat, a_t) is revealed (|F| symbols) and the operator corrects (see
   `engine.rollout.operators`); under probe observation one host's view of that successor is
   revealed (its own symbol count) and the belief filter corrects. Otherwise s_hat = pred.
5. d_t = divergence(s_{t+1}, s_hat) after every step; H_eps is the first t with d_t > eps.

Everything is a pure function of the arguments: the proposer is the only object that may carry
state, and only `online=True` lets the loop change it (through `online_update`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic

from engine.rollout import operators as ops
from engine.rollout.policies import ConsultPolicy, Never, ProbePolicy, budget_for_rho, make_policy
from proposers.base import Prediction, Proposer
from worlds.base import A, Delta, PartiallyObservableWorld, S, World


class LoopError(ValueError):
    """A rollout that cannot run as asked (bad budget, a mode the world lacks, ...)."""


def faithful_horizon(divergences: Sequence[float], eps: float) -> int:
    """First t with d_t > eps (strict), else T. Later recovery does not count."""
    check_eps(eps)
    for t, d in enumerate(divergences):
        if d > eps:
            return t
    return len(divergences)


def check_eps(eps: float) -> float:
    if isinstance(eps, bool) or not isinstance(eps, int | float) or not 0.0 <= eps < math.inf:
        raise LoopError(f"eps must be a finite number >= 0, got {eps!r}")
    return float(eps)


@dataclass(frozen=True)
class Rollout(Generic[S]):
    """What one rollout measured.

    `states[t]` is the coupled state after step t and `truth[t]` the true s_{t+1}, so any
    further per-step metric (reachability faithfulness, ...) can be computed from the record.
    `operator_log` holds the operator's logged quantity per consult (empty for operators
    without one). `oracle_bits` is in symbols: |F(revealed state)| per full consult, the
    observation's own count per probe.
    """

    divergences: tuple[float, ...]
    schedule: tuple[bool, ...]
    signals: tuple[float, ...]
    budget: int
    oracle_bits: int
    operator_log: tuple[float, ...]
    states: tuple[S, ...]
    truth: tuple[S, ...]

    @property
    def steps(self) -> int:
        return len(self.divergences)

    @property
    def consults(self) -> int:
        return sum(self.schedule)

    def horizon(self, eps: float) -> int:
        return faithful_horizon(self.divergences, eps)

    @property
    def final_divergence(self) -> float:
        return self.divergences[-1] if self.divergences else 0.0

    @property
    def mean_divergence(self) -> float:
        return math.fsum(self.divergences) / len(self.divergences) if self.divergences else 0.0


def predict(proposer: Proposer[S, A], state: S, action: A) -> tuple[Delta, float]:
    """The proposer's delta and finite signal for one step (a clear error otherwise)."""
    prediction = proposer.predict(state, action)
    if not isinstance(prediction, Prediction):
        raise LoopError(
            f"proposer {getattr(proposer, 'name', proposer)!r} returned "
            f"{type(prediction).__name__}, not a Prediction"
        )
    signal = float(prediction.signal)
    if not math.isfinite(signal):
        raise LoopError(f"proposer {proposer.name!r} returned a non-finite signal {signal!r}")
    return tuple(prediction.delta), signal


def true_states(world: World[S, A], s0: S, actions: Sequence[A]) -> list[S]:
    """s_1..s_T: the oracle's trajectory from s0 (the judge's; no proposer sees it)."""
    truth: list[S] = []
    state = s0
    for action in actions:
        state = world.step(state, action).state
        truth.append(state)
    return truth


def world_hosts(world: World[Any, Any]) -> tuple[str, ...]:
    """The hosts a probe policy may choose from (the world's configured hosts)."""
    config = getattr(world, "config", None)
    hosts = getattr(config, "hosts", None)
    if hosts is None:
        raise LoopError(f"world {world.name!r} has no hosts to probe")
    return tuple(hosts)


def _check_modes(
    world: World[Any, Any], observation: str, operator: str, probe_policy: ProbePolicy | None
) -> None:
    if observation not in ops.OBSERVATIONS:
        raise LoopError(
            f"unknown observation {observation!r} (known: {', '.join(ops.OBSERVATIONS)})"
        )
    if observation == "full":
        ops.full_operator(operator)
        if probe_policy is not None:
            raise LoopError("a probe policy only applies to observation='probe'")
        return
    if not isinstance(world, PartiallyObservableWorld):
        raise LoopError(
            f"probe observation needs a partially observable world; {world.name!r} has no "
            "probe/belief_filter (only the network world does)"
        )
    ops.check_probe_operator(operator)
    if probe_policy is None:
        raise LoopError("observation='probe' needs a probe_policy (round_robin or random)")


def _check_budget(budget: int, steps: int) -> None:
    if isinstance(budget, bool) or not isinstance(budget, int) or not 0 <= budget <= steps:
        raise LoopError(f"budget must be an integer in [0, T={steps}], got {budget!r}")


def run_rollout(
    world: World[S, A],
    proposer: Proposer[S, A],
    s0: S,
    actions: Sequence[A],
    *,
    budget: int,
    policy: ConsultPolicy,
    operator: str = "full",
    observation: str = "full",
    probe_policy: ProbePolicy | None = None,
    online: bool = False,
) -> Rollout[S]:
    """One rollout (see the module note for the exact semantics)."""
    steps = len(actions)
    _check_budget(budget, steps)
    _check_modes(world, observation, operator, probe_policy)
    if online and observation != "full":
        raise LoopError("online updates need the full successor's delta: use observation='full'")
    update = getattr(proposer, "online_update", None) if online else None
    reset = getattr(proposer, "online_reset", None) if online else None
    if reset is not None:
        # Each rollout adapts from the fitted weights (the seed deep-copies per rollout), so
        # one rollout's online updates never leak into the next.
        reset()
    correct = ops.full_operator(operator) if observation == "full" else None
    hosts = world_hosts(world) if observation == "probe" else ()

    truth = true_states(world, s0, actions)
    s_hat = s0
    calls = bits = 0
    cum = 0.0
    divergences: list[float] = []
    schedule: list[bool] = []
    signals: list[float] = []
    log: list[float] = []
    states: list[S] = []
    for t, action in enumerate(actions):
        delta, signal = predict(proposer, s_hat, action)
        pred = world.apply(s_hat, delta)
        cum += signal
        consult = calls < budget and (budget - calls >= steps - t or policy(t, signal, cum))
        if consult:
            calls += 1
            cum = 0.0
            if correct is not None:
                consulted = world.step(s_hat, action)
                if update is not None:
                    update(s_hat, action, consulted.delta)
                fix = correct(world, pred, consulted.state, truth[t])
                bits += len(world.facts(fix.state if operator == "hard_reset" else consulted.state))
            else:
                assert probe_policy is not None and isinstance(world, PartiallyObservableWorld)
                host = probe_policy.choose(calls - 1, s_hat, hosts)
                obs = world.probe(s_hat, action, host)
                bits += int(obs.bits)
                fix = ops.belief_filter(world, pred, obs)
            s_hat = fix.state
            if fix.logged is not None:
                log.append(fix.logged)
        else:
            s_hat = pred
        divergences.append(float(world.divergence(truth[t], s_hat)))
        schedule.append(consult)
        signals.append(signal)
        states.append(s_hat)
    return Rollout(
        divergences=tuple(divergences),
        schedule=tuple(schedule),
        signals=tuple(signals),
        budget=budget,
        oracle_bits=bits,
        operator_log=tuple(log),
        states=tuple(states),
        truth=tuple(truth),
    )


def unaided_signals(
    world: World[S, A], proposer: Proposer[S, A], s0: S, actions: Sequence[A]
) -> list[float]:
    """The proposer's signals along its own unaided (rho = 0) rollout: the calibration data of
    the triggered policies (the seed recalibrates per rollout, on the same actions)."""
    return list(run_rollout(world, proposer, s0, actions, budget=0, policy=Never()).signals)


def run_at_rho(
    world: World[S, A],
    proposer: Proposer[S, A],
    s0: S,
    actions: Sequence[A],
    *,
    rho: float,
    policy: str = "fixed_interval",
    operator: str = "full",
    observation: str = "full",
    probe_policy: ProbePolicy | None = None,
    online: bool = False,
) -> Rollout[S]:
    """A rollout at consultation rate rho with a policy by name, calibrated as the seed does.

    The triggered policies read the proposer's unaided signals first; that calibration rollout
    consults nothing, so it never calls `online_update` and cannot change the proposer.
    """

    steps = len(actions)
    budget = budget_for_rho(rho, steps)
    signals = (
        unaided_signals(world, proposer, s0, actions)
        if policy in ("uncertainty", "drift")
        else None
    )
    chosen = make_policy(policy, rho, steps=steps, unaided_signals=signals)
    return run_rollout(
        world,
        proposer,
        s0,
        actions,
        budget=budget,
        policy=chosen,
        operator=operator,
        observation=observation,
        probe_policy=probe_policy,
        online=online,
    )
