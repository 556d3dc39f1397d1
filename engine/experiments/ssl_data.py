"""Data for the SSL kinds (EN8, EN9): training rollouts, sealed held-out rollouts, tensors.

Training transitions come from `train_seeds` (below the sealed range, as everywhere). The
held-out anchors that every readout is computed on come from the sealed evaluation range:
trial seed s reads `eval_trajectories` rollouts at driver seeds `eval_seed(s * E + j)`,
j < E, so no readout is ever computed on a training anchor (upstream read collapse on its
training anchors) and different trial seeds never share a held-out rollout.

The arm's `model_seed` is the model seed (initialisation, projection, batch order); a file
with `[seeds] model` sets it per trial, so each model seed is one fitted model read on every
held-out set its evaluation seeds select (the two levels the verdict's bootstrap resamples).
An arm without `model_seed` (or with -1) uses the trial seed for both, one model per held-out
set. The negatives and branches depend only on the data seeds, never on the model seed, so
arms paired on a seed see identical data.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from engine.experiments import data
from engine.experiments.base import ExperimentError, TrialSpec
from proposers import ProposerError
from proposers.device import configure_torch, resolve_device
from proposers.graph_rssm.features import Featurizer, graph_width, node_width
from worlds.base import StepRecord
from worlds.network.negatives import (
    fixed_branch_actions,
    per_command_for,
    world_branch_actions,
)

NEGATIVE_SALT = 0x5EED
"""Per-trajectory RNG for one-edit negatives: Random(train seed ^ salt), as upstream."""
BRANCH_SALT = 0xB2A7
"""Per-trajectory RNG for sampled branch actions (the `world` branch set)."""

ARM_PARAMS: Mapping[str, Any] = {"d_model": 128, "mp_rounds": 3, "model_seed": -1}
"""What an SSL arm may set: the encoder's size and (optionally) a fixed model seed."""


def check_training(experiment: str, p: Mapping[str, Any]) -> data.TrainingSpec:
    return data.training_spec(experiment, p)


def arm_settings(experiment: str, spec: TrialSpec) -> dict[str, int]:
    if spec.arm.proposer != "graph_rssm":
        raise ExperimentError(
            f"{experiment}: the SSL encoder is the graph arm's; arms must use proposer "
            f"'graph_rssm', got {spec.arm.proposer!r}"
        )
    unknown = sorted(set(spec.arm.params) - set(ARM_PARAMS))
    if unknown:
        raise ExperimentError(
            f"{experiment}: unknown arm parameter(s) {unknown} (known: {', '.join(ARM_PARAMS)})"
        )
    out = {**ARM_PARAMS, **dict(spec.arm.params)}
    for name, value in out.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ExperimentError(f"{experiment}: arm parameter {name!r} must be an int")
    if out["d_model"] < 2 or out["mp_rounds"] < 0:
        raise ExperimentError(f"{experiment}: d_model must be >= 2 and mp_rounds >= 0")
    if out["model_seed"] < 0:
        out["model_seed"] = spec.seed
    return out


def network_world(experiment: str, spec: TrialSpec) -> Any:
    if spec.world != "network":
        raise ExperimentError(f"{experiment}: needs the network world, got {spec.world!r}")
    return data.build_world(experiment, spec.world, spec.world_config)


def torch_device(experiment: str, name: str) -> torch.device:
    try:
        device = resolve_device(name)
    except ProposerError as exc:
        raise ExperimentError(f"{experiment}: {exc}") from None
    configure_torch(device)
    return device


def featurizer(world: Any) -> Featurizer:
    return Featurizer(world, world.config.hosts, world.config.ports)


def widths(world: Any) -> tuple[int, int]:
    return node_width(world.config.ports), graph_width(world.config.ports)


def training_rollouts(
    experiment: str, world: Any, train: data.TrainingSpec
) -> list[tuple[int, list[StepRecord]]]:
    return [
        (s, data.trajectory(experiment, world, train.driver, s, train.steps)) for s in train.seeds
    ]


def heldout_rollouts(
    experiment: str, world: Any, p: Mapping[str, Any], trial_seed: int
) -> list[tuple[int, list[StepRecord]]]:
    n = p["eval_trajectories"]
    seeds = [data.eval_seed(trial_seed * n + j) for j in range(n)]
    return [
        (s, data.trajectory(experiment, world, p["eval_driver"], s, p["eval_steps"])) for s in seeds
    ]


def branch_actions(p: Mapping[str, Any], world: Any, state: Any, rng: random.Random) -> list[Any]:
    cfg = world.config
    if p["branches"] == "fixed":
        return fixed_branch_actions(cfg)
    return world_branch_actions(state, cfg, rng, per_command_for(len(cfg.hosts), p["branch_scale"]))


def records(rollouts: Sequence[tuple[int, list[StepRecord]]]) -> list[StepRecord]:
    return [r for _, rs in rollouts for r in rs]
