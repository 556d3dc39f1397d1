"""`NetworkWorld`: the network's oracle, codecs, drivers and metrics behind `worlds.base.World`.

The world object is a thin, stateless facade over the pure functions of this package; its
only data is the config (which hosts and ports the drivers use). Two worlds with the same
config are interchangeable, and every method is a pure function of its arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from worlds.base import (
    ActionParseError,
    PartiallyObservableWorld,
    ReachabilityWorld,
    StepRecord,
    Transition,
)
from worlds.network import metrics, observe, reach, serialize
from worlds.network.actions import NetAction, parse_action
from worlds.network.apply import apply
from worlds.network.config import DEFAULT_HOSTS, DEFAULT_PORTS, NetConfig, make_config
from worlds.network.drivers import DRIVER_NAMES, NetDriver
from worlds.network.edits import NetEdit
from worlds.network.oracle import step
from worlds.network.state import NetState

ORACLE_VERSION = "net-ref-1+canonical-links"
"""The seed's reference oracle ("net-ref-1"), with link edits stored as sorted pairs."""


def _require_state(state: Any) -> NetState:
    if not isinstance(state, NetState):
        raise TypeError(f"not a network state: {type(state).__name__}")
    return state


def _require_action(action: Any) -> NetAction:
    if not isinstance(action, NetAction):
        raise ActionParseError(
            repr(action), f"not a parsed network action: {type(action).__name__}"
        )
    return action


class NetworkWorld(
    PartiallyObservableWorld[NetState, NetAction, observe.HostObservation],
    ReachabilityWorld[NetState, NetAction],
):
    """The SPEC-5 v0 network: hosts, links, services, a source-deny firewall, flows, a clock."""

    name = "network"
    oracle_version = ORACLE_VERSION

    def __init__(self, hosts: int = DEFAULT_HOSTS, ports: int = DEFAULT_PORTS) -> None:
        self.config: NetConfig = make_config(hosts, ports)

    def __repr__(self) -> str:
        return f"NetworkWorld(hosts={len(self.config.hosts)}, ports={len(self.config.ports)})"

    @property
    def config_hash(self) -> str:
        return self.config.config_hash

    # --- states and actions ------------------------------------------------------------------

    def initial_state(self) -> NetState:
        return NetState.initial(self.config.hosts)

    def parse_action(self, text: str) -> NetAction:
        return parse_action(text)

    def action_text(self, action: NetAction) -> str:
        return _require_action(action).text

    def action_command(self, action: NetAction) -> str:
        return _require_action(action).command

    def action_args(self, action: NetAction) -> tuple[str, ...]:
        return _require_action(action).args

    # --- the oracle and apply ----------------------------------------------------------------

    def step(self, state: NetState, action: NetAction) -> Transition[NetState]:
        return step(_require_state(state), _require_action(action))

    def apply(self, state: NetState, delta: Sequence[NetEdit]) -> NetState:
        return apply(state, delta)

    # --- metrics -----------------------------------------------------------------------------

    def facts(self, state: NetState) -> frozenset[Any]:
        return metrics.facts(state)

    def divergence(self, a: NetState, b: NetState) -> float:
        return metrics.divergence(a, b)

    def delta_exact(self, pred: Sequence[NetEdit], true: Sequence[NetEdit]) -> bool:
        return metrics.delta_exact(pred, true)

    def bits_to_correct(self, pred: Sequence[NetEdit], true: Sequence[NetEdit]) -> float:
        return metrics.bits_to_correct(pred, true)

    # --- serialization -----------------------------------------------------------------------

    def to_json(self, state: NetState) -> str:
        return serialize.state_to_json(state)

    def from_json(self, text: str) -> NetState:
        return serialize.state_from_json(text)

    def delta_to_dicts(self, delta: Sequence[NetEdit]) -> list[dict[str, Any]]:
        return serialize.delta_to_dicts(delta)

    def delta_from_dicts(self, dicts: Sequence[dict[str, Any]]) -> tuple[NetEdit, ...]:
        return serialize.delta_from_dicts(dicts)

    def delta_to_json(self, delta: Sequence[NetEdit]) -> str:
        return serialize.delta_to_json(delta)

    def delta_from_json(self, text: str) -> tuple[NetEdit, ...]:
        return serialize.delta_from_json(text)

    # --- data generation ---------------------------------------------------------------------

    def driver(self, name: str, seed: int) -> NetDriver:
        return NetDriver(name, seed, self.config)

    def driver_names(self) -> tuple[str, ...]:
        return DRIVER_NAMES

    def trajectory(
        self, driver: str, seed: int, steps: int
    ) -> list[StepRecord[NetState, NetAction]]:
        """Roll the oracle from the initial state under a fresh driver: pure in its arguments."""
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be a non-negative int, got {steps!r}")
        policy = self.driver(driver, seed)
        state = self.initial_state()
        records: list[StepRecord[NetState, NetAction]] = []
        for _ in range(steps):
            action = policy.sample(state)
            transition = step(state, action)
            records.append(StepRecord(state, action, transition))
            state = transition.state
        return records

    # --- network extras: reachability, partial observation, the control plane ---------------

    def reachability_matrix(self, state: NetState) -> dict[tuple[str, str, int], bool]:
        return reach.reachability_matrix(state)

    def reachability_faithfulness(self, a: NetState, b: NetState) -> float:
        return reach.reachability_faithfulness(a, b)

    def full_bits(self, state: NetState) -> int:
        return observe.full_bits(state)

    def observe_host(self, state: NetState, host: str) -> observe.HostObservation:
        return observe.observe_host(state, host)

    def probe(self, state: NetState, action: NetAction, host: str) -> observe.HostObservation:
        return observe.probe(_require_state(state), _require_action(action), host)

    def belief_filter(self, pred: NetState, observation: observe.HostObservation) -> NetState:
        return observe.belief_filter(pred, observation)

    def control_plane(self, state: NetState, action: NetAction) -> reach.ControlPlaneResult:
        return reach.control_plane(_require_state(state), _require_action(action))

    def reachability_bits_to_correct(self, pred: NetState, true: NetState) -> int:
        return reach.reachability_bits_to_correct(pred, true)
