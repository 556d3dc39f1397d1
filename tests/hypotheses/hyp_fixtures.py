"""Shared test data for tests/hypotheses (a uniquely named module, not conftest, so test
files can import it whatever other conftest modules the full suite has loaded)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

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

Writer = Callable[..., Path]
