"""`search_compare`: a whole small search as one trial, for claims about controllers."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.execution.trials import execute
from engine.experiments.base import ArmSpec, ExperimentError, TrialSpec
from engine.experiments.catalog import build_catalog
from engine.search.compare import SearchCompare
from hypotheses import default_registry_dir, derive_child, load_directory
from hypotheses.power import power_problem

BASE = {"d_model": 8, "n_head": 1, "n_layer": 1, "train_iters": 2}
PARAMS = {
    "steps": 4,
    "train_trajectories": 1,
    "train_steps": 8,
    "space": {"train_iters": [2, 6]},
    "trials": 2,
    "generation": 1,
    "eval_cells": 1,
}


def spec(controller: str, seed: int = 0) -> TrialSpec:
    return TrialSpec(
        world="network",
        world_config={"hosts": 3},
        experiment="search_compare",
        params={**PARAMS, "controller": controller},
        arm=ArmSpec("flat_transformer", dict(BASE)),
        seed=seed,
    )


def test_arms_share_the_sealed_cells_and_a_trial_is_pure(home: Path) -> None:
    a = execute(spec("coordinate"))
    b = execute(spec("bandit"))
    assert a["base_loss"] == b["base_loss"]  # same base, same cells, same model seed
    assert a["best_loss"] <= a["base_loss"] and b["best_loss"] <= b["base_loss"]
    assert a["improvement"] == a["base_loss"] - a["best_loss"]
    assert execute(spec("coordinate")) == a


def test_bad_compare_parameters_are_refused_at_load_time() -> None:
    kind = SearchCompare()
    with pytest.raises(ExperimentError, match="unknown controller"):
        kind.validate({**PARAMS, "controller": "annealing"})
    with pytest.raises(ExperimentError, match="'space' is required"):
        kind.validate({"trials": 2})
    with pytest.raises(ExperimentError, match="parameter of the judge"):
        kind.validate({**PARAMS, "space": {"eval_seeds": [1, 2]}})


def test_the_shipped_ar3_ar4_files_compare_each_controller_with_coordinate() -> None:
    every = load_directory(default_registry_dir(), build_catalog())
    compares = {h.id: h for h in every if h.experiment == "search_compare"}
    assert set(compares) == {
        "AR3-llm-stub-vs-coordinate",
        "AR4-evolutionary-vs-coordinate",
        "AR4-bandit-vs-coordinate",
        "AR4-optuna-vs-coordinate",
    }
    for h in compares.values():
        treatment, control = h.arms[h.effect.treatment], h.arms[h.effect.control]
        assert control.overrides == {"controller": "coordinate"}
        assert treatment.params == control.params  # same base
        assert len(h.seeds.initial) >= 8
        # The search seed is the unit: it seeds the controller and every fit of that search,
        # so there is no separate model-seed level, and the one-level test can decide.
        assert h.seeds.model is None and power_problem(h) is None
        for lever in h.levers:
            child = derive_child(h, lever, catalog=build_catalog())
            assert not set(child.seeds.initial) & set(h.seeds.initial)  # fresh search seeds
            assert power_problem(child) is None
    searches = [h for h in every if h.search is not None]
    assert {h.search.controller for h in searches if h.search} == {
        "coordinate",
        "evolutionary",
        "bandit",
        "optuna",
        "llm-stub",
    }
