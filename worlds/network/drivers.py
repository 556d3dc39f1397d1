"""Seeded action policies: all the randomness of data generation lives here.

`uniform`, `weighted` and `adversarial` are the seed's, bit for bit: one `random.Random(seed)`
per driver, and per step `choices(COMMANDS, weights)` then the arguments in the seed's call
order (host ops `choice(hosts)`; link and firewall ops `sample(hosts, 2)`; services
`choice(hosts)` then `choice(ports)`; connect `sample(hosts, 2)` then `choice(ports)`; close
`choice(sorted(flows))` when a flow exists, else `sample(hosts, 2)` then `choice(ports)`).
Changing any of that changes every dataset, so the seed's trajectory hashes pin it in tests.

The seed's drivers almost never open a flow, so the lazy drop at `advance` (the world's one
asynchronous dynamic) is almost never exercised. `traffic` is built for it: it connects to
services that exist, then breaks live flows (a link of the destination, an endpoint host, a
firewall rule, the service) and advances often, so flows are opened and dropped constantly.

Every driver names only the config's hosts and ports, so driver data never yields exit 2.
"""

from __future__ import annotations

import random
from itertools import accumulate

from worlds.network.actions import NetAction, parse_action
from worlds.network.config import NetConfig
from worlds.network.state import NetState

SEED_COMMANDS: tuple[str, ...] = (
    "host_up",
    "host_down",
    "link_up",
    "link_down",
    "svc_up",
    "svc_down",
    "fw_deny",
    "fw_allow",
    "connect",
    "close",
    "advance",
)

SEED_WEIGHTS: dict[str, tuple[float, ...]] = {
    "uniform": (1.0,) * 11,
    "weighted": (0.5, 0.5, 3.0, 1.0, 3.0, 1.0, 1.0, 0.5, 3.0, 1.0, 1.5),
    "adversarial": (0.5, 2.0, 1.0, 3.0, 1.0, 2.0, 3.0, 0.5, 1.5, 1.0, 3.0),
}

TRAFFIC_MOVES: tuple[str, ...] = (
    "connect",
    "advance",
    "break",
    "link_up",
    "svc_up",
    "repair",
    "close",
)
TRAFFIC_WEIGHTS: tuple[float, ...] = (4.0, 3.0, 3.0, 2.0, 1.5, 1.5, 0.5)
_BREAKS: tuple[str, ...] = ("link_down", "host_down", "fw_deny", "svc_down")

DRIVER_NAMES: tuple[str, ...] = ("uniform", "weighted", "adversarial", "traffic")


class UnknownDriverError(ValueError):
    """A driver name this world does not have (the message lists the known ones)."""


