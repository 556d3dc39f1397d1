"""The oracle: the exact effect of one action, as the edits it makes and its exit code.

Exit codes: 0 = valid (whether or not anything changed), 1 = runtime failure (connect to an
unreachable service, close of a flow that does not exist), 2 = bad arguments (unknown host,
self-link). The delta is the edits followed by `SetResult(exit)`, always last; a failure or a
no-op is `[SetResult(code)]` alone. The next state is `apply(state, delta)`, so the invariant
`apply(s, step(s, a).delta) == step(s, a).state` holds by construction.

Rules, in the order they are checked (network-world.md §2):

* `host_up/host_down h`: unknown h -> 2; already so -> no-op; flows are left alone.
* `link_up/link_down a b`: unknown endpoint or a == b -> 2; add only if absent, delete only
  if present (the edit names the sorted pair; see `edits.py`).
* `svc_up/svc_down h p`, `fw_deny/fw_allow h src`: unknown h (or src) -> 2; change only if
  needed. `fw_deny h h` is stored but has no effect (loopback ignores the firewall).
* `connect s d p`: unknown s or d -> 2; unreachable -> 1, checked *before* "already open", so
  a flow that has become unreachable answers 1 and stays until the next `advance`; already
  open -> no-op; else open it.
* `close s d p`: open -> close it; else 1, for unknown hosts too (never 2).
* `advance`: tick the clock by one, then close every flow that is unreachable in the state
  *before* the advance, in sorted order: flows are re-validated only here (the lazy drop).
"""

from __future__ import annotations

from worlds.base import ActionParseError, Transition
from worlds.network.actions import NetAction
from worlds.network.apply import apply
from worlds.network.edits import (
    RESULT_BAD_ARGS,
    RESULT_FAIL,
    RESULT_OK,
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
from worlds.network.state import Flow, NetState

_BAD_ARGS: tuple[NetEdit, ...] = (RESULT_BAD_ARGS,)
_FAIL: tuple[NetEdit, ...] = (RESULT_FAIL,)
_NOOP: tuple[NetEdit, ...] = (RESULT_OK,)
_TICK = ClockAdvance(1)


def can_reach(state: NetState, src: str, dst: str, port: int) -> bool:
    """Can `src` open a flow to the service `(dst, port)`?

    Loopback (src == dst): src exists, is up and listens on the port; no link, no firewall.
    Otherwise: dst exists, is up, listens, does not deny src, and src and dst are in one
    component of the live graph (links whose endpoints both exist and are up).
    """
    hosts = state._hosts
    if src == dst:
        hs = hosts.get(src)
        return hs is not None and hs.up and port in hs.services
    d = hosts.get(dst)
    if d is None or not d.up or port not in d.services or src in d.fw_deny:
        return False
    return state.components.connected(src, dst)


def unreachable_flows(state: NetState) -> list[Flow]:
    """The flows `advance` drops, sorted: `can_reach` inlined over every open flow."""
    hosts = state._hosts
    label = state.components.label
    dead: list[Flow] = []
    for flow in state._flows:
        src, dst, port = flow
        d = hosts.get(dst)
        if d is None or not d.up or port not in d.services:
            dead.append(flow)
        elif src == dst:
            continue  # loopback: dst exists, is up and listens; no link, no firewall
        elif src in d.fw_deny:
            dead.append(flow)
        else:
            ls = label.get(src)
            if ls is None or ls != label.get(dst):
                dead.append(flow)
    dead.sort()
    return dead


def _edits(state: NetState, action: NetAction) -> tuple[NetEdit, ...]:
    """The delta of `action` in `state`, `SetResult` included."""
    command = action.command
    args = action.args
    hosts = state._hosts

    if command == "connect" or command == "close":
        src, dst, _ = args
        port = action.port
        if port is None:
            raise ActionParseError(action.text, "connect/close needs a port")
        flow = (src, dst, port)
        if command == "close":
            if flow in state._flows:
                return (FlowClose(src, dst, port), RESULT_OK)
            return _FAIL
        if src not in hosts or dst not in hosts:
            return _BAD_ARGS
        if not can_reach(state, src, dst, port):
            return _FAIL
        if flow in state._flows:
            return _NOOP
        return (FlowOpen(src, dst, port), RESULT_OK)

    if command == "svc_up" or command == "svc_down":
        h = args[0]
        port = action.port
        if port is None:
            raise ActionParseError(action.text, "svc_up/svc_down needs a port")
        hs = hosts.get(h)
        if hs is None:
            return _BAD_ARGS
        listening = port in hs.services
        if command == "svc_up":
            return _NOOP if listening else (SvcUp(h, port), RESULT_OK)
        return (SvcDown(h, port), RESULT_OK) if listening else _NOOP

    if command == "link_up" or command == "link_down":
        a, b = args
        if a == b or a not in hosts or b not in hosts:
            return _BAD_ARGS
        present = b in state._adj.get(a, ())
        if command == "link_up":
            return _NOOP if present else (LinkAdd(a, b), RESULT_OK)
        return (LinkDel(a, b), RESULT_OK) if present else _NOOP

    if command == "advance":
        if not state._flows:
            return (_TICK, RESULT_OK)
        dropped = unreachable_flows(state)
        return (_TICK, *(FlowClose(s, d, p) for s, d, p in dropped), RESULT_OK)

    if command == "host_up" or command == "host_down":
        (h,) = args
        hs = hosts.get(h)
        if hs is None:
            return _BAD_ARGS
        want = command == "host_up"
        if hs.up == want:
            return _NOOP
        return ((HostUp(h) if want else HostDown(h)), RESULT_OK)

    if command == "fw_deny" or command == "fw_allow":
        h, src = args
        hs = hosts.get(h)
        if hs is None or src not in hosts:
            return _BAD_ARGS
        denied = src in hs.fw_deny
        if command == "fw_deny":
            return _NOOP if denied else (FwDeny(h, src), RESULT_OK)
        return (FwAllow(h, src), RESULT_OK) if denied else _NOOP

    raise ActionParseError(action.text, f"unknown command {command!r}")


def step(state: NetState, action: NetAction) -> Transition[NetState]:
    """One pure oracle step; never raises for a parsed action."""
    delta = _edits(state, action)
    result = delta[-1]
    assert isinstance(result, SetResult)  # every delta above ends with its result
    return Transition(apply(state, delta), delta, result.exit_code, "")
