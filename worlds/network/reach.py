"""Reachability: the matrix R, reachability-faithfulness, and the control-plane oracle.

R(s) maps `(src, dst, port)` to "can src open a flow to that service" for every host `src`
(sorted) times every listed service `(dst, port)` (sorted, down hosts' services included), so
|R| = N x #services. It is a function of the state, never stored.

The control-plane oracle (Batfish-style) answers a consultation with R of the true successor
and charges |R| entries; it ignores flows, the clock and the exit code. Because R is a
projection of the state, it can never catch an error a full-state consultation misses: it is
cheaper and often decision-sufficient, not an independent signal.

Comparing two matrices never builds them (issue 10: at 300 hosts the two dicts held ~10^5
entries each and one `reachability_faithfulness` took seconds). A column `(dst, port)` of R is
the same set of sources for every port of `dst`: empty when `dst` is down, otherwise `dst`'s
live component less the sources it denies, plus `dst` itself. So the disagreeing entries are
counted per destination host with C-level set operations, O(hosts x component size) at worst
instead of O(hosts x services) dictionary entries, and the union of keys is hosts x the union
of the two service lists. States with different host sets (only hand-built ones) fall back to
the matrices.
"""

from __future__ import annotations

from typing import NamedTuple

from worlds.network.actions import NetAction
from worlds.network.oracle import step
from worlds.network.state import NetState

ReachKey = tuple[str, str, int]


def services(state: NetState) -> list[tuple[str, int]]:
    """Every listening `(host, port)`, sorted, down hosts included (the columns of R)."""
    return sorted((h, p) for h, hs in state._hosts.items() for p in hs.services)


def reachability_matrix(state: NetState) -> dict[ReachKey, bool]:
    hosts = state._hosts
    label = state.components.label
    cols = services(state)
    out: dict[ReachKey, bool] = {}
    for src in sorted(hosts):
        src_hs = hosts[src]
        src_label = label.get(src)
        for dst, port in cols:
            d = hosts[dst]
            if src == dst:
                ok = src_hs.up  # dst listens on port by construction of the columns
            else:
                ok = (
                    d.up
                    and src not in d.fw_deny
                    and src_label is not None
                    and src_label == label.get(dst)
                )
            out[(src, dst, port)] = ok
    return out


def _differing(a: dict[ReachKey, bool], b: dict[ReachKey, bool]) -> tuple[int, int]:
    """(entries that disagree, size of the key union); a missing entry reads as False."""
    keys = a.keys() | b.keys()
    wrong = sum(1 for k in keys if a.get(k, False) != b.get(k, False))
    return wrong, len(keys)


_NOBODY: frozenset[str] = frozenset()


class _Columns:
    """The source set of each column of R(state), per destination host, built on demand."""

    def __init__(self, state: NetState) -> None:
        self.hosts = state._hosts
        self.label = state.components.label
        self.groups: dict[int, frozenset[str]] | None = None
        self.cache: dict[str, frozenset[str]] = {}

    def sources(self, dst: str) -> frozenset[str]:
        """Every `src` with R[(src, dst, port)] True, for any port `dst` listens on."""
        cached = self.cache.get(dst)
        if cached is not None:
            return cached
        hs = self.hosts[dst]
        if not hs.up:
            out = _NOBODY
        else:
            groups = self.groups
            if groups is None:
                members: dict[int, set[str]] = {}
                for h, lab in self.label.items():
                    members.setdefault(lab, set()).add(h)
                groups = self.groups = {lab: frozenset(m) for lab, m in members.items()}
            out = groups[self.label[dst]]
            if hs.fw_deny:
                out = out.difference(hs.fw_deny)
            if dst not in out:
                out = out | {dst}  # src == dst: reachable whenever dst is up
        self.cache[dst] = out
        return out


def _differing_states(a: NetState, b: NetState) -> tuple[int, int]:
    """`_differing(R(a), R(b))`, counted per destination without building either matrix."""
    ha, hb = a._hosts, b._hosts
    if ha.keys() != hb.keys():
        return _differing(reachability_matrix(a), reachability_matrix(b))
    ports_a = {h: hs.services for h, hs in ha.items() if hs.services}
    ports_b = {h: hs.services for h, hs in hb.items() if hs.services}
    cols_a, cols_b = _Columns(a), _Columns(b)
    wrong = 0
    ncols = 0
    for dst in ports_a.keys() | ports_b.keys():
        pa = set(ports_a.get(dst, ()))
        pb = set(ports_b.get(dst, ()))
        both = len(pa & pb)
        only_a = len(pa) - both
        only_b = len(pb) - both
        ncols += both + only_a + only_b
        if both:
            ra, rb = cols_a.sources(dst), cols_b.sources(dst)
            if ra is not rb:
                wrong += both * len(ra ^ rb)
        if only_a:
            wrong += only_a * len(cols_a.sources(dst))
        if only_b:
            wrong += only_b * len(cols_b.sources(dst))
    return wrong, len(ha) * ncols


def reachability_faithfulness(a: NetState, b: NetState) -> float:
    """Fraction of R(a) ∪ R(b) entries that agree; 1.0 when neither has any entry."""
    wrong, total = _differing_states(a, b)
    return 1.0 if total == 0 else (total - wrong) / total


def reachability_bits_to_correct(pred: NetState, true: NetState) -> int:
    """Entries (not 6-bit symbols) of R that differ between a predicted and a true state."""
    return _differing_states(pred, true)[0]


class ControlPlaneResult(NamedTuple):
    """One control-plane consultation: R of the true successor and its cost |R|."""

    reachability: dict[ReachKey, bool]
    bits: int


def control_plane(state: NetState, action: NetAction) -> ControlPlaneResult:
    r = reachability_matrix(step(state, action).state)
    return ControlPlaneResult(r, len(r))
