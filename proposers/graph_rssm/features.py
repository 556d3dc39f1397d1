"""Graph featurization of a network (state, action), torch-free and linear in the graph's size.

Nodes are the configured hosts in config order. Node features: the up flag, one bit per
configured port the host listens on, and three action-role bits (the host is the action's
argument 0/1/2). Graph features: the action command (one-hot over the 11 commands), its port
(one-hot, for port-carrying commands), `symlog(clock)` and the last exit code (one-hot).

Relations are *edge lists*, never dense N x N matrices: undirected links (stored both ways),
directed flows (src -> dst; the port is dropped, as in the seed) and firewall denies
(src -> host). The seed packed denies into an N-wide bit vector per host, which makes the
input itself quadratic in N; as edges they cost what they contain. A host outside the config
cannot be represented and is ignored (no vocabulary token could name it either).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from proposers.tokenize.network import COMMANDS

PORT_COMMANDS = frozenset({"svc_up", "svc_down", "connect", "close"})


@dataclass(frozen=True, slots=True)
class GraphFeatures:
    node: tuple[tuple[float, ...], ...]
    graph: tuple[float, ...]
    links: tuple[tuple[int, int], ...]
    """Directed copies of every undirected link (both directions)."""
    flows: tuple[tuple[int, int], ...]
    """Distinct (src, dst) pairs of open flows."""
    denies: tuple[tuple[int, int], ...]
    """(src, host): `host` blocks traffic from `src`."""


def node_width(ports: Sequence[int]) -> int:
    return 1 + len(ports) + 3


def graph_width(ports: Sequence[int]) -> int:
    return len(COMMANDS) + len(ports) + 1 + 3


def symlog(x: float) -> float:
    return math.copysign(math.log1p(abs(x)), x)


class Featurizer:
    """Featurizes states of one network config (hosts and ports fix the widths)."""

    def __init__(self, world: Any, hosts: Sequence[str], ports: Sequence[int]) -> None:
        self.world = world
        self.hosts = tuple(hosts)
        self.ports = tuple(ports)
        self._host = {h: i for i, h in enumerate(self.hosts)}
        self._port = {p: i for i, p in enumerate(self.ports)}
        self._cmd = {c: i for i, c in enumerate(COMMANDS)}

    def __call__(self, state: Any, action: Any | None) -> GraphFeatures:
        doc = json.loads(self.world.to_json(state))
        n_ports = len(self.ports)
        roles: dict[int, list[int]] = {}
        gfeat = [0.0] * graph_width(self.ports)
        if action is not None:
            cmd = self.world.action_command(action)
            args = [str(a) for a in self.world.action_args(action)]
            if cmd in self._cmd:
                gfeat[self._cmd[cmd]] = 1.0
            for pos, arg in enumerate(args[:3]):
                if arg in self._host:
                    roles.setdefault(self._host[arg], []).append(pos)
            if cmd in PORT_COMMANDS and args:
                try:
                    port_idx = self._port.get(int(args[-1]))
                except ValueError:
                    port_idx = None
                if port_idx is not None:
                    gfeat[len(COMMANDS) + port_idx] = 1.0
        gfeat[len(COMMANDS) + n_ports] = symlog(float(doc["clock"]))
        exit_code = int(doc["last_exit"])
        if 0 <= exit_code <= 2:
            gfeat[len(COMMANDS) + n_ports + 1 + exit_code] = 1.0

        nodes: list[tuple[float, ...]] = []
        denies: list[tuple[int, int]] = []
        for i, h in enumerate(self.hosts):
            info = doc["hosts"].get(h)
            row = [0.0] * node_width(self.ports)
            if info is not None:
                row[0] = 1.0 if info["up"] else 0.0
                for p in info["services"]:
                    if p in self._port:
                        row[1 + self._port[p]] = 1.0
                denies += [(self._host[s], i) for s in info["fw_deny"] if s in self._host]
            for pos in roles.get(i, ()):
                row[1 + n_ports + pos] = 1.0
            nodes.append(tuple(row))
        links: list[tuple[int, int]] = []
        for a, b in doc["links"]:
            if a in self._host and b in self._host:
                links += [(self._host[a], self._host[b]), (self._host[b], self._host[a])]
        flows = sorted(
            {
                (self._host[s], self._host[d])
                for s, d, _ in doc["flows"]
                if s in self._host and d in self._host
            }
        )
        return GraphFeatures(tuple(nodes), tuple(gfeat), tuple(links), tuple(flows), tuple(denies))
