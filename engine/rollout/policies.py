"""Consultation policies (when to ask the oracle) and probe policies (which host to ask about).

The budget, not the policy, fixes how many consults a rollout makes: the loop's spend-down
backstop forces the remaining consults once the steps left equal the budget left, so every
policy spends exactly floor(rho * T). What a policy decides is *when*; comparing policies at
one rho is therefore a fair comparison of timing alone (the seed's E2/EN2 design).

Policies are small frozen values: a rollout's consult schedule is a pure function of the
policy, the proposer's signals and the budget. Probe policies are stateless too: they are told
how many probes the rollout has made so far, so one policy object serves any number of
rollouts without carrying state from one into the next.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol, runtime_checkable


class PolicyError(ValueError):
    """A bad policy name, rate, threshold or calibration input (the message says which)."""


@runtime_checkable
class ConsultPolicy(Protocol):
    """Decides at step t, given the proposer's signal and the cumulative signal since the last
    consult (inclusive of this step), whether to consult (the budget permitting)."""

    @property
    def name(self) -> str: ...

    def __call__(self, t: int, signal: float, cumulative: float) -> bool: ...


@dataclass(frozen=True)
class Never:
    """Never asks on its own (the backstop may still spend a budget)."""

    name: str = "never"

    def __call__(self, t: int, signal: float, cumulative: float) -> bool:
        return False


@dataclass(frozen=True)
class FixedInterval:
    """Consults every k-th step, starting at step 0."""

    k: int
    name: str = "fixed_interval"

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise PolicyError(f"fixed_interval needs an integer k >= 1, got {self.k!r}")

    def __call__(self, t: int, signal: float, cumulative: float) -> bool:
        return t % self.k == 0


@dataclass(frozen=True)
class UncertaintyTriggered:
    """Consults when this step's signal exceeds tau (strictly)."""

    tau: float
    name: str = "uncertainty"

    def __post_init__(self) -> None:
        if math.isnan(self.tau):
            raise PolicyError("uncertainty tau must not be NaN")

    def __call__(self, t: int, signal: float, cumulative: float) -> bool:
        return signal > self.tau


@dataclass(frozen=True)
class DriftTriggered:
    """Consults when the signal accumulated since the last consult exceeds tau (strictly)."""

    tau: float
    name: str = "drift"

    def __post_init__(self) -> None:
        if math.isnan(self.tau):
            raise PolicyError("drift tau must not be NaN")

    def __call__(self, t: int, signal: float, cumulative: float) -> bool:
        return cumulative > self.tau


POLICY_NAMES: tuple[str, ...] = ("never", "fixed_interval", "uncertainty", "drift")


def check_rho(rho: float) -> float:
    """rho as a float in [0, 1], or a PolicyError."""
    if isinstance(rho, bool) or not isinstance(rho, int | float) or not 0.0 <= rho <= 1.0:
        raise PolicyError(f"rho must be a number in [0, 1], got {rho!r}")
    return float(rho)


def budget_for_rho(rho: float, steps: int) -> int:
    """floor(rho * T): the number of consults a rollout of T steps may make."""
    r = check_rho(rho)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise PolicyError(f"steps must be an integer >= 0, got {steps!r}")
    # Exact decimal arithmetic: in floats 0.29 * 100 is 28.999999999999996, and a budget one
    # short of its definition would make the spend-down guarantee false for such grids.
    return math.floor(Fraction(str(r)) * steps)


def fixed_interval_for_rho(rho: float) -> ConsultPolicy:
    """rho = 0 -> Never; else k = max(1, round(1 / rho)) with Python's banker's rounding."""
    r = check_rho(rho)
    if r == 0.0:
        return Never()
    return FixedInterval(max(1, round(1.0 / r)))


def uncertainty_tau(signals: Sequence[float], rho: float) -> float:
    """Nearest-rank (1 - rho) quantile of the unaided rollout's signals.

    Index round(q * (n - 1)) of the sorted signals, clamped to the range; with no signals the
    threshold is +inf (the policy then never asks and the backstop spends the budget).
    """
    r = check_rho(rho)
    values = _finite(signals, "uncertainty calibration")
    if not values:
        return math.inf
    ordered = sorted(values)
    n = len(ordered)
    index = min(n - 1, max(0, round((1.0 - r) * (n - 1))))
    return ordered[index]


def drift_tau(signals: Sequence[float], budget: int) -> float:
    """Total unaided signal divided by the budget (+inf with no budget): one consult per
    equal share of accumulated uncertainty."""
    values = _finite(signals, "drift calibration")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise PolicyError(f"budget must be an integer >= 0, got {budget!r}")
    if budget == 0:
        return math.inf
    return math.fsum(values) / budget


def _finite(signals: Sequence[float], what: str) -> list[float]:
    values = [float(s) for s in signals]
    if any(not math.isfinite(v) for v in values):
        raise PolicyError(f"{what}: signals must be finite numbers, got {values!r}")
    return values


def make_policy(
    name: str, rho: float, *, steps: int, unaided_signals: Sequence[float] | None = None
) -> ConsultPolicy:
    """A policy by name at rate rho, calibrated (for the triggered ones) on the signals of the
    proposer's own unaided (rho = 0) rollout of the same actions (the seed's E2/EN2 recipe)."""
    r = check_rho(rho)
    if name == "never":
        return Never()
    if name == "fixed_interval":
        return fixed_interval_for_rho(r)
    if name in ("uncertainty", "drift"):
        if unaided_signals is None:
            raise PolicyError(f"policy {name!r} needs the unaided rollout's signals to calibrate")
        if name == "uncertainty":
            return UncertaintyTriggered(uncertainty_tau(unaided_signals, r))
        return DriftTriggered(drift_tau(unaided_signals, budget_for_rho(r, steps)))
    raise PolicyError(f"unknown consultation policy {name!r} (known: {', '.join(POLICY_NAMES)})")


# --- probe policies (partial observation, network world) -----------------------------------


@runtime_checkable
class ProbePolicy(Protocol):
    """Chooses the host to probe from the coupled state before the action."""

    @property
    def name(self) -> str: ...

    def choose(self, probe_index: int, state: Any, hosts: Sequence[str]) -> str: ...


@dataclass(frozen=True)
class RoundRobinProbe:
    """Cycles through the hosts in order and wraps, one host per probe (starting at hosts[0])."""

    name: str = "round_robin"

    def choose(self, probe_index: int, state: Any, hosts: Sequence[str]) -> str:
        if not hosts:
            raise PolicyError("round_robin probe: the world has no hosts")
        return hosts[probe_index % len(hosts)]


@dataclass(frozen=True)
class RandomProbe:
    """A uniformly random host per probe, seeded: probe i of a rollout is a pure function of
    (seed, i), so replays and resumed runs probe the same hosts."""

    seed: int = 0
    name: str = "random"

    def choose(self, probe_index: int, state: Any, hosts: Sequence[str]) -> str:
        if not hosts:
            raise PolicyError("random probe: the world has no hosts")
        return random.Random(f"probe/{self.seed}/{probe_index}").choice(list(hosts))


PROBE_POLICY_NAMES: tuple[str, ...] = ("round_robin", "random")


def make_probe_policy(name: str, seed: int = 0) -> ProbePolicy:
    if name == "round_robin":
        return RoundRobinProbe()
    if name == "random":
        return RandomProbe(seed)
    raise PolicyError(f"unknown probe policy {name!r} (known: {', '.join(PROBE_POLICY_NAMES)})")
