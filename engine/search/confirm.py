"""The confirmation hypothesis a finished search pre-registers on its own.

A search's best configuration won on the gate's sealed cells, fitted with one model seed (the
search seed): that is a selection, not yet a finding. So when a search ends the engine writes
the claim down as a new version, child of the search, and runs it like any file: `one_step`
with two arms, `best` and `base`, effect = the objective's difference (best - base), decided
in the objective's direction against 0 by the same statistics and family correction as
everything else.

It is replicated over model seeds as well as evaluation seeds, because the claim is about a
recipe, not about one fitted model: `[seeds] model` lists `confirm_models` (at least five)
model seeds and both arms declare `model_seed`, so every evaluation seed runs once per model
seed with freshly fitted models, and the verdict comes from the two-level bootstrap (model
seeds, then evaluation seeds within each). The seeds are the file's own plan
(`hypotheses.search.confirmation_seeds`, checked when the search file is loaded): model seeds
that no candidate of the search was fitted with, and evaluation seeds whose rollouts (at
100_000 + seed) lie below the gate's sealed range (from 1_000_000), so the confirmation is
scored on states and models the search never saw. Trials: confirm_models x confirm_seeds x 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypotheses import Catalog, Hypothesis, parse_hypothesis
from hypotheses.search import confirmation_seeds as planned_seeds

CONFIRM_EXPERIMENT = "one_step"
CONFIRM_TAG = "auto-confirmation"


def confirmation_id(search: Hypothesis, search_seed: int) -> str:
    return f"{search.id}/confirm-seed{search_seed}"


def confirmation_seeds(search: Hypothesis, search_seed: int) -> dict[str, Any]:
    """The `[seeds]` table of the confirmation: evaluation and model seeds (module note)."""
    assert search.search is not None
    return planned_seeds(search.search, search.seeds.initial, search_seed)


def trial_seconds(search: Hypothesis, best: Mapping[str, Any]) -> float:
    """The confirmation's per-trial cost guess, from the search's (one fit and a short
    evaluation per gate trial): the `confirm_seeds` trials of one (arm, model seed) share one
    fit through the weight cache, so each carries that share of it; without the cache every
    trial fits its own model and costs what a gate trial does."""
    s = search.search
    assert s is not None and search.estimated_trial_seconds is not None
    cached = all(config.get("cache", True) is not False for config in (best, s.base))
    share = s.confirm_seeds if cached else 1
    return float(search.estimated_trial_seconds) / share


def confirmation_hypothesis(
    search: Hypothesis,
    search_seed: int,
    best: Mapping[str, Any],
    best_idx: int | None,
    catalog: Catalog | None,
) -> Hypothesis:
    """Best vs base of one finished search, as a pre-registered child of the search."""
    s = search.search
    assert s is not None
    seeds = confirmation_seeds(search, search_seed)
    first_model = seeds["model"][0]  # each trial's model seed replaces it (`build_spec`)
    content = {
        "id": confirmation_id(search, search_seed),
        "title": f"{search.id}: the searched configuration beats its base (seed {search_seed})",
        "claim": (
            f"The configuration the {s.controller} search {search.id} kept last (candidate "
            f"{best_idx}, search seed {search_seed}) has a better {s.objective} than the "
            f"search's base on fresh evaluation seeds, over {s.confirm_models} freshly "
            "trained models of each."
        ),
        "source": (
            f"pre-registered by the engine when search {search.id} "
            f"({search.content_hash[:12]}) ended"
        ),
        "world": search.world,
        "world_config": dict(search.world_config),
        "experiment": CONFIRM_EXPERIMENT,
        "priority": search.priority,
        "params": dict(search.params),
        "arms": {
            "best": {"proposer": s.proposer, "params": {**best, "model_seed": first_model}},
            "base": {"proposer": s.proposer, "params": {**s.base, "model_seed": first_model}},
        },
        "seeds": seeds,
        "effect": {
            "metric": s.objective,
            "kind": "difference",
            "treatment": "best",
            "control": "base",
        },
        "decision": {"direction": s.direction, "threshold": 0.0},
        "tags": [CONFIRM_TAG],
        "parent": search.content_hash,
    }
    if search.estimated_trial_seconds is not None:
        content["estimated_trial_seconds"] = trial_seconds(search, best)
    return parse_hypothesis(content, file=f"<confirmation of {search.id}>", catalog=catalog)
