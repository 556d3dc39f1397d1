"""Replaying recorded traces against a network world.

A trace is JSONL (optionally gzipped), one step per line, or a `.json` file holding a list of
such records (the seed's in-memory trajectory, dumped whole). Each record is either

    {"state": <canonical state>, "action": "...", "next_state": <canonical>, "exit_code": 0}

or the seed's trajectory record, which adds `"delta": [edit dicts]`. `state` may be omitted on
a line to mean "the previous line's next_state", which keeps recorded traces small. Lines that
are empty or start with `#` are skipped.

`check_against_trace` steps the world from each recorded state and demands the recorded next
state (compared as canonical JSON) and exit code. When the record carries the seed's delta it
also demands that our delta equals it once decoded: decoding sorts link-edit endpoints, which
is the one documented difference from the seed (states are unaffected), and that
`apply(state, seed delta)` gives the recorded next state too.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Mismatch:
    line: int
    action: str
    what: str
    expected: Any
    got: Any

    def __str__(self) -> str:
        return (
            f"line {self.line}: {self.action!r}: {self.what} differs\n"
            f"  expected: {self.expected}\n  got:      {self.got}"
        )


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def read_trace(path: Path) -> list[str]:
    """The trace's records as JSON lines, whatever of the three file forms it is in."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        text = fh.read()
    if path.suffix == ".json":
        return [json.dumps(record) for record in json.loads(text)]
    return text.splitlines()


def trace_files(folder: Path = DATA) -> list[Path]:
    """Every trace in the data folder (`*.jsonl`, `*.jsonl.gz`, `*.json`), goldens excluded."""
    found = [*folder.glob("*.jsonl"), *folder.glob("*.jsonl.gz"), *folder.glob("*.json")]
    return sorted(p for p in found if not p.name.startswith("goldens"))


def check_against_trace(world: Any, lines: Iterable[str]) -> tuple[int, list[Mismatch]]:
    """Replay `lines`; return (steps checked, mismatches). An empty list means agreement."""
    mismatches: list[Mismatch] = []
    checked = 0
    previous: Any = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        record = json.loads(line)
        state_obj = record.get("state", previous)
        if state_obj is None:
            raise ValueError(f"line {number}: no 'state' and no previous line to continue from")
        text = record["action"]
        state = world.from_json(_canonical(state_obj))
        transition = world.step(state, world.parse_action(text))
        checked += 1
        want_next = _canonical(record["next_state"])
        got_next = world.to_json(transition.state)
        if got_next != want_next:
            mismatches.append(Mismatch(number, text, "next_state", want_next, got_next))
        if transition.exit_code != record["exit_code"]:
            mismatches.append(
                Mismatch(number, text, "exit_code", record["exit_code"], transition.exit_code)
            )
        if "delta" in record:
            seed_delta = world.delta_from_dicts(record["delta"])
            if tuple(seed_delta) != tuple(transition.delta):
                mismatches.append(
                    Mismatch(
                        number,
                        text,
                        "delta",
                        record["delta"],
                        world.delta_to_dicts(transition.delta),
                    )
                )
            replayed = world.to_json(world.apply(state, seed_delta))
            if replayed != want_next:
                mismatches.append(Mismatch(number, text, "apply(seed delta)", want_next, replayed))
        previous = record["next_state"]
    return checked, mismatches
