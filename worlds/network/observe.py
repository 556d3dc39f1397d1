"""Partial observation: a one-host probe of the true successor, its cost, and the belief snap.

A full consultation reveals every fact of the successor and costs |F(s')| symbols. A probe of
host h reveals only h's local view of the successor: whether it exists, up/down, its services
and firewall, the links touching it and the flows it originates or terminates, at
`1 + |services| + |fw_deny| + |links| + |flows|` symbols (the clock and exit code are neither
revealed nor paid for). The belief filter snaps exactly that subgraph of a predicted state to
the observation and keeps the prediction everywhere else, clock and exit code included: a
deterministic snap, not a Bayesian update.
"""

from __future__ import annotations

from dataclasses import dataclass

from worlds.network.actions import NetAction
from worlds.network.oracle import step
from worlds.network.state import Flow, HostState, Link, NetState


@dataclass(frozen=True, slots=True)
class HostObservation:
    """The true local state of one host. An absent host reads `present=False`, all empty."""

    host: str
    present: bool
    up: bool
    services: tuple[int, ...]
    fw_deny: tuple[str, ...]
    links: frozenset[Link]
    flows: frozenset[Flow]

    @property
    def bits(self) -> int:
        """Symbols revealed: one for the host record plus one per listed item."""
        return 1 + len(self.services) + len(self.fw_deny) + len(self.links) + len(self.flows)


def observe_host(state: NetState, host: str) -> HostObservation:
    hs = state._hosts.get(host)
    if hs is None:
        return HostObservation(host, False, False, (), (), frozenset(), frozenset())
    links = frozenset((host, v) if host <= v else (v, host) for v in state.neighbours(host))
    flows = frozenset(f for f in state._flows if f[0] == host or f[1] == host)
    return HostObservation(host, True, hs.up, hs.services, hs.fw_deny, links, flows)


def probe(state: NetState, action: NetAction, host: str) -> HostObservation:
    """Step the oracle, reveal only `host`'s view of the successor."""
    return observe_host(step(state, action).state, host)


def full_bits(state: NetState) -> int:
    """Cost of a full consultation that returns `state`: one symbol per fact."""
    return state.fact_count


def belief_filter(pred: NetState, obs: HostObservation) -> NetState:
    """`pred` with the observed host's record, incident links and flows replaced by the truth.

    When the probed host is absent in truth, the prediction's record for it (if any) is kept,
    as in the seed; its links and flows are still replaced by the (empty) observed ones.
    """
    host = obs.host
    hosts = dict(pred._hosts)
    if obs.present:
        hosts[host] = HostState(obs.up, obs.services, obs.fw_deny)
    links = {link for link in pred.links if host not in link} | set(obs.links)
    flows = {f for f in pred._flows if f[0] != host and f[1] != host} | set(obs.flows)
    return NetState.build(hosts, links, flows, pred._clock, pred._last_exit)
