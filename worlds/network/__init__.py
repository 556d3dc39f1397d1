"""The network world (SPEC-5 v0): a typed graph of hosts, links, services, firewall and flows.

`NetworkWorld(hosts=N, ports=P)` is the entry point (`worlds.get_world("network", ...)`); the
modules underneath are pure functions over immutable states:

    config      world size, host ids h0..h{N-1}, the seed's port pool, config hash
    state       HostState, NetState (shared host map, adjacency, cached components)
    components  incremental connected components of the live graph
    edits       the twelve edits and their tagged-dict form (link edits stored sorted)
    apply       apply(state, delta), total and copy-on-write
    actions     the action grammar
    oracle      step(state, action): exit codes 0/1/2, reachability, the lazy flow drop
    serialize   the seed's canonical state JSON and delta dicts
    metrics     facts, divergence, bits-to-correct, delta-exact
    reach       reachability matrix, faithfulness, the control-plane oracle
    observe     one-host probes, their bit cost, the belief filter
    drivers     uniform / weighted / adversarial (the seed's, bit for bit) and traffic

One deliberate deviation from the seed: link edits store their endpoints as the sorted pair,
so `link_up h1 h0` yields `LinkAdd("h0", "h1")` and delta-exact / bits-to-correct no longer
depend on argument order. States are unchanged (the seed already stored links sorted); seed
trajectory records decode into the sorted form. Everything else (grammar, exit codes, the
lazy flow drop, canonical JSON, the drivers' RNG call order) matches the seed exactly.
"""

from __future__ import annotations

from worlds.network.actions import NetAction, parse_action
from worlds.network.config import NetConfig, NetworkConfigError, make_config
from worlds.network.drivers import DRIVER_NAMES, NetDriver, UnknownDriverError
from worlds.network.edits import (
    ClockAdvance,
    FlowClose,
    FlowOpen,
    FwAllow,
    FwDeny,
    HostDown,
    HostUp,
    LinkAdd,
    LinkDel,
    NetEdit,
    SetResult,
    SvcDown,
    SvcUp,
)
from worlds.network.observe import HostObservation
from worlds.network.reach import ControlPlaneResult
from worlds.network.state import HostState, NetState
from worlds.network.world import ORACLE_VERSION, NetworkWorld

__all__ = [
    "DRIVER_NAMES",
    "ORACLE_VERSION",
    "ClockAdvance",
    "ControlPlaneResult",
    "FlowClose",
    "FlowOpen",
    "FwAllow",
    "FwDeny",
    "HostDown",
    "HostObservation",
    "HostState",
    "HostUp",
    "LinkAdd",
    "LinkDel",
    "NetAction",
    "NetConfig",
    "NetDriver",
    "NetEdit",
    "NetState",
    "NetworkConfigError",
    "NetworkWorld",
    "SetResult",
    "SvcDown",
    "SvcUp",
    "UnknownDriverError",
    "make_config",
    "parse_action",
]