class NetDriver:
    """One seeded policy over one config; `sample(state)` returns the next parsed action."""

    __slots__ = ("_cum", "_hosts", "_ports", "_rng", "config", "name", "seed")

    def __init__(self, name: str, seed: int, config: NetConfig) -> None:
        if name not in DRIVER_NAMES:
            raise UnknownDriverError(f"unknown driver {name!r}; known: {', '.join(DRIVER_NAMES)}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"driver seed must be an int, got {seed!r}")
        self.name = name
        self.seed = seed
        self.config = config
        self._hosts = config.hosts
        self._ports = config.ports
        self._rng = random.Random(seed)
        weights = TRAFFIC_WEIGHTS if name == "traffic" else SEED_WEIGHTS[name]
        self._cum = list(accumulate(weights))

    def sample(self, state: NetState) -> NetAction:
        text = self._traffic(state) if self.name == "traffic" else self._seed_policy(state)
        return parse_action(text)

    # --- the seed's three policies -----------------------------------------------------------

    def _seed_policy(self, state: NetState) -> str:
        rng = self._rng
        hosts = self._hosts
        cmd = rng.choices(SEED_COMMANDS, cum_weights=self._cum)[0]
        if cmd == "advance":
            return "advance"
        if cmd == "host_up" or cmd == "host_down":
            return f"{cmd} {rng.choice(hosts)}"
        if cmd in ("link_up", "link_down", "fw_deny", "fw_allow"):
            a, b = rng.sample(hosts, 2)
            return f"{cmd} {a} {b}"
        if cmd == "svc_up" or cmd == "svc_down":
            h = rng.choice(hosts)
            return f"{cmd} {h} {rng.choice(self._ports)}"
        if cmd == "close" and state.flows:
            src, dst, port = rng.choice(sorted(state.flows))
            return f"close {src} {dst} {port}"
        a, b = rng.sample(hosts, 2)
        return f"{cmd} {a} {b} {rng.choice(self._ports)}"

    # --- traffic -----------------------------------------------------------------------------

    def _traffic(self, state: NetState) -> str:
        rng = self._rng
        hosts = self._hosts
        move = rng.choices(TRAFFIC_MOVES, cum_weights=self._cum)[0]
        if move == "break" and state.flows:
            return self._break(state)
        if move in ("connect", "break"):
            text = self._connect(state)
            if text is not None:
                return text
            move = "svc_up"
        if move == "repair":
            return self._repair(state)
        if move == "close" and state.flows:
            src, dst, port = rng.choice(sorted(state.flows))
            return f"close {src} {dst} {port}"
        if move == "link_up":
            a, b = rng.sample(hosts, 2)
            return f"link_up {a} {b}"
        if move == "svc_up":
            return f"svc_up {rng.choice(hosts)} {rng.choice(self._ports)}"
        if move == "close":
            a, b = rng.sample(hosts, 2)
            return f"close {a} {b} {rng.choice(self._ports)}"
        return "advance"

    def _connect(self, state: NetState) -> str | None:
        """Connect to a live service, mostly from a host that can reach it (None: no service).

        When the destination is cut off from everyone, link it to some host instead half of
        the time, so paths keep forming even in large, sparse worlds.
        """
        rng = self._rng
        hosts = self._hosts
        records = state.hosts
        services = [
            (h, p)
            for h in hosts
            if (hs := records.get(h)) is not None and hs.up
            for p in hs.services
        ]
        if not services:
            return None
        dst, port = rng.choice(services)
        comp = state.components
        peers = [h for h in hosts if h != dst and comp.connected(h, dst)]
        roll = rng.random()
        if peers and roll < 0.8:
            src = rng.choice(peers)
        elif not peers and roll < 0.5:
            return f"link_up {dst} {rng.choice([h for h in hosts if h != dst])}"
        else:
            src = rng.choice(hosts)
        return f"connect {src} {dst} {port}"

    def _break(self, state: NetState) -> str:
        """Make some live flow unreachable (it is dropped at the next advance)."""
        rng = self._rng
        known = set(self._hosts)
        flows = sorted(f for f in state.flows if f[0] in known and f[1] in known)
        if not flows:
            return "advance"
        src, dst, port = rng.choice(flows)
        how = rng.choice(_BREAKS)
        if how == "link_down":
            neighbours = sorted(v for v in state.neighbours(dst) if v in known and v != dst)
            if neighbours:
                return f"link_down {dst} {rng.choice(neighbours)}"
            how = "host_down"
        if how == "host_down":
            return f"host_down {rng.choice((src, dst))}"
        if how == "fw_deny":
            return f"fw_deny {dst} {src}"
        return f"svc_down {dst} {port}"

    def _repair(self, state: NetState) -> str:
        """Undo some earlier break, so the network keeps carrying traffic."""
        rng = self._rng
        hosts = self._hosts
        records = state.hosts
        down = [h for h in hosts if (hs := records.get(h)) is not None and not hs.up]
        if down:
            return f"host_up {rng.choice(down)}"
        known = set(hosts)
        rules = [
            (h, s)
            for h in hosts
            if (hs := records.get(h)) is not None
            for s in hs.fw_deny
            if s in known
        ]
        if rules:
            h, s = rng.choice(rules)
            return f"fw_allow {h} {s}"
        a, b = rng.sample(hosts, 2)
        return f"link_up {a} {b}"
