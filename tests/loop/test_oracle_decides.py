"""The rollout in which the oracle owns the decided part of every step (H24's readout)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.rollout.loop import run_rollout
from engine.rollout.oracle_decides import run_oracle_decides
from engine.rollout.policies import Never
from proposers import get_proposer
from worlds import get_world
from worlds.network.partition import is_decided, observed_prefix, partition

NET = get_world("network")
SETTINGS = settings(max_examples=25, deadline=None)


def _rollout(driver: str, seed: int, steps: int) -> tuple[Any, list[Any]]:
    records = NET.trajectory(driver, seed, steps)
    return records[0].state, [r.action for r in records]


@SETTINGS
@given(
    driver=st.sampled_from(["uniform", "weighted", "adversarial"]),
    seed=st.integers(0, 10_000),
    steps=st.integers(1, 20),
    fraction=st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),
)
def test_decided_facts_are_the_oracles_and_residual_facts_the_models(
    driver: str, seed: int, steps: int, fraction: float
) -> None:
    """With a proposer that never predicts a change (null), every coupled state's decided
    facts are exactly those of the oracle's successor of the previous coupled state, and its
    residual facts are the previous coupled state's (the model's, unchanged)."""
    s0, actions = _rollout(driver, seed, steps)
    observed = observed_prefix(NET.config.hosts, fraction) if fraction > 0 else frozenset()
    null = get_proposer("null", NET)
    ro = run_oracle_decides(
        NET,
        null,
        s0,
        actions,
        decides=lambda e: is_decided(e, observed),
        revealed=lambda s: len(partition(s, observed)[0]),
    )
    prev, bits = s0, 0
    for action, state in zip(actions, ro.states, strict=True):
        oracle_next = NET.step(prev, action).state
        d_now, r_now = partition(state, observed)
        d_oracle, _ = partition(oracle_next, observed)
        _, r_prev = partition(prev, observed)
        assert d_now == d_oracle
        assert r_now == r_prev
        bits += len(d_oracle)
        prev = state
    assert ro.oracle_bits == bits and ro.consults == ro.steps == len(actions)


@SETTINGS
@given(seed=st.integers(0, 10_000), steps=st.integers(1, 20))
def test_the_two_ends_of_the_partition(seed: int, steps: int) -> None:
    """Everything decided: the truth whatever the model says (H = T). Nothing decided: the
    model's own unaided rollout, step for step."""
    s0, actions = _rollout("weighted", seed, steps)
    null = get_proposer("null", NET)
    everything = run_oracle_decides(
        NET, null, s0, actions, decides=lambda e: True, revealed=lambda s: len(NET.facts(s))
    )
    assert everything.horizon(0.0) == steps and set(everything.divergences) == {0.0}
    assert list(everything.states) == list(everything.truth)
    nothing = run_oracle_decides(
        NET, null, s0, actions, decides=lambda e: False, revealed=lambda s: 0
    )
    unaided = run_rollout(NET, null, s0, actions, budget=0, policy=Never())
    assert nothing.divergences == unaided.divergences and nothing.oracle_bits == 0


def test_a_perfect_model_is_faithful_whatever_the_oracle_decides() -> None:
    s0, actions = _rollout("adversarial", 7, 16)
    observed = observed_prefix(NET.config.hosts, 0.5)
    ro = run_oracle_decides(
        NET,
        get_proposer("oracle", NET),
        s0,
        actions,
        decides=lambda e: is_decided(e, observed),
        revealed=lambda s: len(partition(s, observed)[0]),
    )
    assert ro.horizon(0.0) == 16 and ro.states == ro.truth
