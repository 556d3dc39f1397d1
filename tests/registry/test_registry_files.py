"""The shipped hypothesis registry: valid against the live registries, honest, and cheap.

These tests check the pre-registrations themselves (format, sources, seeds, levers, cost) and
that every trial they plan runs; they never assert an outcome.
"""

from __future__ import annotations

import math
import time

import pytest

from engine.execution.trials import plan_trials
from engine.experiments import EXPERIMENTS, get_experiment
from engine.experiments.catalog import build_catalog
from hypotheses import (
    OUTCOMES,
    Hypothesis,
    default_registry_dir,
    load_directory,
    validate_directory,
)

BASELINES = frozenset({"null", "frequency", "oracle"})


@pytest.fixture(scope="module")
def registry() -> list[Hypothesis]:
    """The baseline-only hypotheses (the learned proposers' files are checked by their owners:
    they may legitimately use fewer, costlier seeds)."""
    every = load_directory(default_registry_dir(), build_catalog())
    return [h for h in every if all(a.proposer in BASELINES for a in h.arms.values())]


def test_every_file_validates_against_the_live_catalog() -> None:
    assert validate_directory(default_registry_dir(), build_catalog()) == []


def test_registrations_are_honest(registry: list[Hypothesis]) -> None:
    assert len(registry) >= 10
    for h in registry:
        assert "seed" in h.source, h.id  # every hypothesis cites its seed section
        assert len(h.seeds.initial) >= 8, h.id  # the seed's 3-5 seeds made CIs a sign test
        for outcome in OUTCOMES:
            assert h.levers_for(outcome), (h.id, outcome)  # each outcome licenses a next step


def test_the_knee_grids_sweep_rho_up_to_the_pre_registered_point(
    registry: list[Hypothesis],
) -> None:
    knees = {h.id: h for h in registry if "knee" in h.tags}
    assert {"H1-null-fs", "H8-null-net"} <= set(knees)
    for h in knees.values():
        assert max(h.grid["rho"]) <= 0.2 and h.decision.threshold == 0.8


def test_every_planned_trial_runs_and_the_registry_is_cheap(registry: list[Hypothesis]) -> None:
    start = time.perf_counter()
    count = 0
    for h in registry:
        kind = EXPERIMENTS[h.experiment]
        for request in plan_trials(h):
            metrics = get_experiment(request.spec.experiment).run(request.spec)
            assert h.effect.metric in metrics
            assert set(metrics) <= kind.metrics
            assert all(math.isfinite(v) for v in metrics.values())
            count += 1
    elapsed = time.perf_counter() - start
    assert count == sum(len(plan_trials(h)) for h in registry)
    # The whole default registry in-process: far under the 15-minute budget on 2 cores.
    assert elapsed < 120, f"{count} trials took {elapsed:.1f}s"
