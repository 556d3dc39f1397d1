"""Reachability comparisons are counted per destination (reach.py) rather than by building
both matrices; this holds the count to the matrices on arbitrary and rolled state pairs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from net_strategies import states

from worlds.network import NetworkWorld
from worlds.network.reach import _differing, _differing_states, reachability_matrix
from worlds.network.state import NetState


def by_matrices(a: NetState, b: NetState) -> tuple[int, int]:
    return _differing(reachability_matrix(a), reachability_matrix(b))


@settings(max_examples=200, deadline=None)
@given(states, states)
def test_counting_matches_the_matrices(a: NetState, b: NetState) -> None:
    assert _differing_states(a, b) == by_matrices(a, b)
    assert _differing_states(a, a) == (0, by_matrices(a, a)[1])


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(NetworkWorld().driver_names()), st.integers(0, 10**6))
def test_counting_matches_the_matrices_on_long_trajectories(driver: str, seed: int) -> None:
    world = NetworkWorld(hosts=25, ports=4)
    records = world.trajectory(driver, seed, 400)
    for i in range(0, len(records), 37):
        a = records[i].state
        b = records[-1 - i].transition.state
        assert _differing_states(a, b) == by_matrices(a, b)
        assert world.reachability_faithfulness(a, b) == world.reachability_faithfulness(b, a)
