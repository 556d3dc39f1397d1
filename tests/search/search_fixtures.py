"""Search files and a fake-gate loop for the search tests.

`run_search` drives a `SearchDriver` to the end, finishing each trial it hands out with
metrics from a given loss function of the candidate's configuration (and sealed set): the
driver, the keep rule, the controllers and the ledger rows are the real ones; only the
expensive score is replaced, so a whole search takes well under a second.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from engine.execution.trials import spec_to_dict
from engine.experiments.catalog import build_catalog
from engine.search.driver import SearchDriver
from hypotheses import Hypothesis, parse_hypothesis
from ledger import Ledger

LossFn = Callable[[Mapping[str, Any], str], float]

SEARCH_FILE: dict[str, Any] = {
    "id": "S-flat",
    "title": "A searched flat transformer predicts network deltas better than its base",
    "claim": "Some configuration in the space beats the base on bits-to-correct.",
    "source": "test",
    "world": "network",
    "world_config": {"hosts": 3},
    "experiment": "config_search",
    "params": {"steps": 4, "train_trajectories": 1, "train_steps": 8},
    "search": {
        "proposer": "flat_transformer",
        "base": {"d_model": 8, "n_head": 1, "n_layer": 1, "train_iters": 4},
        "space": {
            "lr": {"low": 1e-4, "high": 1e-1, "log": True},
            "train_iters": [2, 4, 8],
        },
        "controller": "coordinate",
        "trials": 6,
        "generation": 2,
        "eval_cells": 2,
        "confirm_seeds": 2,
    },
    "seeds": {"initial": [0]},
}


def search_data(**search: Any) -> dict[str, Any]:
    data = copy.deepcopy(SEARCH_FILE)
    data["search"].update(search)
    return data


def search_hypothesis(**search: Any) -> Hypothesis:
    return parse_hypothesis(search_data(**search), catalog=build_catalog())


def lr_loss(config: Mapping[str, Any], eval_set: str) -> float:
    """A planted optimum: lr 0.01 and 8 iterations are best."""
    import math

    lr = float(config.get("lr", 3e-3))
    return abs(math.log10(lr) + 2.0) + abs(int(config.get("train_iters", 4)) - 8) / 4


def run_search(
    ledger: Ledger,
    h: Hypothesis,
    loss: LossFn = lr_loss,
    home: Path | None = None,
    stop_after: int | None = None,
    **driver_kw: Any,
) -> SearchDriver:
    """Drive the search, finishing trials with `loss`; `stop_after` trials: stop early."""
    ledger.register_hypothesis(h.canonical(), h.content_hash, h.id, h.title, None)
    driver = SearchDriver(ledger, h, home=home, **driver_kw)
    ran = 0
    while True:
        todo = [r for r in driver.requests() if _open(ledger, r.key)]
        if not todo:
            return driver
        for r in todo:
            if stop_after is not None and ran >= stop_after:
                return driver
            ledger.claim_trial(
                r.key,
                hypothesis_hash=r.hypothesis_hash,
                cell_id=r.cell_id,
                arm=r.arm,
                seed=r.seed,
                spec=spec_to_dict(r.spec),
                worker="test",
                host="test",
            )
            value = loss(r.spec.arm.params, r.cell_id)
            ledger.finish_trial(r.key, {"loss": value, "score": value}, 0.0)
            ran += 1


def _open(ledger: Ledger, key: str) -> bool:
    t = ledger.get_trial(key)
    return t is None or t.status not in ("finished", "failed")


def _toml_value(v: Any) -> str:
    import json

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        inner = ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items())
        return "{ " + inner + " }"
    raise TypeError(type(v))


def to_toml(data: Mapping[str, Any]) -> str:
    """Top-level scalars, then one `[table]` per table (values inline): enough for a file."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"[{k}]")
            lines += [f'"{kk}" = {_toml_value(vv)}' for kk, vv in v.items()]
    return "\n".join(lines) + "\n"
