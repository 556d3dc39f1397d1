"""Canonical form, content hash, grid cells, and the model's own invariants."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from hyp_fixtures import BASE, Writer
from hyp_tomlw import dumps
from hypothesis import given, settings
from hypothesis import strategies as st

from hypotheses import (
    Catalog,
    Hypothesis,
    HypothesisError,
    HypothesisErrors,
    canonical_json,
    content_digest,
    default_registry_dir,
    load_hypothesis,
    parse_hypothesis,
)


def _h(doc: dict[str, Any]) -> Hypothesis:
    return parse_hypothesis(doc)


def test_hash_ignores_layout_comments_and_key_order(write: Writer, catalog: Catalog) -> None:
    a = load_hypothesis(write(dumps(BASE), "a.toml"), catalog)
    reordered = dict(reversed(list(copy.deepcopy(BASE).items())))
    reordered["params"] = dict(reversed(list(BASE["params"].items())))
    text = "# a comment\n\n" + dumps(reordered).replace(" = ", "   =   ")
    b = load_hypothesis(write(text, "b.toml"), catalog)
    assert a.content_hash == b.content_hash
    assert a.canonical() == b.canonical()
    assert canonical_json(a.canonical()) == canonical_json(b.canonical())
    assert a.content_hash == content_digest(a.canonical())
    assert len(a.content_hash) == 64


def test_defaults_made_explicit_hash_the_same() -> None:
    explicit = copy.deepcopy(BASE)
    implicit = copy.deepcopy(BASE)
    del implicit["decision"]["confidence"]
    explicit["priority"] = 100
    del implicit["priority"]
    explicit["grid"] = {}
    assert _h(explicit).content_hash == _h(implicit).content_hash


def test_canonical_is_sorted_and_round_trips() -> None:
    h = _h(copy.deepcopy(BASE))
    canon = h.canonical()
    assert list(canon) == sorted(canon)
    assert list(canon["arms"]["graph"]) == sorted(canon["arms"]["graph"])
    again = parse_hypothesis(canon)
    assert again == h and again.content_hash == h.content_hash


_SCIENCE_EDITS = [
    ("params", "hosts", 6),
    ("params", "driver", "uniform"),
    ("decision", "threshold", 0.01),
    ("decision", "confidence", 0.9),
    ("decision", "direction", "less"),
    ("effect", "metric", "bits_to_correct"),
    ("seeds", "initial", [0, 1, 2, 3]),
    ("seeds", "initial", [4, 3, 2, 1, 0]),
]


@pytest.mark.parametrize(("table", "key", "value"), _SCIENCE_EDITS)
def test_any_change_of_science_changes_the_hash(table: str, key: str, value: Any) -> None:
    edited = copy.deepcopy(BASE)
    edited[table][key] = value
    assert _h(edited).content_hash != _h(copy.deepcopy(BASE)).content_hash


@settings(max_examples=60, deadline=None)
@given(
    value=st.one_of(
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8).filter(lambda s: "\x00" not in s),  # NUL is refused (limits)
        st.booleans(),
    )
)
def test_param_value_changes_hash_iff_it_differs(value: Any) -> None:
    edited = copy.deepcopy(BASE)
    edited["params"]["steps"] = value
    same = canonical_json(value) == canonical_json(BASE["params"]["steps"])
    assert (_h(edited).content_hash == _h(copy.deepcopy(BASE)).content_hash) == same


def _drop_shadowed_lever(doc: dict[str, Any]) -> None:
    """BASE's "scale" lever sets params.hosts, which a `hosts` grid axis would override in
    every cell (the loader refuses such a lever), so grids over hosts drop it."""
    doc["levers"] = [lever for lever in doc["levers"] if lever["id"] != "scale"]


def test_cells_without_grid() -> None:
    (cell,) = _h(copy.deepcopy(BASE)).cells()
    assert cell.cell_id == "" and dict(cell.params) == BASE["params"] and dict(cell.values) == {}


def test_cells_expand_the_product_with_stable_ids() -> None:
    doc = copy.deepcopy(BASE)
    doc["grid"] = {"rho": [0.1, 0.2], "hosts": [25, 50], "driver": ["uniform"]}
    _drop_shadowed_lever(doc)
    cells = _h(doc).cells()
    assert [c.cell_id for c in cells] == [
        "driver=uniform,hosts=25,rho=0.1",
        "driver=uniform,hosts=25,rho=0.2",
        "driver=uniform,hosts=50,rho=0.1",
        "driver=uniform,hosts=50,rho=0.2",
    ]
    assert cells[1].params == {"hosts": 25, "steps": 24, "driver": "uniform", "rho": 0.2}


@settings(max_examples=40, deadline=None)
@given(
    grid=st.dictionaries(
        st.sampled_from(["hosts", "rho", "steps", "policy"]),
        st.lists(st.integers(0, 50), min_size=1, max_size=4, unique=True),
        max_size=3,
    )
)
def test_cells_are_the_full_product_and_unique(grid: dict[str, list[int]]) -> None:
    doc = copy.deepcopy(BASE)
    doc["grid"] = grid
    _drop_shadowed_lever(doc)
    cells = _h(doc).cells()
    expected = 1
    for values in grid.values():
        expected *= len(values)
    assert len(cells) == expected
    assert len({c.cell_id for c in cells}) == expected
    for c in cells:
        assert all(c.params[k] == v for k, v in c.values.items())


@pytest.mark.parametrize(
    ("edit", "field", "fragment"),
    [
        (lambda d: d["seeds"].update(initial=[]), "seeds.initial", "at least one seed"),
        (lambda d: d["seeds"].update(initial=[1, 2, 1]), "seeds.initial", "repeated: [1]"),
        (lambda d: d["seeds"].update(initial=[-1]), "seeds.initial", "non-negative"),
        (
            lambda d: d["decision"].update(confidence=1.0),
            "decision.confidence",
            "strictly between 0.5 and 1",
        ),
        (lambda d: d["decision"].update(equivalence=-0.1), "decision.equivalence", ">= 0"),
        (lambda d: d.update(grid={"rho": []}), "grid", "at least one value"),
        (lambda d: d.update(grid={"rho": [0.1, 0.1]}), "grid", "repeats a value"),
        (lambda d: d.update(arms={}), "arms", "at least one arm"),
        (lambda d: d.update(title="  "), "title", "must not be empty"),
        (lambda d: d.update(id="H 1"), "id", "must start with a letter or digit"),
        (
            lambda d: (
                d.update(grid={"rho": [0.1]}),
                d["arms"]["graph"].update(overrides={"rho": 0.5}),
            ),
            "arms.graph.overrides",
            "ambiguous",
        ),
        (lambda d: d.update(id="H1/x"), "parent", "needs the parent's content hash"),
    ],
)
def test_model_invariants(edit: Any, field: str, fragment: str) -> None:
    doc = copy.deepcopy(BASE)
    edit(doc)
    with pytest.raises(HypothesisError) as info:
        parse_hypothesis(doc, file="x.toml")
    assert info.value.field == field
    assert fragment in info.value.reason


def test_several_problems_are_all_reported() -> None:
    doc = copy.deepcopy(BASE)
    doc["priority"] = "x"
    doc["decision"]["direction"] = "up"
    with pytest.raises(HypothesisErrors) as info:
        parse_hypothesis(doc)
    assert {e.field for e in info.value.errors} == {"priority", "decision.direction"}


def test_errors_pickle_with_their_fields() -> None:
    err = HypothesisError("h.toml", "world", "unknown world 'x'")
    back = pickle.loads(pickle.dumps(err))
    assert (back.file, back.field, back.reason, str(back)) == (
        "h.toml",
        "world",
        "unknown world 'x'",
        "h.toml: world: unknown world 'x'",
    )
    many = pickle.loads(pickle.dumps(HypothesisErrors([err, err])))
    assert len(many.errors) == 2 and many.field == "world"


def test_models_are_frozen() -> None:
    h = _h(copy.deepcopy(BASE))
    with pytest.raises(ValueError):
        h.priority = 1  # type: ignore[misc]


def test_default_registry_dir_ships_with_the_package() -> None:
    path = default_registry_dir()
    assert path.is_dir() and path.name == "registry" and path.parent.name == "hypotheses"
