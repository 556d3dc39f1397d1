"""Trials as plain data: what one trial is, its key, and how it is stored and replayed.

A trial is one (hypothesis version, cell, arm, seed). Its key hashes exactly the things its
result depends on, so a resumed run recognises work already done, and a changed hypothesis (new
content hash), a new oracle or changed source (`source_hash`) never reuses stale results;
`replay` can re-run the trial from its ledger row alone. The spec is stored as canonical
JSON: the replay reads back the very values that ran.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.execution.identity import code_version
from engine.execution.source_hash import source_hash
from engine.experiments.base import ArmSpec, TrialSpec
from hypotheses import Cell, Hypothesis


class TrialError(ValueError):
    """A trial spec or stored trial row that cannot be decoded or run."""


def trial_key(hypothesis_hash: str, cell_id: str, arm: str, seed: int, code: str) -> str:
    """sha256 over (hypothesis content hash, cell id, arm, seed, code/oracle version).

    The ledger's own definition, so a key computed anywhere names the same row.
    """
    from ledger import trial_key as ledger_trial_key

    return ledger_trial_key(hypothesis_hash, cell_id, arm, seed, code)


@dataclass(frozen=True)
class TrialRequest:
    """One trial to run: its key, where it belongs, and the spec the experiment receives."""

    key: str
    hypothesis_hash: str
    hypothesis_id: str
    cell_id: str
    arm: str
    seed: int
    code_version: str
    spec: TrialSpec
    code_hash: str | None = None  # the source hash the key was computed under
    model_seed: int | None = None

    def row(self) -> dict[str, Any]:
        """What the ledger's trial row records of this request besides its key (the fields
        `Ledger.claim_trial` and `Ledger.enqueue_trials` take): one definition, so a claim
        always matches the row pre-registration published under the same key."""
        return {
            "hypothesis_hash": self.hypothesis_hash,
            "cell_id": self.cell_id,
            "arm": self.arm,
            "seed": self.seed,
            "spec": spec_to_dict(self.spec),
            "code_hash": self.code_hash,
        }


def build_spec(
    hypothesis: Hypothesis,
    cell: Cell,
    arm: str,
    seed: int,
    model_seed: int | None = None,
) -> TrialSpec:
    """The experiment's input for one arm and seed in one cell (the cell's params, world
    config and arm params, with its grid axes applied).

    With a model seed, an arm that declares `model_seed` in its params fits its model with
    that seed instead (arms without one, the baselines, have no model to vary).
    """
    arm_def = hypothesis.arms[arm]
    arm_params = dict(cell.arm_params.get(arm, arm_def.params))
    if model_seed is not None and "model_seed" in arm_params:
        arm_params["model_seed"] = model_seed
    return TrialSpec(
        world=hypothesis.world,
        world_config=dict(cell.world_config),
        experiment=hypothesis.experiment,
        params=dict(cell.params),
        arm=ArmSpec(
            proposer=arm_def.proposer,
            params=arm_params,
            overrides=dict(arm_def.overrides),
        ),
        seed=seed,
        model_seed=model_seed,
    )


def plan_trials(hypothesis: Hypothesis) -> list[TrialRequest]:
    """Every trial of a hypothesis version, cell by cell, arm by arm, (model seed,) seed.

    Arms share the seed list, which is what makes the effects paired. With `[seeds] model`,
    every evaluation seed runs once per model seed, each with its own fitted model; the key
    then names the model seed too (through the arm part of the key, so files without model
    seeds keep their keys).
    """
    digest = hypothesis.content_hash
    src = source_hash()
    models: tuple[int | None, ...] = hypothesis.seeds.model or (None,)
    requests: list[TrialRequest] = []
    for cell in hypothesis.cells():
        code = code_version(hypothesis.world, cell.world_config, src)
        for arm in sorted(hypothesis.arms):
            for model in models:
                keyed_arm = arm if model is None else f"{arm}@model_seed={model}"
                for seed in hypothesis.seeds.initial:
                    requests.append(
                        TrialRequest(
                            key=trial_key(digest, cell.cell_id, keyed_arm, seed, code),
                            hypothesis_hash=digest,
                            hypothesis_id=hypothesis.id,
                            cell_id=cell.cell_id,
                            arm=arm,
                            seed=seed,
                            code_version=code,
                            spec=build_spec(hypothesis, cell, arm, seed, model),
                            model_seed=model,
                            code_hash=src,
                        )
                    )
    return requests


def spec_to_dict(spec: TrialSpec) -> dict[str, Any]:
    """The spec as JSON-ready values (what the ledger stores and a trial process receives)."""
    return {
        "world": spec.world,
        "world_config": dict(spec.world_config),
        "experiment": spec.experiment,
        "params": dict(spec.params),
        "arm": {
            "proposer": spec.arm.proposer,
            "params": dict(spec.arm.params),
            "overrides": dict(spec.arm.overrides),
        },
        "seed": spec.seed,
        **({} if spec.model_seed is None else {"model_seed": spec.model_seed}),
    }


def _decode(text: str, what: str) -> dict[str, Any]:
    import json

    try:
        value = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise TrialError(f"{what} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise TrialError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def spec_from_dict(data: Mapping[str, Any]) -> TrialSpec:
    """Rebuild a spec from its stored form; a malformed row is a `TrialError`, not a KeyError."""
    try:
        arm = data["arm"]
        seed = data["seed"]
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TrialError(f"trial seed must be an integer, got {seed!r}")
        model_seed = data.get("model_seed")
        if model_seed is not None and (
            not isinstance(model_seed, int) or isinstance(model_seed, bool)
        ):
            raise TrialError(f"model seed must be an integer, got {model_seed!r}")
        return TrialSpec(
            world=str(data["world"]),
            world_config=dict(data["world_config"]),
            experiment=str(data["experiment"]),
            params=dict(data["params"]),
            arm=ArmSpec(
                proposer=str(arm["proposer"]),
                params=dict(arm.get("params", {})),
                overrides=dict(arm.get("overrides", {})),
            ),
            seed=seed,
            model_seed=model_seed,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise TrialError(f"stored trial spec is malformed: missing or bad {exc}") from None


def execute(spec: TrialSpec) -> dict[str, float]:
    """Run one trial in this process: the experiment kind is a pure function of the spec."""
    from engine.experiments import get_experiment

    metrics = get_experiment(spec.experiment).run(spec)
    return {str(name): float(value) for name, value in metrics.items()}


def execute_on_device(spec: TrialSpec) -> tuple[dict[str, float], str]:
    """(metrics, the torch device the trial ran on): `cuda` if any model used it, else `cpu`.

    The device is a record beside the metrics, not one of them: it says where the numbers were
    computed (CUDA is reproducible to the seed, the CPU to the bit), and the ledger keeps it on
    the trial's row. A trial with no torch model ran on the CPU; torch is not imported for it.
    """
    import sys

    loaded = sys.modules.get("proposers.device")
    if loaded is not None:
        loaded.forget_devices_used()
    metrics = execute(spec)
    loaded = sys.modules.get("proposers.device")
    used = loaded.devices_used() if loaded is not None else frozenset()
    return metrics, "cuda" if "cuda" in used else "cpu"


def metrics_equal(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    """Exact equality of two metric maps (bit for bit; NaN equals NaN, as a replay needs)."""
    if set(a) != set(b):
        return False
    for name in a:
        x, y = float(a[name]), float(b[name])
        if math.isnan(x) and math.isnan(y):
            continue
        if x != y:
            return False
    return True


def metric_differences(
    stored: Mapping[str, float], replayed: Mapping[str, float]
) -> list[tuple[str, float | None, float | None]]:
    """(metric, stored, replayed) for every metric that does not match exactly."""
    out: list[tuple[str, float | None, float | None]] = []
    for name in sorted(set(stored) | set(replayed)):
        x, y = stored.get(name), replayed.get(name)
        if x is None or y is None or not metrics_equal({name: x}, {name: y}):
            out.append((name, x, y))
    return out


def group_by_batch(
    requests: Sequence[TrialRequest],
) -> list[list[TrialRequest]]:
    """Batches of one (hypothesis, cell, arm): one task each, seeds still separate rows.

    A Prefect task costs ~0.1 s of orchestration; a batch keeps that overhead small while every
    seed remains its own idempotent ledger row.
    """
    batches: dict[tuple[str, str, str], list[TrialRequest]] = {}
    for req in requests:
        batches.setdefault((req.hypothesis_hash, req.cell_id, req.arm), []).append(req)
    return list(batches.values())
