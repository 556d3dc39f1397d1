"""The confirmation hypothesis a finished search pre-registers on its own.

A search's best configuration won on the gate's sealed cells, with one model seed: that is a
selection, not yet a finding. So when a search ends the engine writes the claim down as a new
version, child of the search, and runs it like any file: `one_step` with two arms, `best` and
`base`, paired on fresh seeds (each trial seed also fits a fresh model, so every seed is a
model-seed replicate), effect = the objective's difference, decided by the same statistics and
family correction as everything else. Its seeds lie in a range no search uses as a model seed,
and every evaluation rollout of `one_step` runs at 100_000 + seed, below the gate's sealed
range (from 1_000_000), so the confirmation is scored on states the search never saw.

`confirmation_seeds` is the one place that says which seeds replicate the comparison; when
the hypothesis format gains model seeds beside trial seeds (`[seeds] model`), it is where they
are added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypotheses import Catalog, Hypothesis, parse_hypothesis

CONFIRM_EXPERIMENT = "one_step"
CONFIRM_SEED_BASE = 1000
CONFIRM_TAG = "auto-confirmation"


def confirmation_id(search: Hypothesis, search_seed: int) -> str:
    return f"{search.id}/confirm-seed{search_seed}"


def confirmation_seeds(search: Hypothesis, search_seed: int) -> dict[str, Any]:
    """The `[seeds]` table of the confirmation (see the module note)."""
    assert search.search is not None
    n = search.search.confirm_seeds
    start = CONFIRM_SEED_BASE + n * search_seed
    return {"initial": list(range(start, start + n))}


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
    content = {
        "id": confirmation_id(search, search_seed),
        "title": f"{search.id}: the searched configuration beats its base (seed {search_seed})",
        "claim": (
            f"The configuration the {s.controller} search {search.id} kept last (candidate "
            f"{best_idx}, search seed {search_seed}) has a better {s.objective} than the "
            "search's base on fresh evaluation seeds and freshly trained models."
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
            "best": {"proposer": s.proposer, "params": dict(best)},
            "base": {"proposer": s.proposer, "params": dict(s.base)},
        },
        "seeds": confirmation_seeds(search, search_seed),
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
        content["estimated_trial_seconds"] = search.estimated_trial_seconds
    return parse_hypothesis(content, file=f"<confirmation of {search.id}>", catalog=catalog)
