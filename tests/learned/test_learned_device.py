"""The torch device: `auto` by default, `VERISIM_DEVICE` forces one, the weight-cache key holds
the device actually used, and every trial reports where it ran (without importing torch for a
trial that has no model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from learned_helpers import TINY_FLAT, trajectories, world

from engine.execution.trials import execute_on_device
from engine.experiments import ArmSpec, TrialSpec
from proposers.base import ProposerError
from proposers.device import DEVICE_ENV, resolve_device
from proposers.flat_transformer import FlatTransformerProposer
from proposers.training.examples import examples_from

ROOT = Path(__file__).resolve().parents[2]
HERE = "cuda" if torch.cuda.is_available() else "cpu"


def test_the_default_is_auto_cuda_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    assert resolve_device().type == HERE
    assert FlatTransformerProposer(world("network"), **TINY_FLAT).device.type == HERE


def test_the_environment_forces_the_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    assert resolve_device("auto").type == "cpu"
    assert resolve_device("cuda").type == "cpu"  # the machine's word wins over an arm's
    monkeypatch.setenv(DEVICE_ENV, "tpu")
    with pytest.raises(ProposerError, match="tpu"):
        resolve_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_missing_cuda_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    with pytest.raises(ProposerError, match="CUDA is not available"):
        resolve_device("cuda")


def test_the_cache_key_holds_the_resolved_device_not_the_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    examples = examples_from(trajectories("network"))
    auto = FlatTransformerProposer(world("network"), **TINY_FLAT).cache_spec(examples, 0)
    named = FlatTransformerProposer(world("network"), **TINY_FLAT, device="cpu")
    assert auto["device"] == "cpu"
    assert "device" not in auto["params"]
    assert named.cache_spec(examples, 0) == auto  # same weights, so the same cache entry


def _spec(proposer: str, arm_params: dict[str, object]) -> TrialSpec:
    return TrialSpec(
        world="network",
        world_config={},
        experiment="one_step",
        params={"steps": 4, "train_trajectories": 1, "train_steps": 8},
        arm=ArmSpec(proposer, dict(arm_params), {}),
        seed=0,
    )


def test_a_learned_trial_reports_its_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    metrics, device = execute_on_device(_spec("flat_transformer", TINY_FLAT))
    assert device == HERE and metrics
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    again, device = execute_on_device(_spec("flat_transformer", TINY_FLAT))
    assert device == "cpu"
    if HERE == "cpu":
        assert again == metrics  # bit for bit on the CPU


def test_a_baseline_trial_runs_on_the_cpu_without_torch() -> None:
    code = (
        "import json, sys\n"
        "from engine.execution.trials import execute_on_device, spec_from_dict\n"
        "spec = spec_from_dict(json.loads(sys.argv[1]))\n"
        "metrics, device = execute_on_device(spec)\n"
        "print(json.dumps([device, 'torch' in sys.modules, len(metrics)]))\n"
    )
    from engine.execution.trials import spec_to_dict

    spec = json.dumps(spec_to_dict(_spec("null", {})))
    out = subprocess.run(
        [sys.executable, "-c", code, spec], cwd=ROOT, capture_output=True, text=True, check=True
    )
    device, imported_torch, n_metrics = json.loads(out.stdout.strip().splitlines()[-1])
    assert (device, imported_torch) == ("cpu", False) and n_metrics > 0


def test_a_replay_mismatch_across_devices_says_so() -> None:
    from engine.execution.replay import ReplayResult

    def result(stored: str, replayed: str) -> str:
        return ReplayResult(
            key="k",
            stored={"m": 1.0},
            replayed={"m": 1.5},
            differences=[("m", 1.0, 1.5)],
            seconds=0.1,
            stored_device=stored,
            replayed_device=replayed,
        ).text()

    assert "recorded on cuda, replayed on cpu" in result("cuda", "cpu")
    assert "recorded on" not in result("cpu", "cpu")
