"""Metric, observation and control-plane examples with hand-computed values (§5-§7)."""

from __future__ import annotations

import math

import pytest
from net_helpers import run_actions

from worlds.network import (
    FlowOpen,
    HostObservation,
    HostState,
    LinkAdd,
    LinkDel,
    NetState,
    NetworkWorld,
    SetResult,
    SvcUp,
)


@pytest.fixture(scope="module")
def world() -> NetworkWorld:
    return NetworkWorld()


def test_divergence_examples(world: NetworkWorld) -> None:
    empty = world.initial_state()
    # The empty 5-host net vs. the same after `advance`: only the clock fact differs, 2/14.
    assert world.divergence(empty, run_actions(world, ["advance"])) == pytest.approx(2 / 14)
    base = run_actions(world, ["link_up h0 h1", "svc_up h1 80"])
    more = run_actions(world, ["svc_up h1 443"], base)
    assert world.divergence(base, more) == pytest.approx(1 / 19)
    assert world.reachability_faithfulness(base, more) == pytest.approx(0.8)
    down = run_actions(world, ["host_down h1"], base)
    assert world.divergence(base, down) == pytest.approx(2 / 18)
    assert world.divergence(base, base) == 0.0


def test_bits_to_correct_examples(world: NetworkWorld) -> None:
    true = (SvcUp("h1", 80), SetResult(0))
    assert world.bits_to_correct((), true) == 30
    assert world.bits_to_correct((SetResult(0),), true) == 18
    assert world.bits_to_correct(true, true) == 0.0
    assert world.bits_to_correct(tuple(reversed(true)), true) == 0.0
    # The seed's quirk is gone: endpoint order does not cost 36 bits.
    assert world.bits_to_correct((LinkAdd("h1", "h0"),), (LinkAdd("h0", "h1"),)) == 0.0
    assert world.delta_exact((LinkDel("h2", "h0"),), (LinkDel("h0", "h2"),))
    # Multisets: a duplicated edit costs its symbols once more (flow: 4 symbols).
    flow = FlowOpen("h0", "h1", 80)
    assert world.bits_to_correct((flow, flow), (flow,)) == 4 * math.log2(64)
    # Monotone: empty > one missing > exact.
    two = (SvcUp("h1", 80), LinkAdd("h0", "h1"), SetResult(0))
    assert world.bits_to_correct((), two) > world.bits_to_correct(two[1:], two) > 0


def test_delta_exact_rate_example(world: NetworkWorld) -> None:
    pairs = [
        ((SetResult(0),), (SetResult(0),)),
        ((SvcUp("h1", 80), SetResult(0)), (SetResult(0), SvcUp("h1", 80))),
        ((SetResult(1),), (SetResult(0),)),
    ]
    rate = sum(world.delta_exact(p, t) for p, t in pairs) / len(pairs)
    assert rate == pytest.approx(2 / 3)


def test_full_bits_of_the_seed_example(world: NetworkWorld) -> None:
    s = NetState.build({"h0": HostState(True, (80,), ()), "h1": HostState()}, [("h0", "h1")])
    assert world.full_bits(s) == 6 == len(world.facts(s))


def test_probe_reveals_the_local_view_of_the_successor(world: NetworkWorld) -> None:
    s = run_actions(world, ["link_up h0 h1", "link_up h1 h2", "svc_up h1 80", "fw_deny h1 h3"])
    obs = world.probe(s, world.parse_action("connect h0 h1 80"), "h1")
    assert obs == HostObservation(
        host="h1",
        present=True,
        up=True,
        services=(80,),
        fw_deny=("h3",),
        links=frozenset({("h0", "h1"), ("h1", "h2")}),
        flows=frozenset({("h0", "h1", 80)}),
    )
    assert obs.bits == 1 + 1 + 1 + 2 + 1
    absent = world.probe(s, world.parse_action("advance"), "nope")
    assert not absent.present and absent.bits == 1


def test_belief_filter_snaps_the_host_and_keeps_the_rest(world: NetworkWorld) -> None:
    truth = run_actions(world, ["link_up h0 h1", "svc_up h1 80", "connect h0 h1 80"])
    # A wrong prediction: h1 listens on 443, a spurious link h1-h2 and h3-h4, clock 5.
    pred = NetState.build(
        {**truth.hosts, "h1": HostState(True, (443,), ())},
        [("h1", "h2"), ("h3", "h4")],
        [],
        clock=5,
        last_exit=1,
    )
    fixed = world.belief_filter(pred, world.observe_host(truth, "h1"))
    assert fixed.hosts["h1"] == truth.hosts["h1"]
    assert fixed.links == {("h0", "h1"), ("h3", "h4")}  # h3-h4 unobserved: kept
    assert fixed.flows == {("h0", "h1", 80)}
    assert (fixed.clock, fixed.last_exit) == (5, 1)  # never revealed by a probe


def test_control_plane_examples(world: NetworkWorld) -> None:
    s = run_actions(world, ["link_up h0 h1", "svc_up h1 80"])
    result = world.control_plane(s, world.parse_action("svc_up h1 443"))
    assert result.bits == len(result.reachability) == 5 * 2
    assert result.reachability[("h0", "h1", 443)] is True
    assert result.reachability[("h2", "h1", 443)] is False
    assert result.reachability[("h1", "h1", 80)] is True  # loopback
    down = run_actions(world, ["host_down h1"], s)
    assert world.reachability_bits_to_correct(s, s) == 0
    assert world.reachability_bits_to_correct(down, s) == 2  # h0 and h1 lose h1:80
    r = world.reachability_matrix(down)
    assert set(r) == {(h, "h1", 80) for h in world.config.hosts}  # down hosts' services listed
    assert not any(r.values())
