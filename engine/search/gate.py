"""The gate: scores a candidate on sealed evaluation cells it cannot see.

**The seal.** A secret of 32 random bytes under the data directory (`<VERISIM_HOME>/seal/
search.key`, created once, owner-only). The evaluation cells of a search, (world config, seed)
pairs, are drawn from it by HMAC: `seed = 1_000_000 + HMAC(secret, problem : set : i) mod
2^30`, where the problem is everything but the controller and budget (`problem_key`).
Nothing a candidate, proposer or controller reads holds the secret or the seeds: the trial spec
and the ledger carry only the seal's sha256 digest (so a replay can tell that the same seal is
in place) and the name of the set (`primary`, or `recheck` for the anomaly
screen's second set). The cells depend on the problem, never on the candidate, so every
candidate of a search, and every search of the same problem whatever its controller, is scored
on the same frozen states, generated independently of the candidate.

Sealed seeds start at 1_000_000, above the hypotheses' evaluation range (100_000 + trial seed)
and far above every training seed (< 100_000), so a confirmation hypothesis on ordinary trial
seeds is scored on states the search never saw.

**The score.** One-step teacher-forced prediction (as `one_step`) on each sealed cell's
trajectory, after fitting the candidate on the file's training data with the search seed; the
objective is averaged over the cells. `loss` is the objective signed so that lower is better.
The kind refuses, before fitting, a candidate that `space.screen` would refuse (defence in
depth: the driver screens first and records the reason).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.experiments import data
from engine.experiments.base import ArmSpec, ExperimentError, TrialSpec
from engine.experiments.horizon_curve import TRAINING_PARAMS
from engine.experiments.one_step import predictions
from engine.experiments.params import Param, at_least, resolve, resolve_values
from engine.experiments.scoring import token_accuracy
from hypotheses import content_digest
from hypotheses.search import OBJECTIVES, SEARCH_EXPERIMENT

SEALED_SEED_BASE = 1_000_000
SEALED_SEED_SPAN = 1 << 30
SEAL_FILE = Path("seal") / "search.key"
EVAL_SETS = ("primary", "recheck")
GATE_KEY = "gate"
"""The spec's internal parameter that carries the gate's settings (never in a file)."""

PARAMS: dict[str, Param] = {
    "steps": Param("steps", int, 16, at_least(1), doc="length of each sealed trajectory"),
    "driver": Param("driver", str, "weighted", doc="driver of the sealed trajectories"),
    **TRAINING_PARAMS,
}
METRICS = frozenset(
    {"score", "loss", "bits_to_correct", "delta_exact", "token_accuracy", "train_examples"}
)


class SealError(ExperimentError):
    """The seal is missing, unreadable or not the one a trial was scored with."""


@dataclass(frozen=True)
class Seal:
    """The gate's secret; only `digest` ever leaves this object."""

    _secret: bytes
    path: Path

    @property
    def digest(self) -> str:
        return hashlib.sha256(self._secret).hexdigest()

    def cells(self, search_hash: str, eval_set: str, count: int) -> list[int]:
        """The sealed evaluation seeds of one search version and set."""
        if eval_set not in EVAL_SETS:
            raise SealError(f"unknown evaluation set {eval_set!r}")
        out = []
        for i in range(count):
            mac = hmac.new(self._secret, f"{search_hash}:{eval_set}:{i}".encode(), "sha256")
            out.append(
                SEALED_SEED_BASE + int.from_bytes(mac.digest()[:8], "big") % SEALED_SEED_SPAN
            )
        return out

    def __repr__(self) -> str:  # never print the secret
        return f"Seal(path={str(self.path)!r}, digest={self.digest[:12]}...)"


def seal_path(home: Path | None = None) -> Path:
    if home is None:
        from engine.settings import data_paths

        home = data_paths().home
    return home / SEAL_FILE


def open_seal(home: Path | None = None, *, create: bool = True) -> Seal:
    """The data directory's seal, created on first use (exclusively, so two processes that
    race agree on one secret)."""
    path = seal_path(home)
    if not path.exists():
        if not create:
            raise SealError(f"no seal at {path}: scoring this trial needs the search's seal")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(os.urandom(32))
    secret = path.read_bytes()
    if len(secret) != 32:
        raise SealError(f"the seal at {path} is damaged ({len(secret)} bytes, expected 32)")
    return Seal(secret, path)


