"""Hostile hypothesis documents for the tests: a valid base file and ways to spoil it.

The base is a small network hypothesis with a grid, two arms and a lever, so every input
path the issue names (world config, drivers in params / grid / levers, arm params, seeds,
priority, the grid's size) is present to be spoilt.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

BASE: dict[str, Any] = {
    "id": "HOSTILE-base",
    "title": "A valid base for hostile edits",
    "claim": "The oracle keeps the horizon better than the null proposer.",
    "source": "tests: hostile input",
    "world": "network",
    "experiment": "horizon_curve",
    "priority": 5,
    "world_config": {"hosts": 5, "ports": 3},
    "params": {"steps": 6, "driver": "weighted", "train_driver": "weighted"},
    "grid": {"rho": [0.0, 0.5]},
    "arms": {"oracle": {"proposer": "oracle"}, "null": {"proposer": "null"}},
    "seeds": {"initial": [0, 1, 2, 3, 4, 5]},  # enough to decide in a 2-cell family
    "effect": {"metric": "horizon", "kind": "difference", "treatment": "oracle", "control": "null"},
    "decision": {"direction": "greater", "threshold": 0.0},
    "levers": [
        {
            "when": "confirmed",
            "id": "adversarial",
            "why": "Does it hold under the adversarial driver?",
            "set": {"params.driver": "adversarial"},
        }
    ],
}


def doc() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def _key(k: str) -> str:
    return json.dumps(k, ensure_ascii=False)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        text = repr(v)
        return text if ("." in text or "e" in text) else text + ".0"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        inner = ", ".join(
            f"{json.dumps(k, ensure_ascii=False)} = {_value(x)}" for k, x in v.items()
        )
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(v).__name__}")


def dumps(document: dict[str, Any]) -> str:
    """TOML text of `document`: every top-level key on its line, tables inline."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in document.items())


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(dumps(document), encoding="utf-8")
    return path


def put(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """Set `path` in `document` (creating tables on the way; a list index past the end
    appends), and return the document."""
    node: Any = document
    for key in path[:-1]:
        if isinstance(node, list):
            index = int(key)
            if index >= len(node):
                node.append({})
                index = len(node) - 1
            node = node[index]
            continue
        if not isinstance(node.get(key), dict | list):
            node[key] = {}
        node = node[key]
    last = path[-1]
    if isinstance(node, list):
        index = int(last)
        if index >= len(node):
            node.append(value)
        else:
            node[index] = value
    else:
        node[last] = value
    return document
