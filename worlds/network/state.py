"""The network state: hosts, undirected links, directed flows, a clock and the last exit code.

Representation, chosen for a step that touches one or two things out of hundreds:

* `hosts` is a plain dict `id -> HostState` that is never mutated once a state owns it. A step
  that changes one host copies the dict of *references* (a pointer copy, well under a
  microsecond at 300 hosts, cheaper than any pure-Python persistent tree) and replaces that
  one record; every other `HostState` is shared. A step that touches no host shares the dict.
* links are kept as an adjacency dict `id -> frozenset(neighbours)` (symmetric, no empty
  entries), shared and copied the same way. Adding a link rewrites two small neighbour sets
  instead of copying a set of every link. The canonical set of sorted pairs is derived on
  demand and cached.
* `flows` is a frozenset of `(src, dst, port)`, shared while unchanged.
* the live graph's connected components (see `components.py`) are cached per state and passed
  to the successor incrementally, so reachability questions are dictionary lookups.

Everything that is derived (link pairs, components, fact count, hash, canonical JSON) is a cache
filled at most once; the semantic fields never change after construction. Equality is structural.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from worlds.network.components import Components, build_components

Link = tuple[str, str]
Flow = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class HostState:
    """One host: up or down, its listening ports and the sources its firewall denies.

    Both tuples are kept sorted and duplicate-free, so equality is canonical.
    """

    up: bool = True
    services: tuple[int, ...] = ()
    fw_deny: tuple[str, ...] = ()

    def with_up(self, up: bool) -> HostState:
        return HostState(up, self.services, self.fw_deny)

    def with_service(self, port: int, listening: bool) -> HostState:
        return HostState(self.up, _toggled(self.services, port, listening), self.fw_deny)

    def with_fw(self, src: str, deny: bool) -> HostState:
        return HostState(self.up, self.services, _toggled(self.fw_deny, src, deny))


def _toggled(items: tuple[Any, ...], item: Any, present: bool) -> tuple[Any, ...]:
    """`items` (sorted) with `item` inserted or removed; the same tuple when already so."""
    i = bisect.bisect_left(items, item)
    found = i < len(items) and items[i] == item
    if found == present:
        return items
    if present:
        return (*items[:i], item, *items[i:])
    return (*items[:i], *items[i + 1 :])


DEFAULT_HOST = HostState()


class NetState:
    """An immutable network state. Build one with `NetState.build` or through the oracle."""

    __slots__ = (
        "_adj",
        "_clock",
        "_comp",
        "_flows",
        "_hash",
        "_hosts",
        "_json",
        "_last_exit",
        "_links",
        "_nfacts",
    )

    _hosts: dict[str, HostState]
    _adj: dict[str, frozenset[str]]
    _flows: frozenset[Flow]
    _clock: int
    _last_exit: int
    _links: frozenset[Link] | None
    _comp: Components | None
    _hash: int | None
    _nfacts: int | None
    _json: str | None

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"NetState is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"NetState is immutable (cannot delete {name!r})")

    @classmethod
    def _make(
        cls,
        hosts: dict[str, HostState],
        adj: dict[str, frozenset[str]],
        flows: frozenset[Flow],
        clock: int,
        last_exit: int,
        comp: Components | None,
    ) -> NetState:
        """Internal constructor: the caller hands over ownership of `hosts` and `adj`."""
        self = object.__new__(cls)
        setter = object.__setattr__
        setter(self, "_hosts", hosts)
        setter(self, "_adj", adj)
        setter(self, "_flows", flows)
        setter(self, "_clock", clock)
        setter(self, "_last_exit", last_exit)
        setter(self, "_links", None)
        setter(self, "_comp", comp)
        setter(self, "_hash", None)
        setter(self, "_nfacts", None)
        setter(self, "_json", None)
        return self

    @classmethod
    def build(
        cls,
        hosts: Mapping[str, HostState],
        links: Iterable[tuple[str, str]] = (),
        flows: Iterable[Flow] = (),
        clock: int = 0,
        last_exit: int = 0,
    ) -> NetState:
        """A state from parts, in any order (links are undirected; duplicates collapse)."""
        adj_sets: dict[str, set[str]] = {}
        for a, b in links:
            adj_sets.setdefault(a, set()).add(b)
            adj_sets.setdefault(b, set()).add(a)
        adj = {h: frozenset(ns) for h, ns in adj_sets.items()}
        return cls._make(dict(hosts), adj, frozenset(flows), clock, last_exit, None)

    @classmethod
    def initial(cls, host_ids: Iterable[str]) -> NetState:
        """All hosts up, no links, services, firewall rules or flows; clock and exit 0."""
        hosts = dict.fromkeys(host_ids, DEFAULT_HOST)
        comp = Components(
            {h: i for i, h in enumerate(hosts)}, dict.fromkeys(range(len(hosts)), 1), len(hosts)
        )
        return cls._make(hosts, {}, frozenset(), 0, 0, comp)

    # --- read access -------------------------------------------------------------------------

    @property
    def hosts(self) -> Mapping[str, HostState]:
        """A read-only view of the host records."""
        return MappingProxyType(self._hosts)

    @property
    def links(self) -> frozenset[Link]:
        """The links as sorted `(a, b)` pairs (`a <= b`)."""
        links = self._links
        if links is None:
            links = frozenset((a, b) for a, ns in self._adj.items() for b in ns if a <= b)
            object.__setattr__(self, "_links", links)
        return links

    @property
    def flows(self) -> frozenset[Flow]:
        return self._flows

    @property
    def clock(self) -> int:
        return self._clock

    @property
    def last_exit(self) -> int:
        return self._last_exit

    def neighbours(self, host: str) -> frozenset[str]:
        """Every host sharing a stored link with `host` (live or not)."""
        return self._adj.get(host, frozenset())

    @property
    def components(self) -> Components:
        """The live graph's components, computed once from scratch if no parent passed them."""
        comp = self._comp
        if comp is None:
            live = {h: hs.up for h, hs in self._hosts.items()}
            comp = build_components(live, self._adj)
            object.__setattr__(self, "_comp", comp)
        return comp

    @property
    def fact_count(self) -> int:
        """|F(s)|: one fact per host, service, firewall rule, link and flow, plus clock and exit."""
        n = self._nfacts
        if n is None:
            n = len(self._hosts) + len(self.links) + len(self._flows) + 2
            for hs in self._hosts.values():
                n += len(hs.services) + len(hs.fw_deny)
            object.__setattr__(self, "_nfacts", n)
        return n

    # --- identity ----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, NetState):
            return NotImplemented
        return (
            self._clock == other._clock
            and self._last_exit == other._last_exit
            and (self._flows is other._flows or self._flows == other._flows)
            and (self._hosts is other._hosts or self._hosts == other._hosts)
            and (self._adj is other._adj or self._adj == other._adj)
        )

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = hash(
                (
                    frozenset(self._hosts.items()),
                    self.links,
                    self._flows,
                    self._clock,
                    self._last_exit,
                )
            )
            object.__setattr__(self, "_hash", h)
        return h

    def __repr__(self) -> str:
        return (
            f"NetState(hosts={len(self._hosts)}, links={len(self.links)}, "
            f"flows={len(self._flows)}, clock={self._clock}, last_exit={self._last_exit})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle by parts (process pools ship states); caches are rebuilt on demand.
        return (
            NetState.build,
            (
                dict(self._hosts),
                sorted(self.links),
                sorted(self._flows),
                self._clock,
                self._last_exit,
            ),
        )
