"""Reachability: the matrix R, reachability-faithfulness, and the control-plane oracle.

R(s) maps `(src, dst, port)` to "can src open a flow to that service" for every host `src`
(sorted) times every listed service `(dst, port)` (sorted, down hosts' services included), so
|R| = N x #services. It is a function of the state, never stored.

The control-plane oracle (Batfish-style) answers a consultation with R of the true successor
and charges |R| entries; it ignores flows, the clock and the exit code. Because R is a
projection of the state, it can never catch an error a full-state consultation misses: it is
cheaper and often decision-sufficient, not an independent signal.
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


def reachability_faithfulness(a: NetState, b: NetState) -> float:
    """Fraction of R(a) ∪ R(b) entries that agree; 1.0 when neither has any entry."""
    wrong, total = _differing(reachability_matrix(a), reachability_matrix(b))
    return 1.0 if total == 0 else (total - wrong) / total


def reachability_bits_to_correct(pred: NetState, true: NetState) -> int:
    """Entries (not 6-bit symbols) of R that differ between a predicted and a true state."""
    wrong, _ = _differing(reachability_matrix(pred), reachability_matrix(true))
    return wrong


class ControlPlaneResult(NamedTuple):
    """One control-plane consultation: R of the true successor and its cost |R|."""

    reachability: dict[ReachKey, bool]
    bits: int


def control_plane(state: NetState, action: NetAction) -> ControlPlaneResult:
    r = reachability_matrix(step(state, action).state)
    return ControlPlaneResult(r, len(r))
