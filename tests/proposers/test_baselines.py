"""The baseline proposers and the registry that builds proposers by name."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import proposers
from proposers import Prediction, Proposer, ProposerError, get_proposer, register_proposer
from proposers.frequency import FrequencyProposer, abstract, instantiate
from worlds import get_world

WORLDS = ("filesystem", "network")


def _records(world: Any, driver: str, seeds: range, steps: int) -> list[Any]:
    return [r for s in seeds for r in world.trajectory(driver, s, steps)]


def test_names_and_unknown_name() -> None:
    names = proposers.proposer_names()
    for name in ("null", "frequency", "oracle"):
        assert name in names
    assert names == proposers.PROPOSER_NAMES
    with pytest.raises(ProposerError, match=r"unknown proposer 'nope' \(known: .*frequency"):
        get_proposer("nope", get_world("network"))


@pytest.mark.parametrize("name", ["null", "frequency", "oracle"])
def test_baselines_reject_unknown_params(name: str) -> None:
    with pytest.raises(ProposerError, match=rf"{name}: unknown parameter\(s\) \['lr'\]"):
        get_proposer(name, get_world("filesystem"), lr=0.1)


def test_register_is_one_line_and_refuses_silent_shadowing() -> None:
    class Echo:
        name = "echo_test"

        def __init__(self, world: Any, **params: Any) -> None:
            self.world = world

        def fit(self, trajectories: Any, seed: int) -> None:
            return None

        def predict(self, state: Any, action: Any) -> Prediction:
            return Prediction(())

    register_proposer("echo_test", Echo)
    register_proposer("echo_test", Echo)  # the same factory again is a no-op
    assert "echo_test" in proposers.proposer_names()
    assert isinstance(get_proposer("echo_test", get_world("network")), Proposer)
    with pytest.raises(ProposerError, match="already registered"):
        register_proposer("echo_test", lambda world: Echo(world))
    with pytest.raises(ProposerError, match="must be letters"):
        register_proposer("bad name", Echo)


def test_baselines_do_not_import_torch() -> None:
    code = (
        "import sys, proposers; from worlds import get_world;"
        "w = get_world('network'); p = proposers.get_proposer('frequency', w);"
        "p.fit([w.trajectory('weighted', 0, 10)], 0); proposers.proposer_names();"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("world_name", WORLDS)
def test_null_and_oracle_are_floor_and_ceiling(world_name: str) -> None:
    world = get_world(world_name)
    null, oracle = get_proposer("null", world), get_proposer("oracle", world)
    for record in _records(world, "weighted", range(3), 30):
        assert null.predict(record.state, record.action) == Prediction((), 0.0)
        pred = oracle.predict(record.state, record.action)
        assert pred.delta == tuple(record.transition.delta) and pred.signal == 0.0


def test_frequency_generalizes_a_shape_to_new_arguments() -> None:
    world = get_world("filesystem")
    init = world.initial_state()
    train = world.step(init, world.parse_action("mkdir /a"))
    from worlds.base import StepRecord

    freq = get_proposer("frequency", world)
    freq.fit([[StepRecord(init, world.parse_action("mkdir /a"), train)]], seed=0)
    action = world.parse_action("mkdir /b")
    pred = freq.predict(init, action)
    assert pred.delta == world.step(init, action).delta
    assert pred.signal == 0.0
    # An unseen command predicts nothing, with the most uncertain signal.
    assert freq.predict(init, world.parse_action("touch /c")) == Prediction((), 1.0)


def test_frequency_content_placeholders_recompute_derived_fields() -> None:
    world = get_world("filesystem")
    records = world.trajectory("structural", 0, 12)
    freq = get_proposer("frequency", world)
    freq.fit([records], seed=0)
    state = world.initial_state()
    action = world.parse_action("write /q omega")
    assert freq.predict(state, action).delta == world.step(state, action).delta


def test_frequency_ports_become_integer_placeholders() -> None:
    world = get_world("network")
    shape = abstract([{"op": "svc_up", "host": "h1", "port": 80}], ("h1", "80"))
    assert instantiate(shape, ("h2", "443")) == [{"op": "svc_up", "host": "h2", "port": 443}]
    freq = FrequencyProposer(world)
    state = world.initial_state()
    from worlds.base import StepRecord

    act = world.parse_action("svc_up h1 80")
    freq.fit([[StepRecord(state, act, world.step(state, act))]], seed=0)
    new = world.parse_action("svc_up h3 22")
    assert freq.predict(state, new).delta == world.step(state, new).delta


def test_frequency_unfit_shape_gives_the_empty_delta() -> None:
    world = get_world("network")
    freq = FrequencyProposer(world)
    freq._shapes = {"svc_up": ([{"op": "svc_up", "host": "\x00arg:0:", "port": "\x00int:0"}], 0.5)}
    freq._fitted = True
    # argument 0 ("h1") is not an integer: the shape cannot be instantiated.
    assert freq.predict(world.initial_state(), world.parse_action("svc_up h1 80")).delta == ()
    with pytest.raises(ProposerError, match="before fit"):
        FrequencyProposer(world).predict(world.initial_state(), world.parse_action("advance"))


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(WORLDS), st.permutations(list(range(6))), st.integers(0, 50))
def test_frequency_ignores_data_order_and_seed(
    world_name: str, order: list[int], seed: int
) -> None:
    world = get_world(world_name)
    trajs = [world.trajectory("uniform", s, 15) for s in range(6)]
    a, b = FrequencyProposer(world), FrequencyProposer(world)
    a.fit(trajs, seed=0)
    b.fit([trajs[i] for i in order], seed=seed)
    assert a._shapes == b._shapes


@pytest.mark.parametrize("world_name", WORLDS)
def test_frequency_sits_between_null_and_oracle_one_step(world_name: str) -> None:
    world = get_world(world_name)
    freq = get_proposer("frequency", world)
    freq.fit([world.trajectory("weighted", s, 40) for s in range(8)], seed=0)
    held_out = _records(world, "weighted", range(100_000, 100_004), 30)
    exact = sum(
        world.delta_exact(freq.predict(r.state, r.action).delta, r.transition.delta)
        for r in held_out
    )
    assert 0 < exact < len(held_out)


def test_frequency_online_update_counts_consulted_transitions_and_resets() -> None:
    world = get_world("network")
    from worlds.base import StepRecord

    state = world.initial_state()
    act = world.parse_action("svc_up h1 80")
    freq = FrequencyProposer(world)
    freq.fit([[StepRecord(state, act, world.step(state, act))]], seed=0)
    assert freq.predict(state, world.parse_action("advance")) == Prediction((), 1.0)
    adv = world.parse_action("advance")
    true = world.step(state, adv).delta
    freq.online_update(state, adv, true)
    assert freq.predict(state, adv) == Prediction(tuple(true), 0.0)
    freq.online_reset()
    assert freq.predict(state, adv) == Prediction((), 1.0)
    with pytest.raises(ProposerError, match="before fit"):
        FrequencyProposer(world).online_update(state, adv, true)


def test_online_frequency_in_the_loop_is_deterministic_and_starts_from_the_fit() -> None:
    from engine.rollout.loop import run_at_rho

    world = get_world("filesystem")
    freq = get_proposer("frequency", world)
    freq.fit([world.trajectory("weighted", s, 10) for s in range(2)], seed=0)
    actions = [r.action for r in world.trajectory("adversarial", 100_001, 24)]
    runs = [
        run_at_rho(world, freq, world.initial_state(), actions, rho=0.5, online=True)
        for _ in range(2)
    ]
    assert runs[0] == runs[1]  # online_reset at the start: no leak between rollouts
