"""A `config_search` file is validated at load time like every other file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from search_fixtures import SEARCH_FILE, search_data, to_toml
from typer.testing import CliRunner

from engine.cli.app import app
from engine.experiments.catalog import build_catalog
from hypotheses import HypothesisError, derive_child, parse_hypothesis


def problems(data: dict[str, Any]) -> str:
    with pytest.raises(HypothesisError) as info:
        parse_hypothesis(data, catalog=build_catalog())
    return str(info.value)


def test_a_search_file_derives_its_arm_effect_and_decision() -> None:
    h = parse_hypothesis(search_data(), catalog=build_catalog())
    assert h.search is not None and h.search.controller == "coordinate"
    assert h.arms["base"].params == SEARCH_FILE["search"]["base"]
    assert (h.effect.metric, h.decision.direction) == ("bits_to_correct", "less")
    assert h.search.ceiling == 8  # the largest train_iters the space allows
    again = parse_hypothesis(h.canonical(), catalog=build_catalog())
    assert again.content_hash == h.content_hash
    higher = parse_hypothesis(search_data(objective="delta_exact"), catalog=build_catalog())
    assert higher.decision.direction == "greater"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"controller": "annealing"}, "search.controller: unknown controller 'annealing'"),
        ({"space": {"seal": [1, 2]}}, "search.space.seal: 'seal' is a parameter of the judge"),
        ({"space": {"eval_seeds": [1]}}, "parameter of the judge"),
        ({"space": {"dropout": [0.1]}}, "flat_transformer has no parameter 'dropout'"),
        ({"space": {"d_model": ["big"]}}, "search.space.d_model: value 'big' is not a int"),
        ({"max_train_iters": 4}, "allows train_iters up to 8, above the ceiling 4"),
        ({"space": {}}, "search.space: must name at least one knob"),
        ({"space": {"lr": {"low": 1.0, "high": 0.5}}}, "must be above low"),
        ({"trials": 0}, "search.trials: must be >= 1"),
        ({"objective": "accuracy"}, "search.objective"),
    ],
)
def test_bad_search_tables_are_refused_naming_the_field(
    change: dict[str, Any], fragment: str
) -> None:
    assert fragment in problems(search_data(**change))


def test_a_search_file_may_not_write_arms_or_sealed_cells() -> None:
    data = search_data()
    data["arms"] = {"other": {"proposer": "null"}}
    assert "derives 'arms' from [search]" in problems(data)
    data = search_data()
    data["params"] = {**data["params"], "gate": {"cells": [1, 2]}}
    assert "unknown parameter 'gate'" in problems(data)
    data = copy.deepcopy(SEARCH_FILE)
    data["experiment"] = "one_step"
    assert "search: only experiment = 'config_search' has one" in problems(data)


def test_validate_command_refuses_a_bad_search_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(to_toml(search_data(controller="annealing")))
    result = CliRunner().invoke(app, ["hypotheses", "validate", str(path)])
    assert result.exit_code == 2
    assert "unknown controller 'annealing'" in result.output


def test_a_search_lever_can_change_the_search_and_rederives_the_arm() -> None:
    data = search_data()
    data["levers"] = [
        {"when": "refuted", "id": "wider", "why": "w",
         "set": {"search.trials": 12, "search.space.d_model": [8, 16], "search.base.d_model": 16}},
    ]  # fmt: skip
    h = parse_hypothesis(data, catalog=build_catalog())
    child = derive_child(h, h.levers[0], catalog=build_catalog())
    assert child.search is not None and child.search.trials == 12
    assert child.search.space["d_model"] == [8, 16]
    assert child.arms["base"].params["d_model"] == 16 and child.parent == h.content_hash
    data["levers"][0]["set"] = {"search.space.seal": [1]}
    hostile = parse_hypothesis(data, catalog=build_catalog())
    with pytest.raises(HypothesisError, match="parameter of the judge"):
        derive_child(hostile, hostile.levers[0], catalog=build_catalog())
