"""OG1: which next-state facts an observation decides, and the exact divergence target.

Grounded self-supervision needs to know, for one transition, which facts of the successor a
partial observation already pins down (the *decidable* set D) and which the model must supply
itself (the *residual* set R). Given the set of observed hosts:

* a host fact (`up`, `svc`) is decidable iff its host is observed;
* a pair fact (`fw`, `link`, `flow`) is decidable iff both hosts are observed;
* the global facts (clock, exit code) are always decidable;
* full observation (`observed=None`) decides everything: R is empty.

`oracle_targets` steps the oracle once and returns D and R with `D | R == F(s')` and
`D & R == {}` by construction, plus `divergence_to`, the judge's divergence from the true
successor (exactly `metrics.divergence`, so a training target never drifts from the headline
metric). `edit_hosts` is the same rule over delta edits, for token-level masks.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from worlds.network.actions import NetAction
from worlds.network.edits import (
    FlowClose,
    FlowOpen,
    FwAllow,
    FwDeny,
    HostDown,
    HostUp,
    LinkAdd,
    LinkDel,
    NetEdit,
    SvcDown,
    SvcUp,
)
from worlds.network.metrics import Fact, divergence, facts
from worlds.network.oracle import step
from worlds.network.state import NetState

GLOBAL_KINDS = frozenset({"\x00clock", "\x00exit"})


def fact_hosts(fact: Fact) -> frozenset[str]:
    """The hosts a fact is about: one for up/svc, two for fw/link/flow, none for globals."""
    kind = fact[0]
    if kind in GLOBAL_KINDS:
        return frozenset()
    if kind == "up" or kind == "svc":
        return frozenset((str(fact[1]),))
    if kind in ("fw", "link", "flow"):
        return frozenset((str(fact[1]), str(fact[2])))
    raise ValueError(f"unknown fact kind {kind!r}")


def edit_hosts(edit: NetEdit) -> frozenset[str]:
    """The hosts an edit touches (the `fact_hosts` of the facts it adds or removes)."""
    if isinstance(edit, HostUp | HostDown):
        return frozenset((edit.host,))
    if isinstance(edit, SvcUp | SvcDown):
        return frozenset((edit.host,))
    if isinstance(edit, FwDeny | FwAllow):
        return frozenset((edit.host, edit.src))
    if isinstance(edit, LinkAdd | LinkDel):
        return frozenset((edit.a, edit.b))
    if isinstance(edit, FlowOpen | FlowClose):
        return frozenset((edit.src, edit.dst))
    return frozenset()  # clock advance, set-result: global


def is_decidable(hosts: frozenset[str], observed: Collection[str] | None) -> bool:
    return observed is None or hosts <= frozenset(observed)


def is_decided(edit: NetEdit, observed: Collection[str] | None) -> bool:
    """Whether the observation decides `edit`: every host it touches is observed (an edit of
    no host, a clock advance or the result, is global and always decided)."""
    return is_decidable(edit_hosts(edit), observed)


def observed_prefix(host_ids: Iterable[str], fraction: float) -> frozenset[str]:
    """The first `ceil(fraction * N)` hosts in config order (at least one): the probe set."""
    ids = tuple(host_ids)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"observed fraction must be in [0, 1], got {fraction!r}")
    return frozenset(ids[: max(1, math.ceil(fraction * len(ids)))])


@dataclass(frozen=True, slots=True)
class OracleTargets:
    """What the oracle says about one transition, split by what the observation decides."""

    next_state: NetState
    delta: tuple[NetEdit, ...]
    decidable: frozenset[Fact]
    residual: frozenset[Fact]

    def divergence_to(self, predicted: NetState) -> float:
        """d(s', predicted): the exact divergence target (the judge's own function)."""
        return divergence(self.next_state, predicted)

    @property
    def residual_share(self) -> float:
        total = len(self.decidable) + len(self.residual)
        return len(self.residual) / total if total else 0.0


def partition(
    state: NetState, observed: Collection[str] | None
) -> tuple[frozenset[Fact], frozenset[Fact]]:
    """(D, R) of F(state) under the observed hosts; R = F - D, so they partition F exactly."""
    all_facts = facts(state)
    if observed is None:
        return all_facts, frozenset()
    seen = frozenset(observed)
    decidable = frozenset(f for f in all_facts if fact_hosts(f) <= seen)
    return decidable, all_facts - decidable


def oracle_targets(
    state: NetState, action: NetAction, observed: Collection[str] | None
) -> OracleTargets:
    """Step the oracle once and split the successor's facts into decidable and residual."""
    transition = step(state, action)
    decidable, residual = partition(transition.state, observed)
    return OracleTargets(transition.state, transition.delta, decidable, residual)
