"""Agreement with the seed's semantics, checked against recorded traces.

Every `*.jsonl` / `*.jsonl.gz` file directly under `data/` is a trace and is checked here, so a
trace recorded elsewhere (the seed's own step records, another implementation's) is picked up by
dropping it in. The only disagreement allowed is the documented cp-onto-directory deviation.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import fsw_reference as ref
import pytest
from fsw_record_traces import DRIVERS
from fsw_trace import check_against_trace, read_trace_file

from worlds import get_world
from worlds.filesystem import FilesystemWorld

DATA = Path(__file__).with_name("data")
TRACE_FILES = sorted(p for p in DATA.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz")))
WORLD: FilesystemWorld = get_world("filesystem")


def test_trace_files_are_present_and_compact() -> None:
    names = {p.name for p in TRACE_FILES}
    assert {"trace_seedref_drivers.jsonl.gz", "trace_seedref_quirks.jsonl.gz"} <= names
    assert sum(p.stat().st_size for p in TRACE_FILES) < 1_000_000


@pytest.mark.parametrize("path", TRACE_FILES, ids=[p.name for p in TRACE_FILES])
def test_world_agrees_with_recorded_trace(path: Path) -> None:
    report = check_against_trace(WORLD, read_trace_file(path))
    assert report.checked > 0
    assert report.unexplained == [], report.unexplained[:5]
    for mismatch in report.deviations:
        assert mismatch.action.startswith("cp ")


def test_seed_traces_do_contain_the_deviation() -> None:
    """Otherwise the 'only difference is the cp deviation' claim would be vacuous."""
    found = []
    for path in TRACE_FILES:
        if path.name.startswith("trace_seedref_"):
            found += check_against_trace(WORLD, read_trace_file(path)).deviations
    assert len(found) == 5  # two from driver rollouts, three from the hand-written scripts
    assert all(m.reasons and m.explained for m in found)


def test_committed_trace_is_what_the_reference_records() -> None:
    """The data file has not drifted from the naive reference that claims to have made it."""
    lines = read_trace_file(DATA / "trace_seedref_drivers.jsonl.gz")
    for k, driver in enumerate(DRIVERS):
        seed = 7
        start = (k * 30 + seed) * 40
        recorded = [json.loads(line) for line in lines[start : start + 40]]
        assert recorded == json.loads(json.dumps(ref.seed_trajectory(driver, seed, 40)))


def test_trace_check_catches_planted_disagreements() -> None:
    """Negative controls: a corrupted record must be reported, and not as the deviation."""
    lines = read_trace_file(DATA / "trace_seedref_drivers.jsonl.gz")[:200]
    records = [json.loads(line) for line in lines]
    success = next(i for i, r in enumerate(records) if r["delta"][0]["op"] == "create")
    printed = next(i for i, r in enumerate(records) if r["observation"]["stdout"])

    wrong_state = copy.deepcopy(records[success])
    wrong_state["next_state"]["fs"].pop()
    wrong_exit = copy.deepcopy(records[success])
    wrong_exit["observation"]["exit_code"] = 1
    wrong_delta = copy.deepcopy(records[success])
    wrong_delta["delta"].insert(0, {"op": "delete", "path": "/zz"})
    wrong_stdout = copy.deepcopy(records[printed])
    wrong_stdout["observation"]["stdout"] += "x"
    minimal = {
        "state": records[success]["state"],
        "action": records[success]["action"],
        "next_state": records[success]["state"],
        "exit_code": 0,
    }
    planted = [wrong_state, wrong_exit, wrong_delta, wrong_stdout, minimal]
    report = check_against_trace(WORLD, planted)
    assert report.checked == 5
    assert len(report.unexplained) == 5


def test_rollout_lines_and_string_states_are_accepted() -> None:
    steps = ref.seed_trajectory("weighted", 3, 12)
    rollout = {
        "env_config_hash": WORLD.config_hash,
        "seed": 3,
        "driver": "weighted",
        "steps": steps,
    }
    as_strings = [
        {
            "state": json.dumps(s["state"]),
            "action": s["action"],
            "next_state": json.dumps(s["next_state"]),
            "exit_code": s["observation"]["exit_code"],
        }
        for s in steps
    ]
    assert check_against_trace(WORLD, [json.dumps(rollout), ""]).checked == 12
    report = check_against_trace(WORLD, as_strings)
    assert report.checked == 12 and report.mismatches == []


def test_drivers_pick_the_seeds_actions() -> None:
    """Bit-parity of the drivers: our trajectories choose the recorded actions, in order, for
    every recorded (driver, seed); the quirk trajectories agree up to the quirk step, after
    which the seed's tree (with its orphans) legitimately differs from ours."""
    lines = read_trace_file(DATA / "trace_seedref_drivers.jsonl.gz")
    records = [json.loads(line) for line in lines]
    runs = [(d, s, 40) for d in DRIVERS for s in range(30)] + [
        ("uniform", 128, 80),
        ("weighted", 36, 80),
    ]
    offset = 0
    for driver, seed, steps in runs:
        recorded = records[offset : offset + steps]
        offset += steps
        ours = WORLD.trajectory(driver, seed, steps)
        for mine, theirs in zip(ours, recorded, strict=True):
            assert mine.action.text == theirs["action"], (driver, seed)
            if mine.transition.exit_code != theirs["observation"]["exit_code"]:
                assert mine.action.command in ("cp", "cp_r") and seed in (128, 36)
                break
    assert offset == len(records)
