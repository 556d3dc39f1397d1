"""Grid axes over the world config and arm parameters, and trials built from them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hyp_fixtures import BASE
from pydantic import ValidationError

from engine.execution.trials import plan_trials
from hypotheses import Hypothesis


def _surface() -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["world_config"] = {"hosts": 5, "ports": 3}
    doc["grid"] = {"world_config.hosts": [25, 50], "arms.*.params.d_model": [64, 128]}
    return doc


def test_world_and_arm_axes_reach_each_cell() -> None:
    cells = Hypothesis.model_validate(_surface()).cells()
    assert [c.cell_id for c in cells] == [
        "arms.*.params.d_model=64,world_config.hosts=25",
        "arms.*.params.d_model=64,world_config.hosts=50",
        "arms.*.params.d_model=128,world_config.hosts=25",
        "arms.*.params.d_model=128,world_config.hosts=50",
    ]
    last = cells[-1]
    assert dict(last.world_config) == {"hosts": 50, "ports": 3}
    assert last.arm_params["graph"] == {"d_model": 128, "train_iters": 1500}
    assert last.arm_params["flat"]["d_model"] == 128
    assert dict(last.params) == BASE["params"]  # world/arm axes are not experiment params


def test_one_arm_axis_leaves_the_other_arm_alone() -> None:
    doc = copy.deepcopy(BASE)
    doc["grid"] = {"arms.graph.params.d_model": [16, 32]}
    cells = Hypothesis.model_validate(doc).cells()
    assert [c.arm_params["graph"]["d_model"] for c in cells] == [16, 32]
    assert all("d_model" not in c.arm_params["flat"] for c in cells)


def test_trials_carry_the_cells_world_and_arm_params() -> None:
    h = Hypothesis.model_validate(_surface())
    trials = plan_trials(h)
    assert len(trials) == 4 * 2 * 5
    by_cell = {(t.cell_id, t.arm): t.spec for t in trials if t.seed == 0}
    spec = by_cell[("arms.*.params.d_model=64,world_config.hosts=50", "graph")]
    assert spec.world_config["hosts"] == 50 and spec.arm.params["d_model"] == 64
    # a different world is different code (its oracle version is part of the trial key)
    assert len({t.key for t in trials}) == len(trials)


@pytest.mark.parametrize(
    ("axis", "message"),
    [
        ("world.hosts", "grid axis 'world.hosts' must be"),
        ("arms.nope.params.d_model", "arm 'nope' is not among the arms"),
        ("arms.graph.d_model", "must be a parameter name"),
    ],
)
def test_bad_axes_are_refused(axis: str, message: str) -> None:
    doc = copy.deepcopy(BASE)
    doc["grid"] = {axis: [1, 2]}
    with pytest.raises(ValidationError, match=message):
        Hypothesis.model_validate(doc)


@pytest.mark.parametrize(
    "path", ["world_config.hosts", "arms.graph.params.d_model", "arms.flat.params.d_model"]
)
def test_a_lever_cannot_set_what_a_grid_axis_overrides(path: str) -> None:
    doc = _surface()
    doc["levers"] = [{"when": "refuted", "id": "x", "why": "w", "set": {path: 7}}]
    with pytest.raises(ValidationError, match="overrides in every cell"):
        Hypothesis.model_validate(doc)
    doc["levers"] = [{"when": "refuted", "id": "x", "why": "w", "set": {"params.steps": 7}}]
    Hypothesis.model_validate(doc)
