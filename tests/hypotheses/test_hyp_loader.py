"""Loading files: every kind of bad input gets one line with file, field and reason."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hyp_fixtures import Writer
from hyp_tomlw import dumps

from hypotheses import (
    Catalog,
    ExperimentInfo,
    Hypothesis,
    HypothesisError,
    HypothesisErrors,
    load_directory,
    load_hypothesis,
    validate_directory,
)

FORMAT_EXAMPLE = """\
id = "H11"                                   # unique
title = "Graph structure beats the flat serializer on one-step prediction"
claim = "A message-passing graph+RSSM proposer predicts network deltas more exactly."
source = "seed §1, EN4"
world = "network"
experiment = "one_step"
priority = 10

[params]
hosts = 5
steps = 24
driver = "weighted"

[grid]
# hosts = [25, 50, 100, 200]

[arms.graph]
proposer = "graph_rssm"
params = { d_model = 64, train_iters = 1500 }

[arms.flat]
proposer = "flat_transformer"
params = { train_iters = 1500 }

[seeds]
initial = [0, 1, 2, 3, 4]

[effect]
metric = "delta_exact"
kind = "difference"
treatment = "graph"
control = "flat"

[decision]
direction = "greater"
threshold = 0.0
confidence = 0.95
equivalence = 0.02

[[levers]]
when = "refuted"
id = "more-iters"
why = "The graph arm may be under-trained at this budget."
set = { "arms.graph.params.train_iters" = 3000 }

[[levers]]
when = "confirmed"
id = "scale"
why = "Check the gap survives a larger world."
set = { "params.hosts" = 25 }

