"""Training data, the sealed evaluation seeds, and the one place a proposer is fitted.

**Seed mapping.** A trial with seed s evaluates on the world's driver at seed
`EVAL_SEED_OFFSET + s` (= 100_000 + s). Training trajectories must use seeds below
`EVAL_SEED_OFFSET`, which `training_spec` enforces, so no evaluation sequence can ever be a
training sequence: the judge's data is sealed from the proposer by construction, whatever a
hypothesis file or a lever sets.

**Fitting.** `fitted_proposer` builds the arm's proposer and fits it on the training data with
the trial seed. Every trial fits its own: the baselines fit in milliseconds, and the learned
proposers keep their trained weights in a content-keyed cache of their own
(`proposers.training.cache`), so arms and trials that share a model train it once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.experiments.base import ArmSpec, ExperimentError
from proposers import Prediction, Proposer, ProposerError, get_proposer
from worlds import get_world
from worlds.base import A, S, StepRecord, World

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


def build_world(experiment: str, name: str, config: Mapping[str, Any]) -> World[Any, Any]:
    """The trial's world by name (its state and action types are known only at run time)."""
    try:
        return get_world(name, **dict(config))
    except (TypeError, ValueError) as exc:
        raise ExperimentError(f"{experiment}: cannot build world {name!r}: {exc}") from None


def trajectory(
    experiment: str, world: World[S, A], driver: str, seed: int, steps: int
) -> list[StepRecord[S, A]]:
    if driver not in world.driver_names():
        raise ExperimentError(
            f"{experiment}: unknown driver {driver!r} for world {world.name!r} "
            f"(known: {', '.join(world.driver_names())})"
        )
    return list(world.trajectory(driver, seed, steps))


def training_data(
    experiment: str, world: World[S, A], spec: TrainingSpec
) -> list[list[StepRecord[S, A]]]:
    return [trajectory(experiment, world, spec.driver, s, spec.steps) for s in spec.seeds]


def fitted_proposer(
    experiment: str,
    world: World[S, A],
    arm: ArmSpec,
    train: TrainingSpec,
    seed: int,
) -> tuple[Proposer[S, A], int]:
    """(the arm's proposer fitted on the training data with the trial seed, #examples)."""
    data = training_data(experiment, world, train)
    examples = sum(len(t) for t in data)

    try:
        proposer = get_proposer(arm.proposer, world, **dict(arm.params))
    except ProposerError as exc:
        raise ExperimentError(f"{experiment}: {exc}") from None
    proposer.fit(data, seed)
    return proposer, examples


def actions_of(records: Sequence[StepRecord[S, A]]) -> list[A]:
    return [r.action for r in records]


def predictions(proposer: Proposer[S, A], records: Sequence[StepRecord[S, A]]) -> list[Prediction]:
    """Teacher-forced predictions; a proposer with `predict_batch` is asked once (faster for
    the learned ones, the same answers by their contract)."""
    batch = getattr(proposer, "predict_batch", None)
    if batch is not None:
        return list(batch([(r.state, r.action) for r in records]))
    return [proposer.predict(r.state, r.action) for r in records]
