"""Property tests of the network world's invariants (hypothesis)."""

from __future__ import annotations

import json
import random

import net_naive as nv
from hypothesis import given, settings
from hypothesis import strategies as st
from net_strategies import WORLD, actions, arbitrary_states, deltas, names, states

from worlds.base import ActionParseError
from worlds.network import NetAction, NetState, SetResult
from worlds.network.metrics import facts, symmetric_difference_size

world = WORLD
# Per-example timing on a shared, loaded CPU says nothing about correctness: no deadline.
relaxed = settings(deadline=None)


def partition(state: NetState) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for host, label in state.components.label.items():
        groups.setdefault(label, set()).add(host)
    return {frozenset(g) for g in groups.values()}


def scratch_partition(state: NetState) -> set[frozenset[str]]:
    rebuilt = NetState.build(state.hosts, state.links, state.flows, state.clock, state.last_exit)
    return partition(rebuilt)


@relaxed
@given(states, actions)
def test_apply_of_the_oracle_delta_is_the_oracle_state(s: NetState, a: NetAction) -> None:
    t = world.step(s, a)
    assert world.apply(s, t.delta) == t.state
    assert t.exit_code in (0, 1, 2) and t.delta[-1] == SetResult(t.exit_code)
    assert t.state.last_exit == t.exit_code and t.observation == ""


@relaxed
@given(states, actions)
def test_step_agrees_with_the_naive_reference(s: NetState, a: NetAction) -> None:
    naive = nv.from_canonical(json.loads(world.to_json(s)))
    n_next, n_delta, n_code = nv.step(naive, world.action_text(a))
    t = world.step(s, a)
    assert t.exit_code == n_code
    assert world.to_json(t.state) == nv.canonical_json(n_next)
    assert world.delta_from_dicts(n_delta) == t.delta


@relaxed
@given(states, deltas)
def test_incremental_components_equal_a_fresh_computation(s: NetState, d: tuple) -> None:
    assert s.components is not None  # the parent now carries components: apply updates them
    out = world.apply(s, d)
    assert partition(out) == scratch_partition(out)
    live = {h for h, hs in out.hosts.items() if hs.up}
    assert set(out.components.label) == live
    assert sum(out.components.size.values()) == len(live)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(world.driver_names()), st.integers(0, 10_000))
def test_components_and_fact_counts_stay_exact_along_trajectories(driver: str, seed: int) -> None:
    big = type(world)(hosts=12, ports=2)
    for rec in big.trajectory(driver, seed, 120):
        out = rec.transition.state
        assert partition(out) == scratch_partition(out)
        assert out.fact_count == len(facts(out))  # carried from the parent, step after step


@given(states, deltas)
def test_a_successors_carried_fact_count_is_its_fact_set_size(s: NetState, d: tuple) -> None:
    """`apply` hands each successor its parent's |F| plus what the delta changed; that must be
    the size of the fact set built from scratch, whatever the delta (unknown hosts, repeated
    links, self-links, flows opened twice or closed when absent)."""
    out = world.apply(s, d)
    assert out._nfacts is not None  # carried, not recomputed on demand
    assert out.fact_count == len(facts(out))
    assert NetState.build(out.hosts, out.links, out.flows).fact_count == len(facts(out))


@relaxed
@given(states, deltas)
def test_apply_is_total_and_pure(s: NetState, d: tuple) -> None:
    before = world.to_json(s)
    out = world.apply(s, d)
    assert isinstance(out, NetState)
    assert world.to_json(s) == before
    naive = nv.apply(nv.from_canonical(json.loads(before)), world.delta_to_dicts(d))
    assert world.to_json(out) == nv.canonical_json(naive)


@relaxed
@given(states)
def test_state_json_round_trips(s: NetState) -> None:
    text = world.to_json(s)
    back = world.from_json(text)
    assert back == s and hash(back) == hash(s) and world.to_json(back) == text
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


@relaxed
@given(states, st.randoms(use_true_random=False))
def test_canonical_form_is_independent_of_insertion_order(s: NetState, rng: random.Random) -> None:
    hosts = list(s.hosts.items())
    rng.shuffle(hosts)
    links = [(b, a) if rng.random() < 0.5 else (a, b) for a, b in s.links]
    rng.shuffle(links)
    flows = list(s.flows)
    rng.shuffle(flows)
    other = NetState.build(dict(hosts), links + links[:2], flows, s.clock, s.last_exit)
    assert other == s and hash(other) == hash(s)
    assert world.to_json(other) == world.to_json(s)
    assert world.facts(other) == world.facts(s)


@relaxed
@given(deltas)
def test_delta_codecs_round_trip(d: tuple) -> None:
    assert world.delta_from_dicts(world.delta_to_dicts(d)) == d
    assert world.delta_from_json(world.delta_to_json(d)) == d


