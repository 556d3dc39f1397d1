"""The source hash in every trial key: deterministic, blind to where the checkout lives and to
file times, and changed by any edit to the code a trial runs (so old results are not reused)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from engine.execution import trials
from engine.execution.source_hash import hash_files, source_files, source_hash
from hypotheses import parse_hypothesis


def test_it_covers_the_code_a_trial_runs_and_nothing_else() -> None:
    names = [name for name, _ in source_files()]
    assert names == sorted(names) and len(names) == len(set(names))
    for expected in (
        "worlds/__init__.py",
        "proposers/__init__.py",
        "engine/rollout/loop.py",
        "engine/experiments/horizon_curve.py",
        "engine/execution/trials.py",
    ):
        assert expected in names
    assert not any(n.startswith(("ledger/", "engine/ratchet/", "engine/cli/")) for n in names)
    assert "engine/execution/batch.py" not in names
    assert not any("__pycache__" in n or not n.endswith(".py") for n in names)
    assert len(source_hash()) == 64 and source_hash() == hash_files(source_files())


def test_it_ignores_location_and_mtime_but_not_a_single_byte(tmp_path: Path) -> None:
    files = source_files()[:5]
    copies = []
    for name, path in files:
        target = tmp_path / "elsewhere" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        os.utime(target, (0, 0))
        copies.append((name, target))
    assert hash_files(copies) == hash_files(files)
    name, edited = copies[-1]
    edited.write_bytes(edited.read_bytes() + b"\n# a comment changes it too\n")
    assert hash_files(copies) != hash_files(files)
    renamed = [*copies[:-1], (name + "x", copies[-1][1])]
    assert hash_files(renamed) != hash_files(copies)


def test_trial_keys_change_with_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    h = parse_hypothesis(
        {
            "id": "S",
            "title": "t",
            "claim": "c",
            "source": "s",
            "world": "filesystem",
            "experiment": "horizon_curve",
            "arms": {"o": {"proposer": "oracle"}},
            "seeds": {"initial": [0, 1]},
            "effect": {"metric": "horizon", "kind": "value", "treatment": "o"},
            "decision": {"direction": "greater", "threshold": 0.0},
        }
    )
    now = trials.plan_trials(h)
    assert {r.code_hash for r in now} == {source_hash()}
    assert all(r.code_version.endswith(f"+src/{source_hash()}") for r in now)
    assert trials.plan_trials(h) == now  # deterministic
    monkeypatch.setattr(trials, "source_hash", lambda: "e" * 64)
    edited = trials.plan_trials(h)
    assert {r.code_hash for r in edited} == {"e" * 64}
    assert not {r.key for r in edited} & {r.key for r in now}
