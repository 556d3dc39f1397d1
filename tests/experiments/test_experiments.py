"""Experiment kinds: parameters, sealed seeds, metrics, and purity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.experiments import (
    EVAL_SEED_OFFSET,
    EXPERIMENTS,
    ArmSpec,
    ExperimentError,
    TrialSpec,
    eval_seed,
    get_experiment,
)
from engine.experiments.scoring import field_tokens, token_accuracy
from engine.rollout.loop import run_at_rho
from worlds import get_world

WORLDS = ("filesystem", "network")


def spec(
    world: str = "network",
    experiment: str = "horizon_curve",
    params: Mapping[str, Any] | None = None,
    proposer: str = "null",
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    world_config: Mapping[str, Any] | None = None,
    arm_params: Mapping[str, Any] | None = None,
) -> TrialSpec:
    return TrialSpec(
        world=world,
        world_config=dict(world_config or {}),
        experiment=experiment,
        params=dict(params or {}),
        arm=ArmSpec(proposer, dict(arm_params or {}), dict(overrides or {})),
        seed=seed,
    )


def run(s: TrialSpec) -> dict[str, float]:
    return get_experiment(s.experiment).run(s)


def test_registry() -> None:
    assert {"horizon_curve", "one_step"} <= set(EXPERIMENTS)
    for name, kind in EXPERIMENTS.items():
        assert kind.name == name and kind.metrics and kind.params
    with pytest.raises(ExperimentError, match=r"unknown experiment kind 'nope' \(known: "):
        get_experiment("nope")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"rh0": 0.1}, r"unknown parameter\(s\) \['rh0'\]"),
        ({"rho": 1.5}, r"'rho' must be in \[0, 1\]"),
        ({"rho": "0.1"}, "'rho' must be float"),
        ({"steps": True}, "'steps' must be int"),
        ({"policy": "psychic"}, "'policy' must be one of"),
        ({"operator": "magic"}, "'operator' must be one of"),
        ({"driver": "chaos"}, "unknown driver 'chaos'"),
        ({"train_seeds": [0, EVAL_SEED_OFFSET]}, "sealed evaluation range"),
        ({"train_seeds": [1, 1]}, "repeat"),
        ({"train_seeds": [0], "train_trajectories": 2}, "not both"),
    ],
)
def test_bad_params_are_clear_errors(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ExperimentError, match=match):
        run(spec(params=params))


def test_other_bad_inputs() -> None:
    with pytest.raises(ExperimentError, match="unknown proposer 'ghost'"):
        run(spec(proposer="ghost"))
    with pytest.raises(ExperimentError, match=r"null: unknown parameter"):
        run(spec(arm_params={"lr": 1.0}))
    with pytest.raises(ExperimentError, match="cannot build world"):
        run(spec(world_config={"planets": 3}))
    with pytest.raises(ExperimentError, match="partially observable"):
        run(spec(world="filesystem", params={"observation": "probe", "rho": 0.5}))
    with pytest.raises(ExperimentError, match="non-negative"):
        run(spec(seed=-1))


def test_eval_seeds_are_sealed_from_training() -> None:
    assert eval_seed(0) == EVAL_SEED_OFFSET and eval_seed(7) == EVAL_SEED_OFFSET + 7
    # The largest training seed the validator allows is still below every evaluation seed.
    run(spec(params={"train_seeds": [EVAL_SEED_OFFSET - 1], "train_steps": 2}))


def test_horizon_curve_matches_the_loop_and_the_ceiling() -> None:
    world = get_world("network")
    out = run(spec(params={"rho": 0.2, "eps": 0.05, "steps": 24}, seed=5))
    actions = [r.action for r in world.trajectory("weighted", EVAL_SEED_OFFSET + 5, 24)]
    from proposers import get_proposer

    ref = run_at_rho(world, get_proposer("null", world), world.initial_state(), actions, rho=0.2)
    assert out["horizon"] == ref.horizon(0.05)
    assert out["consults"] == 4 and out["oracle_bits"] == ref.oracle_bits
    assert out["horizon_per_bit"] == out["horizon"] / max(ref.oracle_bits, 1)
    assert out["normalized_horizon"] == out["horizon"] / 24
    assert out["train_examples"] == 4 * 40  # the default training data: seeds 0-3 x 40 steps
    # every metric but the opt-in competence measure (`competence = true`; tests/engine/test_gate)
    assert set(out) == EXPERIMENTS["horizon_curve"].metrics - {"competence_delta_exact"}
    for world_name in WORLDS:
        ceiling = run(spec(world=world_name, proposer="oracle", params={"rho": 0.0}))
        assert ceiling["normalized_horizon"] == 1.0 and ceiling["consults"] == 0
        reset = run(spec(world=world_name, params={"rho": 1.0, "operator": "hard_reset"}))
        assert reset["normalized_horizon"] == 1.0 and reset["mean_divergence"] == 0.0


def test_filesystem_has_no_reachability_metric() -> None:
    out = run(spec(world="filesystem"))
    assert "mean_reachability_faithfulness" not in out
    assert set(out) < EXPERIMENTS["horizon_curve"].metrics


def test_overrides_replace_params_per_arm() -> None:
    base = {"rho": 0.5, "steps": 12}
    via_override = run(spec(params=base, overrides={"observation": "probe"}))
    direct = run(spec(params={**base, "observation": "probe"}))
    full = run(spec(params=base))
    assert via_override == direct
    assert via_override["oracle_bits"] < full["oracle_bits"]


@settings(max_examples=12, deadline=None)
@given(
    st.sampled_from(WORLDS),
    st.sampled_from(["horizon_curve", "one_step"]),
    st.sampled_from(["null", "frequency", "oracle"]),
    st.integers(0, 1000),
    st.sampled_from([0.0, 0.1, 0.3]),
)
def test_trials_are_pure(world: str, experiment: str, proposer: str, seed: int, rho: float) -> None:
    params: dict[str, Any] = {"steps": 10, "train_trajectories": 2, "train_steps": 10}
    if experiment == "horizon_curve":
        params |= {"rho": rho, "policy": "drift", "eps": 0.05}
    s = spec(world=world, experiment=experiment, params=params, proposer=proposer, seed=seed)
    assert run(s) == run(s)


@pytest.mark.parametrize("world_name", WORLDS)
def test_one_step_baselines(world_name: str) -> None:
    params = {"steps": 16, "eps": 0.05}
    oracle = run(spec(world=world_name, experiment="one_step", params=params, proposer="oracle"))
    assert oracle["token_accuracy"] == oracle["delta_exact"] == oracle["accuracy_at_eps"] == 1.0
    assert oracle["bits_to_correct"] == 0.0 and oracle["mean_divergence"] == 0.0
    null = run(spec(world=world_name, experiment="one_step", params=params))
    assert null["token_accuracy"] == null["delta_exact"] == 0.0  # every true delta has a result
    assert null["bits_to_correct"] > 0.0
    freq = run(spec(world=world_name, experiment="one_step", params=params, proposer="frequency"))
    assert 0.0 < freq["token_accuracy"] <= 1.0
    keys = set(EXPERIMENTS["one_step"].metrics)
    assert set(freq) <= keys
    assert ("mean_reachability_faithfulness" in freq) == (world_name == "network")


# --- token accuracy --------------------------------------------------------------------------


def test_token_accuracy_definition() -> None:
    world = get_world("network")
    s = world.initial_state()
    true = world.step(s, world.parse_action("svc_up h1 80")).delta  # svc_up + set_result
    assert token_accuracy(world, true, true) == 1.0
    assert token_accuracy(world, (), true) == 0.0
    wrong_port = world.step(s, world.parse_action("svc_up h1 443")).delta
    tokens = sum(field_tokens(world, true).values())
    assert tokens == 3 + 2  # (op), (host), (port) + (op), (exit_code)
    assert token_accuracy(world, wrong_port, true) == pytest.approx((tokens - 1) / tokens)
    assert token_accuracy(world, (), ()) == 1.0
    assert token_accuracy(world, true, ()) == 0.0


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(WORLDS), st.integers(0, 500), st.integers(0, 500))
def test_token_accuracy_bounds(world_name: str, a: int, b: int) -> None:
    world = get_world(world_name)
    ra, rb = world.trajectory("uniform", a, 6), world.trajectory("uniform", b, 6)
    for x, y in zip(ra, rb, strict=True):
        score = token_accuracy(world, x.transition.delta, y.transition.delta)
        assert 0.0 <= score <= 1.0
        assert token_accuracy(world, y.transition.delta, y.transition.delta) == 1.0


@pytest.mark.parametrize("name", ["horizon_curve", "one_step"])
def test_validate_checks_params_without_running(name: str) -> None:
    kind: Any = EXPERIMENTS[name]
    kind.validate({"steps": 12, "train_seeds": [0, 1]})
    with pytest.raises(ExperimentError, match="sealed evaluation range"):
        kind.validate({"train_seeds": [EVAL_SEED_OFFSET + 3]})
    with pytest.raises(ExperimentError, match="unknown parameter"):
        kind.validate({"stepz": 3})
