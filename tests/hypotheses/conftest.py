from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hyp_tomlw import dumps

from hypotheses import Catalog, ExperimentInfo

BASE: dict[str, Any] = {
    "id": "H11",
    "title": "Graph beats flat on one-step prediction",
    "claim": "A graph proposer predicts deltas more exactly than a flat one.",
    "source": "seed §1, EN4",
    "world": "network",
    "experiment": "one_step",
    "priority": 10,
    "params": {"hosts": 5, "steps": 24, "driver": "weighted"},
    "arms": {
        "graph": {"proposer": "graph_rssm", "params": {"d_model": 64, "train_iters": 1500}},
        "flat": {"proposer": "flat_transformer", "params": {"train_iters": 1500}},
    },
    "seeds": {"initial": [0, 1, 2, 3, 4]},
    "effect": {
        "metric": "delta_exact",
        "kind": "difference",
        "treatment": "graph",
        "control": "flat",
    },
    "decision": {"direction": "greater", "threshold": 0.0, "confidence": 0.95, "equivalence": 0.02},
    "levers": [
        {
            "when": "refuted",
            "id": "more-iters",
            "why": "The graph arm may be under-trained.",
            "set": {"arms.graph.params.train_iters": 3000},
        },
        {"when": "confirmed", "id": "scale", "why": "Larger world.", "set": {"params.hosts": 25}},
        {
            "when": "inconclusive",
            "id": "replicate",
            "why": "Fresh seeds.",
            "set": {"seeds.initial": [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]},
        },
    ],
}


@pytest.fixture
def catalog() -> Catalog:
    return Catalog(
        worlds=frozenset({"network", "filesystem"}),
        proposers=frozenset({"graph_rssm", "flat_transformer", "null"}),
        experiments={
            "one_step": ExperimentInfo(
                metrics=frozenset({"delta_exact", "bits_to_correct"}),
                params=frozenset({"hosts", "steps", "driver", "rho", "policy"}),
            ),
            "horizon_curve": ExperimentInfo(
                metrics=frozenset({"horizon"}), params=frozenset({"rho", "epsilon"})
            ),
        },
    )


@pytest.fixture
def doc() -> dict[str, Any]:
    """A fresh, valid hypothesis document (mutate freely)."""
    return copy.deepcopy(BASE)


Writer = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """write(doc_or_text, name="h.toml") -> path of the written file."""

    def _write(content: dict[str, Any] | str, name: str = "h.toml") -> Path:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else dumps(content), encoding="utf-8")
        return path

    return _write