def problem_key(
    world: str,
    world_config: Mapping[str, Any],
    params: Mapping[str, Any],
    proposer: str,
    base: Mapping[str, Any],
    objective: str,
) -> str:
    """What the sealed cells are drawn for: the problem (world, config, scoring and training
    parameters, proposer, base, objective), not the controller or the budget. So searches of
    one problem with different controllers, and the arms of a `search_compare`, are scored on
    the same frozen cells and their scores compare; a different problem gets other cells."""
    return content_digest(
        {
            "world": world,
            "world_config": dict(world_config),
            "params": {k: v for k, v in params.items() if k != GATE_KEY},
            "proposer": proposer,
            "base": dict(base),
            "objective": objective,
        }
    )


def gate_settings(
    *,
    search_hash: str,
    seal_digest: str,
    eval_set: str,
    eval_cells: int,
    objective: str,
    ceiling: int | None,
) -> dict[str, Any]:
    """The spec's `gate` entry: everything the score depends on, minus the secret
    (`search_hash` is the `problem_key` the cells are drawn for)."""
    return {
        "search": search_hash,
        "seal": seal_digest,
        "set": eval_set,
        "cells": eval_cells,
        "objective": objective,
        "ceiling": ceiling,
    }


def signed_loss(objective: str, value: float) -> float:
    """The objective as a loss: lower is better whatever the objective's direction."""
    return value if OBJECTIVES[objective] == "less" else -value


def score_on_cells(
    world_name: str,
    world_config: Mapping[str, Any],
    arm: ArmSpec,
    params: Mapping[str, Any],
    seeds: list[int],
    model_seed: int,
    objective: str,
) -> dict[str, float]:
    """Fit the candidate once and score it, teacher-forced, on each sealed trajectory."""
    p = resolve_values(SEARCH_EXPERIMENT, PARAMS, params)
    world = data.build_world(SEARCH_EXPERIMENT, world_name, world_config)
    train = data.training_spec(SEARCH_EXPERIMENT, p)
    proposer, examples = data.fitted_proposer(SEARCH_EXPERIMENT, world, arm, train, model_seed)
    bits, exact, tokens = [], [], []
    for seed in seeds:
        records = data.trajectory(SEARCH_EXPERIMENT, world, p["driver"], seed, p["steps"])
        for record, pred in zip(records, predictions(proposer, records), strict=True):
            true = record.transition.delta
            bits.append(float(world.bits_to_correct(pred.delta, true)))
            exact.append(1.0 if world.delta_exact(pred.delta, true) else 0.0)
            tokens.append(token_accuracy(world, pred.delta, true))
    mean = {
        "bits_to_correct": math.fsum(bits) / len(bits),
        "delta_exact": math.fsum(exact) / len(exact),
        "token_accuracy": math.fsum(tokens) / len(tokens),
    }
    return {
        **mean,
        "score": mean[objective],
        "loss": signed_loss(objective, mean[objective]),
        "train_examples": float(examples),
    }


class ConfigSearchGate:
    """The `config_search` experiment kind: one trial scores one candidate on one sealed set."""

    name = SEARCH_EXPERIMENT
    params = frozenset(PARAMS)
    metrics = METRICS

    def validate(self, params: Mapping[str, Any]) -> None:
        data.training_spec(SEARCH_EXPERIMENT, resolve_values(SEARCH_EXPERIMENT, PARAMS, params))

    def run(self, spec: TrialSpec) -> dict[str, float]:
        given = dict(spec.params)
        gate = given.pop(GATE_KEY, None)
        if not isinstance(gate, dict):
            raise ExperimentError(f"{SEARCH_EXPERIMENT}: a candidate trial needs its gate settings")
        resolve(SEARCH_EXPERIMENT, PARAMS, TrialSpec("", {}, "", given, spec.arm, 0))
        self._refuse(spec.arm.params, gate)
        seal = open_seal(create=False)
        if seal.digest != gate.get("seal"):
            raise SealError(
                f"{SEARCH_EXPERIMENT}: the seal at {seal.path} (sha256 {seal.digest[:12]}) is not "
                f"the one this search was scored with ({str(gate.get('seal'))[:12]})"
            )
        seeds = seal.cells(str(gate["search"]), str(gate["set"]), int(gate["cells"]))
        return score_on_cells(
            spec.world, spec.world_config, spec.arm, given, seeds, spec.seed, str(gate["objective"])
        )

    @staticmethod
    def _refuse(config: Mapping[str, Any], gate: Mapping[str, Any]) -> None:
        from engine.search.space import judge_name

        for name in config:
            if judge_name(name):
                raise ExperimentError(
                    f"{SEARCH_EXPERIMENT}: candidate names judge parameter {name!r}"
                )
        ceiling, iters = gate.get("ceiling"), config.get("train_iters")
        if isinstance(ceiling, int) and isinstance(iters, int | float) and iters > ceiling:
            raise ExperimentError(
                f"{SEARCH_EXPERIMENT}: train_iters {iters} exceeds the compute ceiling {ceiling}"
            )