@relaxed
@given(states, states)
def test_divergence_axioms_and_definition(a: NetState, b: NetState) -> None:
    d = world.divergence(a, b)
    assert 0.0 <= d <= 1.0
    assert d == world.divergence(b, a)
    assert world.divergence(a, a) == 0.0
    assert (d == 0.0) == (a == b)
    fa, fb = facts(a), facts(b)
    assert symmetric_difference_size(a, b) == len(fa ^ fb)
    assert d == len(fa ^ fb) / (len(fa) + len(fb))
    assert world.full_bits(a) == len(fa)


@relaxed
@given(states, actions)
def test_divergence_between_parent_and_child_uses_shared_structure_correctly(
    s: NetState, a: NetAction
) -> None:
    child = world.step(s, a).state
    assert symmetric_difference_size(s, child) == len(facts(s) ^ facts(child))


@relaxed
@given(deltas, deltas, st.randoms(use_true_random=False))
def test_bits_zero_iff_delta_exact_and_order_free(p: tuple, t: tuple, rng: random.Random) -> None:
    bits = world.bits_to_correct(p, t)
    assert bits >= 0 and bits == world.bits_to_correct(t, p)
    assert (bits == 0) == world.delta_exact(p, t)
    shuffled = list(p)
    rng.shuffle(shuffled)
    assert world.bits_to_correct(shuffled, t) == bits
    assert world.bits_to_correct(p, p) == 0 and world.delta_exact(p, p)
    if t:
        assert world.bits_to_correct(t[1:], t) > 0


@relaxed
@given(st.text())
def test_parser_never_crashes_on_arbitrary_text(text: str) -> None:
    try:
        a = world.parse_action(text)
    except ActionParseError as exc:
        assert exc.text == text and exc.reason
    else:
        assert world.parse_action(world.action_text(a)) == a


@relaxed
@given(
    st.lists(
        st.sampled_from(
            ["advance", "connect", "close", "svc_up", "link_up", "h0", "h1", "80", "-3", "x", "1.5"]
        ),
        max_size=5,
    ).map(" ".join)
)
def test_parser_on_token_soup(text: str) -> None:
    try:
        a = world.parse_action(text)
    except ActionParseError:
        return
    t = world.step(world.initial_state(), a)
    assert t.exit_code in (0, 1, 2)


@relaxed
@given(states)
def test_reachability_matrix_agrees_with_the_naive_bfs(s: NetState) -> None:
    naive = nv.from_canonical(json.loads(world.to_json(s)))
    assert world.reachability_matrix(s) == nv.reachability(naive)


@relaxed
@given(states, actions)
def test_control_plane_is_r_of_the_data_plane_successor(s: NetState, a: NetAction) -> None:
    result = world.control_plane(s, a)
    successor = world.step(s, a).state
    assert result.reachability == world.reachability_matrix(successor)
    assert result.bits == len(result.reachability)
    assert world.reachability_bits_to_correct(successor, successor) == 0
    assert world.reachability_faithfulness(successor, successor) == 1.0


@relaxed
@given(states, states, names)
def test_belief_filter_snaps_the_observed_subgraph_and_keeps_the_rest(
    pred: NetState, truth: NetState, host: str
) -> None:
    obs = world.observe_host(truth, host)
    fixed = world.belief_filter(pred, obs)

    def touches(f: tuple) -> bool:
        return host in f[1:3] if f[0] in ("link", "flow") else f[1] == host

    untouched = {f for f in facts(pred) if not touches(f) and not str(f[0]).startswith("\x00")}
    assert untouched <= facts(fixed)
    if obs.present:
        assert fixed.hosts[host] == truth.hosts[host]
    assert world.observe_host(fixed, host).links == obs.links
    assert world.observe_host(fixed, host).flows == obs.flows
    assert (fixed.clock, fixed.last_exit) == (pred.clock, pred.last_exit)
    if obs.present:
        assert world.belief_filter(truth, obs) == truth
    else:
        # As in the seed, probing a host the truth lacks reports no links or flows for it,
        # so edges the truth names for a missing host (only a model state has them) go.
        stripped = {f for f in facts(truth) if not (f[0] in ("link", "flow") and touches(f))}
        assert facts(world.belief_filter(truth, obs)) == stripped


@relaxed
@given(states, actions, names)
def test_probe_is_the_local_view_of_the_successor(s: NetState, a: NetAction, host: str) -> None:
    obs = world.probe(s, a, host)
    successor = world.step(s, a).state
    local = {f for f in facts(successor) if not str(f[0]).startswith("\x00")}
    mine = {
        f
        for f in local
        if (f[0] in ("up", "svc", "fw") and f[1] == host)
        or (f[0] in ("link", "flow") and host in f[1:3])
    }
    assert obs.bits == (len(mine) if obs.present else 1)


@relaxed
@given(arbitrary_states)
def test_states_are_hashable_and_structurally_equal(s: NetState) -> None:
    twin = world.from_json(world.to_json(s))
    assert {s: 1}[twin] == 1
