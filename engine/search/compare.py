"""`search_compare`: one whole (small) configuration search as one trial.

Claims about controllers (SPEC-4's AR3 and AR4: does a smarter controller beat coordinate at
the same trial budget?) are claims over search seeds. This kind makes one search one trial:
the arm's proposer and parameters are the search's proposer and base, the experiment
parameters hold the space, objective, budget and controller (an arm's `overrides` sets the
controller), and the trial seed is the search seed. The search runs in memory with the same
controllers, screen and keep rule as a ledger search, scored on the seal's cells (drawn for
the problem, not the controller: every arm of a comparison is scored on the same frozen
cells, those of a `config_search` of the same problem), and returns how far it got. Paired
over search seeds and bootstrapped like any arm comparison, that is "at matched trial
budget".

Differences from a ledger search, on purpose: candidates are not ledger rows (the trial's
metrics are the record, and the trial replays), and there is no anomaly re-check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.experiments.base import ExperimentError, TrialSpec
from engine.experiments.params import Param, resolve
from engine.search import space as sp
from engine.search.gate import PARAMS as GATE_PARAMS
from engine.search.gate import open_seal, problem_key, score_on_cells
from engine.search.seams import SearchView, Seen, controller_rng, keep_if_better
from hypotheses import canonical_json
from hypotheses.search import Search

NAME = "search_compare"
SEARCH_FIELDS = ("space", "objective", "controller", "trials", "generation", "eval_cells",
                 "max_train_iters")  # fmt: skip
PARAMS: dict[str, Param] = {
    **GATE_PARAMS,
    "space": Param("space", dict, None, doc="the knob space, as in [search]"),
    "objective": Param("objective", str, "bits_to_correct"),
    "controller": Param("controller", str, "coordinate"),
    "trials": Param("trials", int, 6),
    "generation": Param("generation", int, 2),
    "eval_cells": Param("eval_cells", int, 2),
    "max_train_iters": Param("max_train_iters", int, None),
}
METRICS = frozenset({"best_loss", "base_loss", "improvement", "kept", "refused"})


def search_of(proposer: str, base: Mapping[str, Any], params: Mapping[str, Any]) -> Search:
    table = {k: params[k] for k in SEARCH_FIELDS if params.get(k) is not None}
    try:
        return Search.model_validate({"proposer": proposer, "base": dict(base), **table})
    except ValueError as exc:
        raise ExperimentError(f"{NAME}: the search parameters do not validate: {exc}") from None


class SearchCompare:
    name = NAME
    params = frozenset(PARAMS)
    metrics = METRICS

    def validate(self, params: Mapping[str, Any]) -> None:
        p = resolve(NAME, PARAMS, TrialSpec("", {}, NAME, dict(params), _arm(), 0))
        if p["space"] is None:
            raise ExperimentError(f"{NAME}: parameter 'space' is required")
        search = search_of("flat_transformer", {}, p)
        from engine.search.checks import search_problems

        for field, reason in search_problems(search):
            if not field.startswith("base"):
                raise ExperimentError(f"{NAME}: {field}: {reason}")

    def run(self, spec: TrialSpec) -> dict[str, float]:
        p = resolve(NAME, PARAMS, spec)
        search = search_of(spec.arm.proposer, spec.arm.params, p)
        from engine.search.registry import get_controller

        controller = get_controller(search.controller)
        gate_params = {k: p[k] for k in GATE_PARAMS if k in spec.params}
        cells_key = problem_key(
            spec.world, spec.world_config, gate_params, spec.arm.proposer, spec.arm.params,
            search.objective,
        )  # fmt: skip
        seeds = open_seal().cells(cells_key, "primary", search.eval_cells)
        scores: dict[str, float] = {}

        def loss_of(config: Mapping[str, Any]) -> float:
            key = canonical_json(dict(config))
            if key not in scores:
                arm = type(spec.arm)(spec.arm.proposer, dict(config))
                scores[key] = score_on_cells(
                    spec.world, spec.world_config, arm, gate_params, seeds, spec.seed,
                    search.objective,
                )["loss"]  # fmt: skip
            return scores[key]

        base = dict(search.base)
        base_loss = loss_of(base)
        history = [Seen(0, 0, base, None, base_loss, True, None)]
        best, runnable, refused, generation = base_loss, 0, 0, 0
        while runnable < search.trials and generation < 4 * search.trials:
            generation += 1
            view = SearchView(search, base, list(history), generation)
            count = min(search.generation, search.trials - runnable)
            rng = controller_rng(spec.seed, generation, controller.name)
            for prop in controller.propose(view, count, rng):
                reason = prop.refused or sp.screen(search, base, prop.config)
                if reason is not None:
                    refused += 1
                    history.append(
                        Seen(len(history), generation, dict(prop.config), prop.parent, None,
                             False, prop.move, reason)
                    )  # fmt: skip
                    continue
                runnable += 1
                loss = loss_of(prop.config)
                kept = keep_if_better(best, loss)
                best = loss if kept else best
                history.append(
                    Seen(len(history), generation, dict(prop.config), prop.parent, loss, kept,
                         prop.move)
                )  # fmt: skip
        return {
            "best_loss": best,
            "base_loss": base_loss,
            "improvement": base_loss - best,
            "kept": float(sum(1 for c in history[1:] if c.kept)),
            "refused": float(refused),
        }


def _arm() -> Any:
    from engine.experiments.base import ArmSpec

    return ArmSpec("")
