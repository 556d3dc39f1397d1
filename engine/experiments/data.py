"""Training data, the sealed evaluation seeds, and the one place a proposer is fitted.

**Seed mapping.** A trial with seed s evaluates on the world's driver at seed
`EVAL_SEED_OFFSET + s` (= 100_000 + s). Training trajectories must use seeds below
`EVAL_SEED_OFFSET`, which `training_spec` enforces, so no evaluation sequence can ever be a
training sequence: the judge's data is sealed from the proposer by construction, whatever a
hypothesis file or a lever sets.

**Fitting.** `fitted_proposer` builds the arm's proposer and fits it on the training data with
the trial seed. A learned proposer may be expensive; `set_proposer_cache` installs a cache
keyed by the content of everything the fit depends on (world, config, proposer, params,
training data spec, seed), so arms and trials that share a model can share the fit. Without a
cache every trial fits its own (the baselines fit in milliseconds).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from engine.experiments.base import ArmSpec, ExperimentError
from hypotheses import content_digest
from proposers import ProposerError, get_proposer
from worlds import get_world
from worlds.base import StepRecord

EVAL_SEED_OFFSET = 100_000
MAX_TRAIN_TRANSITIONS = 2_000_000
"""Training trajectories x steps per trajectory: more than this cannot be held in memory."""
DEFAULT_TRAIN_SEEDS: tuple[int, ...] = (0, 1, 2, 3)


def eval_seed(trial_seed: int) -> int:
    """The driver seed of a trial's evaluation sequence (sealed range: >= 100_000)."""
    if isinstance(trial_seed, bool) or not isinstance(trial_seed, int) or trial_seed < 0:
        raise ExperimentError(f"trial seed must be a non-negative integer, got {trial_seed!r}")
    return EVAL_SEED_OFFSET + trial_seed


@dataclass(frozen=True)
class TrainingSpec:
    driver: str
    seeds: tuple[int, ...]
    steps: int

    def as_dict(self) -> dict[str, Any]:
        return {"driver": self.driver, "seeds": list(self.seeds), "steps": self.steps}


def training_spec(experiment: str, params: Mapping[str, Any]) -> TrainingSpec:
    """From `train_driver`, `train_seeds` | `train_trajectories` (n -> seeds 0..n-1) and
    `train_steps`; checks the seeds are below the sealed evaluation range."""
    seeds_given, count = params.get("train_seeds"), params.get("train_trajectories")
    if seeds_given is not None and count is not None:
        raise ExperimentError(f"{experiment}: give train_seeds or train_trajectories, not both")
    if count is not None:
        if count > EVAL_SEED_OFFSET:  # checked before range() allocates the seeds
            raise ExperimentError(
                f"{experiment}: train_trajectories {count} > {EVAL_SEED_OFFSET}: its seeds "
                f"0..{count - 1} would reach the sealed evaluation range"
            )
        seeds: tuple[int, ...] = tuple(range(count))
    elif seeds_given is not None:
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds_given):
            raise ExperimentError(
                f"{experiment}: train_seeds must be integers, got {seeds_given!r}"
            )
        seeds = tuple(seeds_given)
    else:
        seeds = DEFAULT_TRAIN_SEEDS
    bad = [s for s in seeds if not 0 <= s < EVAL_SEED_OFFSET]
    if bad:
        shown = bad if len(bad) <= 10 else [*bad[:10], "..."]
        raise ExperimentError(
            f"{experiment}: train_seeds {shown} are outside [0, {EVAL_SEED_OFFSET}): seeds from "
            f"{EVAL_SEED_OFFSET} up are the sealed evaluation range"
        )
    if len(set(seeds)) != len(seeds):
        raise ExperimentError(f"{experiment}: train_seeds repeat a seed")
    steps = int(params["train_steps"])
    if len(seeds) * steps > MAX_TRAIN_TRANSITIONS:
        raise ExperimentError(
            f"{experiment}: {len(seeds)} training trajectories x {steps} steps is more than "
            f"{MAX_TRAIN_TRANSITIONS} transitions"
        )
    return TrainingSpec(str(params["train_driver"]), seeds, steps)


def build_world(experiment: str, name: str, config: Mapping[str, Any]) -> Any:
    try:
        return get_world(name, **dict(config))
    except (TypeError, ValueError) as exc:
        raise ExperimentError(f"{experiment}: cannot build world {name!r}: {exc}") from None


def trajectory(experiment: str, world: Any, driver: str, seed: int, steps: int) -> list[StepRecord]:
    if driver not in world.driver_names():
        raise ExperimentError(
            f"{experiment}: unknown driver {driver!r} for world {world.name!r} "
            f"(known: {', '.join(world.driver_names())})"
        )
    return list(world.trajectory(driver, seed, steps))


def training_data(experiment: str, world: Any, spec: TrainingSpec) -> list[list[StepRecord]]:
    return [trajectory(experiment, world, spec.driver, s, spec.steps) for s in spec.seeds]


class ProposerCache(Protocol):
    """Shares fitted proposers between trials by content key (installed by the engine)."""

    def get_or_fit(self, key: str, fit: Callable[[], Any]) -> Any: ...


_cache: ProposerCache | None = None


def set_proposer_cache(cache: ProposerCache | None) -> None:
    """Install (or remove, with None) the fitted-proposer cache for this process."""
    global _cache
    _cache = cache


def fit_key(
    world_name: str, world_config: Mapping[str, Any], arm: ArmSpec, train: TrainingSpec, seed: int
) -> str:
    """Digest of everything a fitted proposer depends on."""
    return content_digest(
        {
            "world": world_name,
            "world_config": dict(world_config),
            "proposer": arm.proposer,
            "params": dict(arm.params),
            "train": train.as_dict(),
            "seed": seed,
        }
    )


def fitted_proposer(
    experiment: str,
    world: Any,
    world_name: str,
    world_config: Mapping[str, Any],
    arm: ArmSpec,
    train: TrainingSpec,
    seed: int,
) -> tuple[Any, int]:
    """(the arm's proposer fitted on the training data with the trial seed, #examples)."""
    data = training_data(experiment, world, train)
    examples = sum(len(t) for t in data)

    def fit() -> Any:
        try:
            proposer = get_proposer(arm.proposer, world, **dict(arm.params))
        except ProposerError as exc:
            raise ExperimentError(f"{experiment}: {exc}") from None
        proposer.fit(data, seed)
        return proposer

    if _cache is None:
        return fit(), examples
    # A cached proposer may be mutated by online updates: each trial gets its own copy.
    shared = _cache.get_or_fit(fit_key(world_name, world_config, arm, train, seed), fit)
    return copy.deepcopy(shared), examples


def actions_of(records: Sequence[StepRecord]) -> list[Any]:
    return [r.action for r in records]
