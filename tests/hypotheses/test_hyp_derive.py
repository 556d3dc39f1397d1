"""Levers derive valid children with their own hash; ancestry cannot loop."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hyp_fixtures import BASE
from hypothesis import given, settings
from hypothesis import strategies as st

from hypotheses import Catalog, HypothesisError, derive_child, parse_hypothesis


def _parent(doc: dict[str, Any] | None = None) -> Any:
    return parse_hypothesis(copy.deepcopy(doc or BASE))


@pytest.mark.parametrize(
    ("lever", "check"),
    [
        ("more-iters", lambda c: c.arms["graph"].params["train_iters"] == 3000),
        ("scale", lambda c: c.params["hosts"] == 25),
        ("replicate", lambda c: c.seeds.initial == tuple(range(5, 15))),
    ],
)
def test_each_set_lever_derives_a_valid_child(lever: str, check: Any, catalog: Catalog) -> None:
    parent = _parent()
    child = derive_child(parent, lever, catalog=catalog)
    assert check(child)
    assert child.id == f"H11/{lever}" and child.depth == 1 and child.root_id == "H11"
    assert child.parent == parent.content_hash
    assert child.content_hash != parent.content_hash
    assert child.levers == parent.levers
    assert parse_hypothesis(child.canonical()) == child
    untouched = {
        k: v
        for k, v in child.canonical().items()
        if k not in ("id", "parent", "arms", "params", "seeds")
    }
    assert untouched == {k: v for k, v in parent.canonical().items() if k in untouched}


def test_lever_object_and_id_agree() -> None:
    parent = _parent()
    assert derive_child(parent, parent.levers[1]) == derive_child(parent, "scale")


def test_grid_and_open_tables_can_be_set(catalog: Catalog) -> None:
    doc = copy.deepcopy(BASE)
    doc["levers"] = [
        {
            "when": "confirmed",
            "id": "sweep",
            "why": "Sweep rho.",
            "set": {
                "grid.rho": [0.1, 0.2],
                "arms.flat.overrides.policy": "fixed",
                "world_config.hosts": 9,
            },
        }
    ]
    child = derive_child(_parent(doc), "sweep", catalog=catalog)
    assert [c.cell_id for c in child.cells()] == ["rho=0.1", "rho=0.2"]
    assert child.arms["flat"].overrides == {"policy": "fixed"}
    assert child.world_config == {"hosts": 9}


def test_a_replication_lever_can_draw_fresh_model_seeds(catalog: Catalog) -> None:
    """A recipe claim replicates on fresh fitted models, so `seeds.model` is settable."""
    doc = copy.deepcopy(BASE)
    doc["arms"]["graph"]["params"]["model_seed"] = 0
    doc["seeds"]["model"] = [0, 1, 2, 3, 4]
    doc["levers"][2]["set"] = {"seeds.initial": [5, 6], "seeds.model": [5, 6, 7, 8, 9]}
    child = derive_child(_parent(doc), "replicate", catalog=catalog)
    assert child.seeds.model == (5, 6, 7, 8, 9) and child.seeds.initial == (5, 6)
    doc["levers"][2]["set"] = {"seeds.extra": [1]}
    with pytest.raises(HypothesisError, match="seeds has no 'extra' \\(has: initial, model\\)"):
        derive_child(_parent(doc), "replicate")


def test_chain_refuses_a_repeated_lever() -> None:
    parent = _parent()
    child = derive_child(parent, "replicate")
    grandchild = derive_child(child, "scale")
    assert grandchild.id == "H11/replicate/scale" and grandchild.depth == 2
    assert grandchild.parent == child.content_hash
    assert grandchild.lever_path == ("replicate", "scale")
    with pytest.raises(HypothesisError) as info:
        derive_child(child, "replicate")
    assert info.value.field == "levers[2].id"
    assert "already applied in the ancestry of 'H11/replicate'" in info.value.reason


def test_next_levers_and_unknown_levers_derive_nothing() -> None:
    doc = copy.deepcopy(BASE)
    doc["levers"].append({"when": "confirmed", "id": "then", "why": "w", "next": "H12"})
    parent = _parent(doc)
    with pytest.raises(HypothesisError, match="schedules 'H12'; it derives no child"):
        derive_child(parent, "then")
    with pytest.raises(HypothesisError, match="has no lever 'nope'"):
        derive_child(parent, "nope")


def test_invalid_child_names_the_lever(catalog: Catalog) -> None:
    doc = copy.deepcopy(BASE)
    doc["levers"][1]["set"] = {"arms.flat.proposer": "mystery"}
    with pytest.raises(HypothesisError) as info:
        derive_child(_parent(doc), "scale", catalog=catalog, file="h11.toml")
    err = info.value
    assert (err.file, err.field) == ("h11.toml", "levers[1].set")
    assert "arms.flat.proposer: unknown proposer 'mystery'" in err.reason


@settings(max_examples=30, deadline=None)
@given(order=st.permutations(["more-iters", "scale", "replicate"]), extra=st.integers(0, 2))
def test_any_chain_is_bounded_by_distinct_levers(order: list[str], extra: int) -> None:
    h = _parent()
    hashes = {h.content_hash}
    for lever in order:
        h = derive_child(h, lever)
        hashes.add(h.content_hash)
    assert h.depth == 3 and len(hashes) == 4
    with pytest.raises(HypothesisError):
        derive_child(h, order[extra])
