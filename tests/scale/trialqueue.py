"""A ledger seeded with a queue of cheap, deterministic trials, and an executor that runs them.

The scale tests exercise the claim/heartbeat machinery and the database, not the science: each
trial here sleeps for a time named in its spec (long enough to be killed mid-trial, short
enough for a 2-core CI machine) and returns metrics that are a pure function of its seed, so
"the rerun converges to the same results" is checkable exactly.
"""

from __future__ import annotations

import time
from typing import Any

from engine.execution.isolation import Answer
from engine.execution.source_hash import source_hash
from ledger import Ledger, TrialRecord
from ledger.jsonutil import digest, trial_key

CODE_VERSION = "scale-test/1"


def hypothesis_content(tag: str) -> dict[str, Any]:
    return {"id": f"scale-{tag}", "claim": "workers neither lose nor repeat trials", "tag": tag}


def seed_queue(
    ledger: Ledger, *, trials: int, sleep_s: float, tag: str = "q", code_hash: str | None = None
) -> list[str]:
    """Register one hypothesis and enqueue `trials` pending trials; returns their keys.

    They are planned under this checkout's source hash unless `code_hash` says otherwise.
    """
    content = hypothesis_content(tag)
    content_hash = digest(content)
    ledger.register_hypothesis(
        content, content_hash, str(content["id"]), "scale test", source_file=None
    )
    keys: list[str] = []
    for seed in range(trials):
        cell = f"cell-{seed % 3}"
        key = trial_key(content_hash, cell, "a", seed, CODE_VERSION)
        spec = {"experiment": "sleep", "params": {"sleep_s": sleep_s}, "seed": seed, "cell": cell}
        ledger.enqueue_trial(
            key,
            hypothesis_hash=content_hash,
            cell_id=cell,
            arm="a",
            seed=seed,
            spec=spec,
            code_hash=code_hash or source_hash(),
        )
        keys.append(key)
    return keys


def expected_metrics(seed: int) -> dict[str, float]:
    return {"value": seed * 0.5 + 1.0, "square": float(seed * seed)}


class SleepExecutor:
    """Sleeps for the spec's `sleep_s`, then answers the seed's metrics; a negative seed fails."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, trial: TrialRecord, deadline: float | None) -> Answer:
        self.calls.append(trial.key)
        started = time.perf_counter()
        time.sleep(float(trial.spec["params"]["sleep_s"]))
        if trial.spec.get("fail"):
            return Answer(status="failed", error="ValueError: asked to fail", seconds=0.0)
        seconds = time.perf_counter() - started
        return Answer(status="finished", metrics=expected_metrics(trial.seed), seconds=seconds)
