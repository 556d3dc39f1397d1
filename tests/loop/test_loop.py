"""The propose-verify-correct loop: the seed's runner invariants, as properties."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.rollout import policies as pol
from engine.rollout.loop import (
    LoopError,
    faithful_horizon,
    run_at_rho,
    run_rollout,
    unaided_signals,
)
from engine.rollout.policies import (
    DriftTriggered,
    FixedInterval,
    Never,
    PolicyError,
    RandomProbe,
    RoundRobinProbe,
    UncertaintyTriggered,
    budget_for_rho,
    fixed_interval_for_rho,
)
from proposers import Prediction, get_proposer
from worlds import get_world

WORLDS = {name: get_world(name) for name in ("filesystem", "network")}
RHOS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
SETTINGS = settings(max_examples=50, deadline=None)

worlds = st.sampled_from(sorted(WORLDS))
drivers = st.sampled_from(["uniform", "weighted", "adversarial"])
seeds = st.integers(0, 10_000)
lengths = st.integers(1, 24)


def _actions(world: Any, driver: str, seed: int, steps: int) -> list[Any]:
    return [r.action for r in world.trajectory(driver, seed, steps)]


def _fitted(world: Any, name: str) -> Any:
    proposer = get_proposer(name, world)
    proposer.fit([world.trajectory("weighted", s, 20) for s in range(3)], seed=0)
    return proposer


@dataclass
class Noisy:
    """A deterministic imperfect proposer with a varying signal (drops every third delta)."""

    world: Any
    name: str = "noisy"
    calls: int = 0
    updates: list[Any] = field(default_factory=list)

    def fit(self, trajectories: Any, seed: int) -> None:
        return None

    def predict(self, state: Any, action: Any) -> Prediction:
        self.calls += 1
        true = self.world.step(state, action).delta
        text = self.world.action_text(action)
        wrong = sum(map(ord, text)) % 3 == 0
        return Prediction(() if wrong else tuple(true), float(len(text) % 5))

    def online_update(self, state: Any, action: Any, true_delta: Any) -> None:
        self.updates.append((state, action, tuple(true_delta)))


PROPOSERS = ("null", "frequency", "oracle", "noisy")


def _proposer(world: Any, name: str) -> Any:
    return Noisy(world) if name == "noisy" else _fitted(world, name)


# --- budget and schedules ------------------------------------------------------------------


def test_budget_for_rho() -> None:
    assert [budget_for_rho(r, 24) for r in RHOS] == [0, 1, 2, 4, 7, 12, 24]
    assert budget_for_rho(0.29, 100) == 29  # exact, not floor(28.999999999999996)
    for bad in (-0.1, 1.5, math.nan, True):
        with pytest.raises(PolicyError, match="rho"):
            budget_for_rho(bad, 24)
    with pytest.raises(PolicyError, match="steps"):
        budget_for_rho(0.5, -1)


def test_fixed_interval_schedules_of_the_seed_for_t24() -> None:
    expected = {
        0.05: [0],
        0.1: [0, 10],
        0.2: [0, 5, 10, 15],
        0.3: [0, 3, 6, 9, 12, 15, 18],
        0.5: list(range(0, 24, 2)),
        1.0: list(range(24)),
    }
    assert isinstance(fixed_interval_for_rho(0.0), Never)
    assert fixed_interval_for_rho(0.4) == FixedInterval(2)  # round(2.5) == 2: banker's rounding
    world = WORLDS["filesystem"]
    actions = _actions(world, "weighted", 100, 24)
    null = get_proposer("null", world)
    for rho, steps in expected.items():
        out = run_at_rho(world, null, world.initial_state(), actions, rho=rho)
        assert [t for t, c in enumerate(out.schedule) if c] == steps, rho


def test_never_with_budget_spends_down_at_the_end() -> None:
    world = WORLDS["network"]
    actions = _actions(world, "weighted", 0, 5)
    out = run_rollout(
        world,
        get_proposer("null", world),
        world.initial_state(),
        actions,
        budget=2,
        policy=Never(),
    )
    assert out.schedule == (False, False, False, True, True)


@SETTINGS
@given(
    worlds,
    drivers,
    seeds,
    lengths,
    st.sampled_from(RHOS),
    st.sampled_from(PROPOSERS),
    st.sampled_from(pol.POLICY_NAMES),
)
def test_every_policy_spends_exactly_the_budget(
    world_name: str, driver: str, seed: int, steps: int, rho: float, proposer: str, policy: str
) -> None:
    world = WORLDS[world_name]
    actions = _actions(world, driver, seed, steps)
    out = run_at_rho(
        world, _proposer(world, proposer), world.initial_state(), actions, rho=rho, policy=policy
    )
    assert out.consults == budget_for_rho(rho, steps) == out.budget
    assert len(out.divergences) == len(out.schedule) == len(out.signals) == steps


# --- the seed's runner invariants ----------------------------------------------------------


@SETTINGS
@given(worlds, drivers, seeds, lengths, st.sampled_from(PROPOSERS))
def test_rho_one_hard_reset_gives_the_full_horizon(
    world_name: str, driver: str, seed: int, steps: int, proposer: str
) -> None:
    world = WORLDS[world_name]
    actions = _actions(world, driver, seed, steps)
    out = run_at_rho(
        world,
        _proposer(world, proposer),
        world.initial_state(),
        actions,
        rho=1.0,
        operator="hard_reset",
    )
    assert out.divergences == (0.0,) * steps
    assert out.horizon(0.0) == steps


@SETTINGS
@given(worlds, drivers, seeds, lengths)
def test_oracle_never_drifts_unaided(world_name: str, driver: str, seed: int, steps: int) -> None:
    world = WORLDS[world_name]
    actions = _actions(world, driver, seed, steps)
    out = run_at_rho(world, get_proposer("oracle", world), world.initial_state(), actions, rho=0)
    assert out.consults == 0 and out.oracle_bits == 0
    assert out.horizon(0.0) == steps and out.mean_divergence == 0.0


@SETTINGS
@given(worlds, drivers, seeds, lengths, st.sampled_from(PROPOSERS))
def test_rho_zero_is_the_manual_unaided_rollout(
    world_name: str, driver: str, seed: int, steps: int, proposer: str
) -> None:
    world = WORLDS[world_name]
    records = world.trajectory(driver, seed, steps)
    model = _proposer(world, proposer)
    out = run_at_rho(world, model, world.initial_state(), [r.action for r in records], rho=0.0)
    state = world.initial_state()
    manual = []
    for record in records:
        state = world.apply(state, model.predict(state, record.action).delta)
        manual.append(world.divergence(record.transition.state, state))
    assert list(out.divergences) == manual
    assert out.consults == 0


@SETTINGS
@given(
    worlds,
    drivers,
    seeds,
    lengths,
    st.sampled_from(RHOS),
    st.sampled_from(["full", "hard_reset", "residual", "projection"]),
    st.sampled_from(pol.POLICY_NAMES),
)
def test_the_loop_is_deterministic(
    world_name: str, driver: str, seed: int, steps: int, rho: float, operator: str, policy: str
) -> None:
    world = WORLDS[world_name]
    actions = _actions(world, driver, seed, steps)
    runs = [
        run_at_rho(
            world,
            Noisy(world),
            world.initial_state(),
            actions,
            rho=rho,
            operator=operator,
            policy=policy,
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


@SETTINGS
@given(worlds, drivers, seeds, st.integers(2, 24), st.sampled_from(RHOS))
def test_residual_and_projection_equal_full_and_log_per_consult(
    world_name: str, driver: str, seed: int, steps: int, rho: float
) -> None:
    world = WORLDS[world_name]
    actions = _actions(world, driver, seed, steps)
    outs = {
        op: run_at_rho(world, Noisy(world), world.initial_state(), actions, rho=rho, operator=op)
        for op in ("full", "residual", "projection")
    }
    assert (
        outs["residual"].divergences == outs["full"].divergences == outs["projection"].divergences
    )
    assert outs["full"].operator_log == ()
    assert len(outs["residual"].operator_log) == outs["residual"].consults
    assert all(0.0 <= d <= 1.0 for d in outs["projection"].operator_log)


def test_full_consult_corrects_from_the_coupled_state() -> None:
    """A full consult never repairs earlier drift; hard reset does (the architecture decision)."""
    world = WORLDS["filesystem"]
    actions = [world.parse_action(t) for t in ("mkdir /a", "mkdir /b", "touch /c")]
    null = get_proposer("null", world)
    policy = FixedInterval(2)  # consult at t = 0 and t = 2, drift at t = 1
    full = run_rollout(world, null, world.initial_state(), actions, budget=2, policy=policy)
    reset = run_rollout(
        world, null, world.initial_state(), actions, budget=2, policy=policy, operator="hard_reset"
    )
    assert full.schedule == reset.schedule == (True, False, True)
    assert full.divergences[0] == 0.0 and full.divergences[2] > 0.0  # /b is still missing
    assert reset.divergences[2] == 0.0


def test_oracle_bits_count_revealed_facts() -> None:
    world = WORLDS["network"]
    actions = _actions(world, "weighted", 3, 10)
    out = run_at_rho(world, get_proposer("null", world), world.initial_state(), actions, rho=1.0)
    # Under full observation with the null proposer every consult reveals O(s_hat, a) = truth.
    assert out.oracle_bits == sum(len(world.facts(s)) for s in out.truth)


# --- policies and calibration --------------------------------------------------------------


def test_triggered_policies() -> None:
    assert UncertaintyTriggered(1.0)(0, 1.5, 0.0) and not UncertaintyTriggered(1.0)(0, 1.0, 9.0)
    assert DriftTriggered(2.0)(0, 0.0, 2.5) and not DriftTriggered(2.0)(0, 9.0, 2.0)
    assert pol.uncertainty_tau([3.0, 1.0, 2.0, 4.0, 5.0], 0.2) == 4.0  # index round(.8 * 4) = 3
    assert pol.uncertainty_tau([], 0.5) == math.inf
    assert pol.drift_tau([1.0, 2.0, 3.0], 2) == 3.0
    assert pol.drift_tau([1.0], 0) == math.inf
    with pytest.raises(PolicyError, match="calibrate"):
        pol.make_policy("uncertainty", 0.2, steps=24)
    with pytest.raises(PolicyError, match="unknown consultation policy"):
        pol.make_policy("psychic", 0.2, steps=24)
    with pytest.raises(PolicyError, match="finite"):
        pol.uncertainty_tau([math.nan], 0.2)
    with pytest.raises(PolicyError, match="k >= 1"):
        FixedInterval(0)


def test_uncertainty_policy_consults_where_the_signal_is_high() -> None:
    world = WORLDS["network"]
    actions = _actions(world, "weighted", 7, 24)
    noisy = Noisy(world)
    signals = unaided_signals(world, noisy, world.initial_state(), actions)
    out = run_at_rho(world, noisy, world.initial_state(), actions, rho=0.2, policy="uncertainty")
    tau = pol.uncertainty_tau(signals, 0.2)
    assert out.signals == tuple(signals)  # same actions, no online change: same signals
    calls, chosen = 0, 0
    for t, consulted in enumerate(out.schedule):
        backstop = out.budget - calls >= 24 - t
        if consulted and not backstop:
            assert out.signals[t] > tau  # the policy, not the backstop, chose this step
            chosen += 1
        elif not consulted and calls < out.budget:
            assert out.signals[t] <= tau
        calls += consulted
    assert chosen > 0


# --- online updates ------------------------------------------------------------------------


def test_online_updates_get_each_consulted_transition() -> None:
    world = WORLDS["network"]
    actions = _actions(world, "weighted", 1, 12)
    noisy = Noisy(world)
    out = run_at_rho(world, noisy, world.initial_state(), actions, rho=0.5, online=True)
    assert len(noisy.updates) == out.consults == 6
    state, action, delta = noisy.updates[0]
    assert action == actions[0] and delta == world.step(state, action).delta
    frozen = Noisy(world)
    run_at_rho(world, frozen, world.initial_state(), actions, rho=0.5)
    assert frozen.updates == []
    # A proposer without online_update is simply not updated.
    run_at_rho(
        world, get_proposer("null", world), world.initial_state(), actions, rho=0.5, online=True
    )


# --- probe observation ---------------------------------------------------------------------


def test_probe_needs_a_partially_observable_world() -> None:
    world = WORLDS["filesystem"]
    actions = _actions(world, "weighted", 0, 4)
    with pytest.raises(LoopError, match="partially observable"):
        run_rollout(
            world,
            get_proposer("null", world),
            world.initial_state(),
            actions,
            budget=1,
            policy=Never(),
            observation="probe",
            probe_policy=RoundRobinProbe(),
        )


def test_probe_round_robin_buys_less_horizon_for_fewer_bits() -> None:
    world = WORLDS["network"]
    null = get_proposer("null", world)
    for seed in range(3):
        actions = _actions(world, "weighted", seed, 24)
        full = run_at_rho(world, null, world.initial_state(), actions, rho=1.0)
        probe = run_at_rho(
            world,
            null,
            world.initial_state(),
            actions,
            rho=1.0,
            observation="probe",
            probe_policy=RoundRobinProbe(),
        )
        assert full.horizon(0.0) == 24
        assert probe.horizon(0.0) < 24  # a probe never repairs the clock or exit code
        assert probe.oracle_bits < full.oracle_bits
        assert len(probe.operator_log) == 24


def test_probe_policies() -> None:
    hosts = ("h0", "h1", "h2")
    rr = RoundRobinProbe()
    assert [rr.choose(i, None, hosts) for i in range(5)] == ["h0", "h1", "h2", "h0", "h1"]
    rnd = RandomProbe(seed=4)
    picks = [rnd.choose(i, None, hosts) for i in range(30)]
    assert picks == [RandomProbe(seed=4).choose(i, None, hosts) for i in range(30)]
    assert set(picks) == set(hosts)
    with pytest.raises(PolicyError, match="unknown probe policy"):
        pol.make_probe_policy("greedy")


def test_bad_loop_arguments() -> None:
    world = WORLDS["network"]
    null = get_proposer("null", world)
    actions = _actions(world, "weighted", 0, 4)
    s0 = world.initial_state()
    with pytest.raises(LoopError, match="budget"):
        run_rollout(world, null, s0, actions, budget=5, policy=Never())
    with pytest.raises(LoopError, match="unknown observation"):
        run_rollout(world, null, s0, actions, budget=1, policy=Never(), observation="half")
    with pytest.raises(ValueError, match="unknown operator"):
        run_rollout(world, null, s0, actions, budget=1, policy=Never(), operator="magic")
    with pytest.raises(ValueError, match="needs the full successor"):
        run_rollout(
            world,
            null,
            s0,
            actions,
            budget=1,
            policy=Never(),
            observation="probe",
            operator="hard_reset",
            probe_policy=RoundRobinProbe(),
        )
    with pytest.raises(LoopError, match="needs a probe_policy"):
        run_rollout(world, null, s0, actions, budget=1, policy=Never(), observation="probe")
    with pytest.raises(LoopError, match="online"):
        run_rollout(
            world,
            null,
            s0,
            actions,
            budget=1,
            policy=Never(),
            observation="probe",
            probe_policy=RoundRobinProbe(),
            online=True,
        )


def test_faithful_horizon() -> None:
    assert faithful_horizon([], 0.0) == 0
    assert faithful_horizon([0.0, 0.05, 0.2, 0.0], 0.05) == 2  # d == eps is faithful
    assert faithful_horizon([0.0, 0.0], 0.0) == 2
    with pytest.raises(LoopError, match="eps"):
        faithful_horizon([0.1], -1.0)
