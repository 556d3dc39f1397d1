"""Hypothesis strategies for network states, actions and edits.

Names mix the config's hosts with unknown ids so that every exit-2 path, host creation by
`apply`, links to missing hosts and self-links all turn up; states come both from arbitrary
parts (no cached components: computed from scratch) and from oracle rollouts (components
carried incrementally), because the two construction paths must agree.
"""

from __future__ import annotations

from hypothesis import strategies as st

from worlds.network import (
    ClockAdvance,
    FlowClose,
    FlowOpen,
    FwAllow,
    FwDeny,
    HostDown,
    HostState,
    HostUp,
    LinkAdd,
    LinkDel,
    NetAction,
    NetEdit,
    NetState,
    NetworkWorld,
    SetResult,
    SvcDown,
    SvcUp,
)

WORLD = NetworkWorld(hosts=5, ports=3)
HOSTS = list(WORLD.config.hosts)
names = st.sampled_from([*HOSTS, "h5", "x"])
ports = st.sampled_from([22, 80, 443, -1])

host_states = st.builds(
    lambda up, svc, fw: HostState(up, tuple(sorted(svc)), tuple(sorted(fw))),
    st.booleans(),
    st.frozensets(ports, max_size=3),
    st.frozensets(names, max_size=2),
)

arbitrary_states = st.builds(
    NetState.build,
    st.dictionaries(names, host_states, max_size=7),
    st.lists(st.tuples(names, names), max_size=10),
    st.lists(st.tuples(names, names, ports), max_size=6),
    st.integers(0, 5),
    st.integers(0, 2),
)


def _action_texts() -> st.SearchStrategy[str]:
    one = st.builds(lambda c, h: f"{c} {h}", st.sampled_from(["host_up", "host_down"]), names)
    two = st.builds(
        lambda c, a, b: f"{c} {a} {b}",
        st.sampled_from(["link_up", "link_down", "fw_deny", "fw_allow"]),
        names,
        names,
    )
    svc = st.builds(
        lambda c, h, p: f"{c} {h} {p}", st.sampled_from(["svc_up", "svc_down"]), names, ports
    )
    flow = st.builds(
        lambda c, a, b, p: f"{c} {a} {b} {p}",
        st.sampled_from(["connect", "close"]),
        names,
        names,
        ports,
    )
    return st.one_of(st.just("advance"), one, two, svc, flow)


action_texts = _action_texts()
actions: st.SearchStrategy[NetAction] = action_texts.map(WORLD.parse_action)


@st.composite
def rolled_states(draw: st.DrawFn) -> NetState:
    """A state reached by the oracle from the initial state (hosts h0..h4 only)."""
    s = WORLD.initial_state()
    for action in draw(st.lists(actions, max_size=25)):
        s = WORLD.step(s, action).state
    return s


states = st.one_of(arbitrary_states, rolled_states())

edits: st.SearchStrategy[NetEdit] = st.one_of(
    st.builds(HostUp, names),
    st.builds(HostDown, names),
    st.builds(LinkAdd, names, names),
    st.builds(LinkDel, names, names),
    st.builds(SvcUp, names, ports),
    st.builds(SvcDown, names, ports),
    st.builds(FwDeny, names, names),
    st.builds(FwAllow, names, names),
    st.builds(FlowOpen, names, names, ports),
    st.builds(FlowClose, names, names, ports),
    st.builds(ClockAdvance, st.integers(-2, 3)),
    st.builds(SetResult, st.integers(0, 2)),
)
deltas = st.lists(edits, max_size=8).map(tuple)
