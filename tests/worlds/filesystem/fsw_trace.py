"""Replay recorded oracle traces against a world and explain every disagreement.

`check_against_trace(world, trace_lines)` takes JSONL lines (or already-decoded dicts) in any of
the shapes a trace comes in:

* `{"state", "action", "next_state", "exit_code"}` (the minimal shape),
* the seed's step record `{"state", "action", "next_state", "delta", "observation":
  {"exit_code", "stdout"}}` (the delta and stdout are then checked too),
* the seed's rollout line `{"env_config_hash", "seed", "driver", "steps": [step records]}`.

States may be canonical dicts or canonical JSON strings. Each record is checked from ITS OWN
recorded state (not from our previous successor), so one disagreement never cascades. A
disagreement is *explained* only when it is exactly the documented deviation: `cp` of a file
whose final path is an existing directory, where the trace says exit 0 and we fail with exit 1
and no edits. Everything else is reported as unexplained.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from worlds.filesystem import Dir, File, FilesystemWorld, FsAction, FsState
from worlds.filesystem.paths import basename, join, resolve


def _canon(value: Any) -> str:
    if isinstance(value, str):
        value = json.loads(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class TraceMismatch:
    index: int
    action: str
    reasons: tuple[str, ...]
    explained: bool


@dataclass
class TraceReport:
    checked: int = 0
    mismatches: list[TraceMismatch] = field(default_factory=list)

    @property
    def unexplained(self) -> list[TraceMismatch]:
        return [m for m in self.mismatches if not m.explained]

    @property
    def deviations(self) -> list[TraceMismatch]:
        return [m for m in self.mismatches if m.explained]


def iter_records(lines: Iterable[str | dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Decode lines and flatten rollout lines into their step records; skip blank lines."""
    for line in lines:
        if isinstance(line, str):
            if not line.strip():
                continue
            record = json.loads(line)
        else:
            record = line
        if isinstance(record, dict) and "steps" in record and "action" not in record:
            yield from record["steps"]
        else:
            yield record


def read_trace_file(path: Path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()


def is_cp_file_onto_dir(state: FsState, action: FsAction) -> bool:
    """The documented deviation's precondition, computed from the rules, not from our oracle."""
    if action.command not in ("cp", "cp_r"):
        return False
    src = resolve(state.cwd, action.args[0])
    dst = resolve(state.cwd, action.args[1])
    if src == "/" or not isinstance(state.node(src), File):
        return False
    if not isinstance(state.node(dst), Dir):
        return False
    final = join(dst, basename(src))
    return final != src and isinstance(state.node(final), Dir)


def check_against_trace(
    world: FilesystemWorld, trace_lines: Iterable[str | dict[str, Any]]
) -> TraceReport:
    report = TraceReport()
    for index, record in enumerate(iter_records(trace_lines)):
        state_json = _canon(record["state"])
        state = world.from_json(state_json)
        action = world.parse_action(record["action"])
        got = world.step(state, action)
        observation = record.get("observation") or {}
        want_exit = record["exit_code"] if "exit_code" in record else observation["exit_code"]
        reasons: list[str] = []
        if got.exit_code != want_exit:
            reasons.append(f"exit {got.exit_code} != {want_exit}")
        if world.to_json(got.state) != _canon(record["next_state"]):
            reasons.append("next_state differs")
        if "delta" in record and world.delta_to_json(got.delta) != _canon(record["delta"]):
            reasons.append("delta differs")
        if "stdout" in observation and got.observation != observation["stdout"]:
            reasons.append("stdout differs")
        report.checked += 1
        if reasons:
            explained = (
                is_cp_file_onto_dir(state, action)
                and want_exit == 0
                and got.exit_code == 1
                and len(got.delta) == 1
                and got.state.fs == state.fs
                and got.state.cwd == state.cwd
                and got.state.env == state.env
            )
            report.mismatches.append(TraceMismatch(index, action.text, tuple(reasons), explained))
    return report
