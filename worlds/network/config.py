"""World size and vocabulary: which hosts and ports the drivers (and model vocabularies) use.

The oracle itself accepts any host present in a state and any integer port; the config only
bounds what data generation emits. Its hash is the seed's, so datasets keyed by config hash
interchange with the seed's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

PORT_POOL: tuple[int, ...] = (22, 80, 443, 53, 8080, 3306, 5432, 6379, 9200, 25, 110, 143)
"""The seed's port pool, in order; port k past the pool is `10000 + k`."""

DEFAULT_HOSTS = 5
DEFAULT_PORTS = 3
MAX_HOSTS = 100_000
MAX_PORTS = 50_000


class NetworkConfigError(ValueError):
    """A world size the network cannot be built with (the message says which value and why)."""


@dataclass(frozen=True, slots=True)
class NetConfig:
    """The hosts `h0..h{N-1}` and the first P ports of the pool, with the seed's name."""

    name: str
    hosts: tuple[str, ...]
    ports: tuple[int, ...]

    @property
    def config_hash(self) -> str:
        """First 16 hex of SHA-256 over the compact, key-sorted `{name, hosts, ports}` JSON."""
        body = {"name": self.name, "hosts": list(self.hosts), "ports": list(self.ports)}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _check_count(what: str, value: object, low: int, high: int) -> int:
    # bool is an int subclass; `hosts=True` is a mistake, not a one-host world.
    if isinstance(value, bool) or not isinstance(value, int):
        raise NetworkConfigError(f"{what} must be an int, got {type(value).__name__} {value!r}")
    if not low <= value <= high:
        raise NetworkConfigError(f"{what} must be in [{low}, {high}], got {value}")
    return value


def pool_ports(count: int) -> tuple[int, ...]:
    """The first `count` ports of the seed's pool, continuing with `10000 + k`."""
    return tuple(PORT_POOL[k] if k < len(PORT_POOL) else 10000 + k for k in range(count))


def make_config(hosts: int = DEFAULT_HOSTS, ports: int = DEFAULT_PORTS) -> NetConfig:
    """Validate a world size and build its config.

    At least two hosts, because every driver draws two distinct hosts for link, firewall and
    traffic actions. The default 5x3 world keeps the seed's name `net-v0` so its config hash
    (and the seed's derived fixtures) match; other sizes are named `net-{N}h{P}p` as the seed's
    scaled configs are.
    """
    n = _check_count("hosts", hosts, 2, MAX_HOSTS)
    p = _check_count("ports", ports, 1, MAX_PORTS)
    name = "net-v0" if (n, p) == (DEFAULT_HOSTS, DEFAULT_PORTS) else f"net-{n}h{p}p"
    return NetConfig(name=name, hosts=tuple(f"h{i}" for i in range(n)), ports=pool_ports(p))
