"""`apply(state, delta)`: the one way a next state is made, by the oracle and by models alike.

Total on any sequence of edits (a model's delta may be nonsense): host, service and firewall
edits on an unknown host first create a default host (up, nothing listening), link and flow
edits are set operations on whatever ids they name, the clock adds, the result overwrites.

Copy-on-write throughout: the host dict, the adjacency dict and the components labelling are
copied at most once per call and only if an edit really changes them; flows are changed with
at most one set operation at the end (for each triple the last edit wins, which is exactly
set semantics applied in order). If the input state carries its components, the output gets
them too, updated incrementally (see `components.py`), so a trajectory never recomputes
connectivity from scratch.
"""

from __future__ import annotations

from collections.abc import Sequence

from worlds.base import DeltaFormatError
from worlds.network.components import ComponentsBuilder
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
from worlds.network.state import DEFAULT_HOST, Flow, HostState, NetState


class _Draft:
    """The mutable working copy of one `apply` call."""

    __slots__ = (
        "adj",
        "adj_owned",
        "base",
        "clock",
        "comp",
        "dfacts",
        "flow_ops",
        "hosts",
        "hosts_owned",
        "last_exit",
    )

    def __init__(self, base: NetState) -> None:
        self.base = base
        self.hosts = base._hosts
        self.hosts_owned = False
        self.adj = base._adj
        self.adj_owned = False
        self.flow_ops: dict[Flow, bool] | None = None
        self.clock = base._clock
        self.last_exit = base._last_exit
        self.dfacts = 0  # facts added minus facts removed so far (flows counted at freeze)
        base_comp = base._comp
        self.comp = ComponentsBuilder(base_comp) if base_comp is not None else None

    # --- hosts -------------------------------------------------------------------------------

    def _host(self, h: str) -> HostState:
        """The host record, creating a default (live) host if `h` is unknown."""
        hs = self.hosts.get(h)
        if hs is None:
            self._put_host(h, DEFAULT_HOST)
            self.dfacts += 1  # its "up" fact (a default host has no services or rules)
            if self.comp is not None:
                self.comp.host_live(self.adj, h)
            return DEFAULT_HOST
        return hs

    def _put_host(self, h: str, hs: HostState) -> None:
        if not self.hosts_owned:
            self.hosts = dict(self.hosts)
            self.hosts_owned = True
        self.hosts[h] = hs

    def set_up(self, h: str, up: bool) -> None:
        hs = self._host(h)
        if hs.up == up:
            return
        self._put_host(h, hs.with_up(up))
        if self.comp is not None:
            if up:
                self.comp.host_live(self.adj, h)
            else:
                self.comp.host_dead(self.adj, h)

    def set_service(self, h: str, port: int, listening: bool) -> None:
        hs = self._host(h)
        new = hs.with_service(port, listening)
        if new.services is not hs.services:
            self._put_host(h, new)
            self.dfacts += 1 if listening else -1

    def set_fw(self, h: str, src: str, deny: bool) -> None:
        hs = self._host(h)
        new = hs.with_fw(src, deny)
        if new.fw_deny is not hs.fw_deny:
            self._put_host(h, new)
            self.dfacts += 1 if deny else -1

    # --- links -------------------------------------------------------------------------------

    def _own_adj(self) -> None:
        if not self.adj_owned:
            self.adj = dict(self.adj)
            self.adj_owned = True

    def add_link(self, a: str, b: str) -> None:
        adj = self.adj
        na = adj.get(a)
        if na is not None and b in na:
            return
        self._own_adj()
        self.dfacts += 1
        adj = self.adj
        adj[a] = na | {b} if na is not None else frozenset((b,))
        if a != b:
            nb = adj.get(b)
            adj[b] = nb | {a} if nb is not None else frozenset((a,))
        if self.comp is not None:
            self.comp.link_added(adj, a, b)

    def del_link(self, a: str, b: str) -> None:
        adj = self.adj
        na = adj.get(a)
        if na is None or b not in na:
            return
        self._own_adj()
        self.dfacts -= 1
        adj = self.adj
        rest = na - {b}
        if rest:
            adj[a] = rest
        else:
            del adj[a]
        if a != b:
            nb = adj[b] - {a}
            if nb:
                adj[b] = nb
            else:
                del adj[b]
        if self.comp is not None:
            self.comp.link_removed(adj, a, b)

    # --- flows -------------------------------------------------------------------------------

    def flow(self, f: Flow, present: bool) -> None:
        ops = self.flow_ops
        if ops is None:
            ops = self.flow_ops = {}
        ops[f] = present

    def freeze(self) -> NetState:
        base = self.base
        flows = base._flows
        ops = self.flow_ops
        # The successor's |F(s)| from its parent's (computed here once if the parent has none,
        # so a chain of successors pays O(state) only at its root): a divergence on a fresh
        # successor then costs what the step touched, not a count over every host and link.
        nfacts = base.fact_count + self.dfacts
        if ops is not None:
            add = {f for f, keep in ops.items() if keep and f not in flows}
            drop = {f for f, keep in ops.items() if not keep and f in flows}
            if drop:
                flows = flows - drop
            if add:
                flows = flows | add
            nfacts += len(add) - len(drop)
        comp = None
        if self.comp is not None and base._comp is not None:
            comp = self.comp.freeze(base._comp)
        state = NetState._make(self.hosts, self.adj, flows, self.clock, self.last_exit, comp)
        object.__setattr__(state, "_nfacts", nfacts)
        return state


def apply(state: NetState, delta: Sequence[NetEdit]) -> NetState:
    """A fresh state with every edit of `delta` applied in order; `state` is untouched."""
    if not isinstance(state, NetState):
        raise DeltaFormatError(f"apply needs a network state, got {type(state).__name__}")
    draft = _Draft(state)
    for i, edit in enumerate(delta):
        # Ordered by how often the oracle emits each edit.
        if isinstance(edit, SetResult):
            draft.last_exit = edit.exit_code
        elif isinstance(edit, FlowOpen):
            draft.flow((edit.src, edit.dst, edit.port), True)
        elif isinstance(edit, FlowClose):
            draft.flow((edit.src, edit.dst, edit.port), False)
        elif isinstance(edit, SvcUp):
            draft.set_service(edit.host, edit.port, True)
        elif isinstance(edit, LinkAdd):
            draft.add_link(edit.a, edit.b)
        elif isinstance(edit, ClockAdvance):
            draft.clock += edit.amount
        elif isinstance(edit, SvcDown):
            draft.set_service(edit.host, edit.port, False)
        elif isinstance(edit, LinkDel):
            draft.del_link(edit.a, edit.b)
        elif isinstance(edit, HostUp):
            draft.set_up(edit.host, True)
        elif isinstance(edit, HostDown):
            draft.set_up(edit.host, False)
        elif isinstance(edit, FwDeny):
            draft.set_fw(edit.host, edit.src, True)
        elif isinstance(edit, FwAllow):
            draft.set_fw(edit.host, edit.src, False)
        else:
            raise DeltaFormatError(f"delta[{i}] is not a network edit: {edit!r}")
    return draft.freeze()