[[levers]]
when = "inconclusive"
id = "replicate"
why = "Too few seeds to separate the arms: replicate on fresh seeds."
set = { "seeds.initial" = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14] }
"""


def _error(path: Path, catalog: Catalog) -> HypothesisError:
    with pytest.raises(HypothesisError) as info:
        load_hypothesis(path, catalog)
    err = info.value
    assert "\n" not in str(err)
    assert str(err) == (
        f"{err.file}: {err.field}: {err.reason}" if err.field else f"{err.file}: {err.reason}"
    )
    return err


def test_format_note_example_loads(write: Writer, catalog: Catalog) -> None:
    h = load_hypothesis(write(FORMAT_EXAMPLE), catalog)
    assert h.id == "H11" and h.priority == 10 and h.grid == {}
    assert h.arms["graph"].params == {"d_model": 64, "train_iters": 1500}
    assert h.seeds.initial == (0, 1, 2, 3, 4)
    assert [lv.id for lv in h.levers] == ["more-iters", "scale", "replicate"]
    assert h.levers[0].set_ == {"arms.graph.params.train_iters": 3000}


def test_defaults(write: Writer, catalog: Catalog, doc: dict[str, Any]) -> None:
    del doc["priority"], doc["decision"]["confidence"], doc["levers"]
    h = load_hypothesis(write(doc), catalog)
    assert h.priority == 100 and h.decision.confidence == 0.95 and h.levers == ()
    assert h.world_config == {} and h.parent is None and h.depth == 0


def test_direction_message_is_one_line(
    tmp_path: Path, catalog: Catalog, doc: dict[str, Any]
) -> None:
    doc["decision"]["direction"] = "up"
    (tmp_path / "hypotheses").mkdir()
    path = tmp_path / "hypotheses" / "h8.toml"
    path.write_text(dumps(doc), encoding="utf-8")
    err = _error(path, catalog)
    expected = "decision.direction: must be 'greater', 'less' or 'equivalent', got 'up'"
    assert str(err) == f"{path}: {expected}"
    assert (err.file, err.field) == (str(path), "decision.direction")


def test_bad_toml_reports_line(write: Writer, catalog: Catalog) -> None:
    err = _error(write('id = "H1"\ntitle = \n'), catalog)
    assert err.field == ""
    assert "invalid TOML at line 2" in err.reason


def test_missing_file(tmp_path: Path, catalog: Catalog) -> None:
    err = _error(tmp_path / "nope.toml", catalog)
    assert err.reason == "no such file"


@pytest.mark.parametrize("field", ["id", "claim", "world", "seeds", "effect", "arms"])
def test_missing_field(write: Writer, catalog: Catalog, doc: dict[str, Any], field: str) -> None:
    del doc[field]
    err = _error(write(doc), catalog)
    assert (err.field, err.reason) == (field, "required field is missing")


@pytest.mark.parametrize(
    ("path", "value", "field", "expected"),
    [
        (("priority",), "high", "priority", "expected an integer, got string 'high'"),
        (("seeds", "initial"), [0, "1"], "seeds.initial[1]", "expected an integer, got string '1'"),
        (
            ("seeds", "initial"),
            [0, True],
            "seeds.initial[1]",
            "expected an integer, got boolean True",
        ),
        (("decision", "threshold"), "0", "decision.threshold", "expected a number, got string '0'"),
        (("params",), 5, "params", "expected a table, got integer 5"),
        (("title",), 3, "title", "expected a string, got integer 3"),
    ],
)
def test_wrong_type(
    write: Writer,
    catalog: Catalog,
    doc: dict[str, Any],
    path: tuple[str, ...],
    value: Any,
    field: str,
    expected: str,
) -> None:
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    err = _error(write(doc), catalog)
    assert (err.field, err.reason) == (field, expected)


def test_unknown_keys_are_errors(write: Writer, catalog: Catalog, doc: dict[str, Any]) -> None:
    doc["decision"]["directoin"] = "greater"
    err = _error(write(doc), catalog)
    assert err.field == "decision.directoin"
    assert err.reason == "unknown field 'directoin' (did you mean 'direction'?)"
    del doc["decision"]["directoin"]
    doc["prority"] = 3
    assert _error(write(doc), catalog).field == "prority"


@pytest.mark.parametrize(
    ("mutate", "field", "fragment"),
    [
        (
            lambda d: d.update(world="netwrk"),
            "world",
            "unknown world 'netwrk' (known: filesystem, network)",
        ),
        (
            lambda d: d["arms"]["flat"].update(proposer="flat"),
            "arms.flat.proposer",
            "unknown proposer 'flat' (known: flat_transformer, graph_rssm, null)",
        ),
        (
            lambda d: d.update(experiment="two_step"),
            "experiment",
            "unknown experiment kind 'two_step' (known: horizon_curve, one_step)",
        ),
        (
            lambda d: d["effect"].update(metric="accuracy"),
            "effect.metric",
            "unknown metric 'accuracy' for experiment 'one_step' "
            "(known: bits_to_correct, delta_exact)",
        ),
        (lambda d: d["params"].update(hostz=3), "params.hostz", "unknown parameter 'hostz'"),
        (lambda d: d.update(grid={"rh0": [0.1]}), "grid.rh0", "unknown parameter 'rh0'"),
        (
            lambda d: d["arms"]["graph"].update(overrides={"polcy": "fixed"}),
            "arms.graph.overrides.polcy",
            "unknown parameter 'polcy'",
        ),
    ],
)
def test_unknown_names_list_known(
    write: Writer, catalog: Catalog, doc: dict[str, Any], mutate: Any, field: str, fragment: str
) -> None:
    mutate(doc)
    err = _error(write(doc), catalog)
    assert err.field == field
    assert fragment in err.reason


def test_effect_arms_must_exist(write: Writer, catalog: Catalog, doc: dict[str, Any]) -> None:
    doc["effect"]["control"] = "nope"
    err = _error(write(doc), catalog)
    assert err.field == "effect.control"
    assert err.reason == "arm 'nope' is not among the arms (flat, graph)"
    doc["effect"]["control"] = "flat"
    doc["effect"]["treatment"] = "grph"
    assert _error(write(doc), catalog).field == "effect.treatment"


def test_effect_control_rules(write: Writer, catalog: Catalog, doc: dict[str, Any]) -> None:
    del doc["effect"]["control"]
    err = _error(write(doc), catalog)
    assert (err.field, err.reason) == ("effect.control", "required when kind = 'difference'")
    doc["effect"]["kind"] = "value"
    assert load_hypothesis(write(doc), catalog).effect.control is None
    doc["effect"]["control"] = "flat"
    assert _error(write(doc), catalog).reason == "must be absent when kind = 'value'"
    doc["effect"].update(kind="ratio", control="graph")
    assert _error(write(doc), catalog).reason == "must differ from effect.treatment"


@pytest.mark.parametrize(
    ("path", "field", "fragment"),
    [
        (
            "arms.nope.params.x",
            'levers[0].set["arms.nope.params.x"]',
            "no arm 'nope' (arms: flat, graph)",
        ),
        ("params.nope", "levers[0].set", "unknown parameter 'nope'"),
        ("decision.threshold", 'levers[0].set["decision.threshold"]', "the judge is not a knob"),
        ("seeds.extra", 'levers[0].set["seeds.extra"]', "seeds has no 'extra'"),
        ("arms.graph.optimizer", 'levers[0].set["arms.graph.optimizer"]', "has no 'optimizer'"),
        (
            "params.driver.kind",
            'levers[0].set["params.driver.kind"]',
            "params.driver is not a table",
        ),
        ("bogus", 'levers[0].set["bogus"]', "no field 'bogus' in a hypothesis"),
    ],
)
def test_lever_set_paths_must_exist(
    write: Writer, catalog: Catalog, doc: dict[str, Any], path: str, field: str, fragment: str
) -> None:
    doc["levers"][0]["set"] = {path: 1}
    err = _error(write(doc), catalog)
    assert err.field == field
    assert fragment in err.reason


def test_lever_child_must_validate(write: Writer, catalog: Catalog, doc: dict[str, Any]) -> None:
    doc["levers"][2]["set"] = {"seeds.initial": []}
    err = _error(write(doc), catalog)
    assert err.field == "levers[2].set"
    assert (
        "child 'H11/replicate' would be invalid: seeds.initial: must list at least one seed"
        in err.reason
    )


def test_lever_rules(write: Writer, catalog: Catalog, doc: dict[str, Any]) -> None:
    doc["levers"][0]["when"] = "maybe"
    err = _error(write(doc), catalog)
    assert (err.field, err.reason) == (
        "levers[0].when",
        "must be 'confirmed', 'refuted' or 'inconclusive', got 'maybe'",
    )
    doc["levers"][0]["when"] = "refuted"
    doc["levers"][1]["id"] = "more-iters"
    err = _error(write(doc), catalog)
    assert (err.field, err.reason) == (
        "levers[1].id",
        "duplicate lever id 'more-iters' (also levers[0])",
    )
    doc["levers"][1]["id"] = "scale"
    doc["levers"][1]["next"] = "H12"
    err = _error(write(doc), catalog)
    assert (err.field, err.reason) == ("levers[1]", "a lever needs exactly one of 'set' or 'next'")
    del doc["levers"][1]["set"], doc["levers"][1]["next"]
    assert _error(write(doc), catalog).field == "levers[1]"


def test_file_may_not_claim_a_parent(write: Writer, catalog: Catalog, doc: dict[str, Any]) -> None:
    doc["id"] = "H11/x"
    doc["parent"] = "0" * 64
    err = _error(write(doc), catalog)
    assert err.field == "id" and "may not contain '/'" in err.reason
    doc["id"] = "H11"
    assert _error(write(doc), catalog).field == "parent"


def test_unsupported_values(write: Writer, catalog: Catalog) -> None:
    text = FORMAT_EXAMPLE.replace('driver = "weighted"', "driver = 1979-05-27")
    err = _error(write(text), catalog)
    assert err.field == "params" and "unsupported value of type date" in err.reason
    text = FORMAT_EXAMPLE.replace("steps = 24", "steps = nan")
    assert "non-finite" in _error(write(text), catalog).reason


def test_directory_sorted_and_next_checked(
    write: Writer, catalog: Catalog, doc: dict[str, Any]
) -> None:
    doc["levers"].append({"when": "confirmed", "id": "then", "why": "Next.", "next": "H2"})
    write(doc, "a.toml")
    second = dict(doc, id="H2", priority=5, levers=[])
    write(second, "b.toml")
    third = dict(doc, id="H0", priority=10, levers=[])
    path = write(third, "c.toml")
    (path.parent / "notes.md").write_text("not a hypothesis")
    loaded = load_directory(path.parent, catalog)
    assert [h.id for h in loaded] == ["H2", "H0", "H11"]
    assert all(isinstance(h, Hypothesis) for h in loaded)


def test_directory_reports_every_problem(
    write: Writer, catalog: Catalog, doc: dict[str, Any]
) -> None:
    write(doc, "a.toml")
    write(dict(doc, title="same id"), "b.toml")
    bad_world = dict(doc, id="H3", world="mars")
    write(bad_world, "c.toml")
    write("id = ", "d.toml")
    nexting = dict(
        doc, id="H4", levers=[{"when": "refuted", "id": "go", "why": "w", "next": "H99"}]
    )
    write(nexting, "e.toml")
    problems = validate_directory(write(doc, "a.toml").parent, catalog)
    found = {(Path(p.file).name, p.field) for p in problems}
    assert found == {
        ("b.toml", "id"),
        ("c.toml", "world"),
        ("d.toml", ""),
        ("e.toml", "levers[0].next"),
    }
    assert (
        "unknown hypothesis id 'H99' (known: H11, H4)"
        in next(p for p in problems if p.field.endswith("next")).reason
    )
    with pytest.raises(HypothesisErrors) as info:
        load_directory(write(doc, "a.toml").parent, catalog)
    assert len(info.value.errors) == 4
    assert str(info.value).splitlines()[0] == "4 problems:"


def test_missing_directory(tmp_path: Path, catalog: Catalog) -> None:
    problems = validate_directory(tmp_path / "none", catalog)
    assert [p.reason for p in problems] == ["no such directory"]
    with pytest.raises(HypothesisError, match="no such directory"):
        load_directory(tmp_path / "none", catalog)
    assert load_directory(tmp_path, catalog) == []


def test_kind_value_check_runs_on_every_cell_and_arm(
    write: Writer, catalog: Catalog, doc: dict[str, Any]
) -> None:
    seen: list[dict[str, Any]] = []
    doc["seeds"]["initial"] = list(range(8))  # enough for a family of two cells

    def check(params: Mapping[str, Any]) -> None:
        seen.append(dict(params))
        if params.get("steps", 0) > 30:
            raise ValueError(f"one_step: parameter 'steps' too long, got {params['steps']}")

    info = catalog.experiments["one_step"]
    checked = Catalog(
        worlds=catalog.worlds,
        proposers=catalog.proposers,
        experiments={"one_step": ExperimentInfo(info.metrics, info.params, check=check)},
    )
    doc["grid"] = {"driver": ["weighted", "uniform"]}
    doc["arms"]["flat"]["overrides"] = {"steps": 12}
    load_hypothesis(write(doc), checked)
    # two cells x two arms; the arm's overrides win over the cell's params
    assert {(p["driver"], p["steps"]) for p in seen} == {
        ("uniform", 12),
        ("uniform", 24),
        ("weighted", 12),
        ("weighted", 24),
    }

    # the field named is the one that brought the bad value in
    doc["grid"] = {"steps": [10, 40]}
    del doc["params"]["steps"]
    doc["arms"]["flat"]["overrides"] = {"driver": "uniform"}
    err = _error(write(doc, "grid.toml"), checked)
    assert err.field == "grid" and err.reason == "one_step: parameter 'steps' too long, got 40"
    doc["grid"] = {}
    doc["arms"]["flat"]["overrides"] = {"steps": 50}
    err = _error(write(doc, "arm.toml"), checked)
    assert err.field == "arms.flat.overrides" and err.reason.endswith("got 50")
    doc["params"]["steps"] = 60
    doc["arms"]["flat"]["overrides"] = {}
    err = _error(write(doc, "params.toml"), checked)
    assert err.field == "params" and err.reason.endswith("got 60")


# --- power, families, equivalence, model seeds ------------------------------------------------


def test_a_seed_count_that_cannot_decide_is_refused(
    write: Writer, catalog: Catalog, doc: dict[str, Any]
) -> None:
    doc["seeds"]["initial"] = [0, 1, 2]
    err = _error(write(doc), catalog)
    assert err.field == "seeds.initial"
    assert "smallest attainable p (0.125)" in err.reason and "could decide is 5" in err.reason
    # A grid of 6 cells is a family of 6: 5 seeds (2^-5 = 0.031 > 0.05 / 6) cannot decide, 7 can.
    doc["seeds"]["initial"] = [0, 1, 2, 3, 4]
    doc["grid"] = {"driver": ["weighted", "adversarial", "uniform"], "steps": [12, 24]}
    assert "could decide is 7" in _error(write(doc), catalog).reason
    doc["seeds"]["initial"] = list(range(7))
    assert load_hypothesis(write(doc), catalog).seeds.initial == tuple(range(7))


def test_a_lever_child_that_cannot_decide_is_refused(
    write: Writer, catalog: Catalog, doc: dict[str, Any]
) -> None:
    doc["levers"][2]["set"] = {"seeds.initial": [20, 21]}
    err = _error(write(doc), catalog)
    assert err.field == "levers[2].set" and "the child's 2 paired seeds" in err.reason


def test_a_shared_family_is_checked_as_a_whole(
    write: Writer, catalog: Catalog, doc: dict[str, Any]
) -> None:
    doc["decision"]["family"] = "shared"
    for i in range(4):  # 4 members x 1 cell: 5 seeds cannot reach 0.05 / 4, each alone could
        path = write(dict(doc, id=f"S{i}"), f"s{i}.toml")
    problems = validate_directory(path.parent, catalog)
    assert len(problems) == 4 and all("its shared family" in p.reason for p in problems)
    assert all("0.05 / 4 tests" in p.reason for p in problems)


def test_a_shared_family_has_one_alpha(
    write: Writer, catalog: Catalog, doc: dict[str, Any]
) -> None:
    doc["decision"]["family"] = "shared"
    doc["seeds"]["initial"] = list(range(8))
    write(dict(doc, id="A"), "a.toml")
    other = dict(doc, id="B", decision=dict(doc["decision"], confidence=0.99))
    path = write(other, "b.toml")
    (problem,) = validate_directory(path.parent, catalog)
    assert problem.field == "decision.confidence" and "one alpha per family" in problem.reason


def test_sanity_files_stay_outside_families(
    write: Writer, catalog: Catalog, doc: dict[str, Any]
) -> None:
    doc["tags"] = ["sanity"]
    doc["decision"]["family"] = "shared"
    err = _error(write(doc), catalog)
    assert err.field == "decision.family" and "outside every correction family" in err.reason


def test_equivalence_claims_need_their_margin(
    write: Writer, catalog: Catalog, doc: dict[str, Any]
) -> None:
    doc["decision"] = {"direction": "equivalent", "threshold": 0.0}
    err = _error(write(doc), catalog)
    assert err.field == "decision.equivalence" and "needs its margin" in err.reason
    doc["decision"]["equivalence"] = 0.05
    assert load_hypothesis(write(doc), catalog).decision.direction == "equivalent"


def test_model_seeds_are_validated(write: Writer, catalog: Catalog, doc: dict[str, Any]) -> None:
    doc["seeds"]["model"] = [0, 1]
    assert "no arm sets params.model_seed" in _error(write(doc), catalog).reason
    doc["arms"]["graph"]["params"]["model_seed"] = 0
    doc["seeds"]["model"] = [0]
    assert "at least 2 model seeds" in _error(write(doc), catalog).reason
    doc["seeds"]["model"] = [0, 1, 1]
    assert "repeated: [1]" in _error(write(doc), catalog).reason
    doc["seeds"]["model"] = [0, 1, 2, 3, 4]
    assert load_hypothesis(write(doc), catalog).seeds.model == (0, 1, 2, 3, 4)


def test_confidence_is_a_one_sided_level(
    write: Writer, catalog: Catalog, doc: dict[str, Any]
) -> None:
    doc["decision"]["confidence"] = 0.4
    assert "between 0.5 and 1" in _error(write(doc), catalog).reason
