"""Record the committed seed-reference traces (run by hand; the tests only read the output).

    .venv/bin/python tests/worlds/filesystem/fsw_record_traces.py

Every trace is produced by `fsw_reference` (the naive re-implementation of the seed's oracle and
drivers), never by `worlds.filesystem`, so checking our world against these files is a check
against an independent implementation of the seed's rules.

Files written under `data/`:

* `trace_seedref_drivers.jsonl.gz`: the seed's step-record shape, 5 drivers x 30 seeds x 40
  steps, plus the two driver trajectories (of 80,000 steps scanned) that hit the seed's
  cp-onto-directory quirk: uniform/128 and weighted/36, 80 steps each.
* `trace_seedref_quirks.jsonl.gz`: the minimal shape, hand-written command sequences that
  exercise the quirk and then keep operating on the orphaned tree it leaves behind.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import fsw_reference as ref

DATA = Path(__file__).with_name("data")
DRIVERS = ("uniform", "weighted", "adversarial", "trivial", "structural")
QUIRK_TRAJECTORIES = (("uniform", 128, 80), ("weighted", 36, 80))

QUIRK_SCRIPTS: tuple[tuple[str, ...], ...] = (
    # cp FILE DIR where DIR/FILE is a directory with children: the seed orphans /d/f/x.
    ("mkdir /d", "mkdir /d/f", "touch /d/f/x", "write /f alpha", "cp /f /d", "ls /d/f",
     "cat /d/f", "rmdir /d/f", "rm /d/f", "ls /d", "touch /d/f/x", "mkdir /d/f/y",
     "rm -r /d", "ls /"),
    # the same through cp -r of a file, then a move and a recursive copy of the orphaning dir.
    ("mkdir /a", "mkdir /a/g", "mkdir /a/g/h", "write /g beta", "cp -r /g /a", "mv /a /b",
     "ls /b/g", "cp -r /b /c", "rm -r /b/g", "ls /b", "chmod 700 /c/g", "cat /c/g"),
    # relative paths: cp g .. from inside a directory.
    ("mkdir /k", "cd /k", "mkdir g", "write /g omega", "cd /", "cp g k", "ls k", "cd k",
     "append g beta", "cat g"),
)  # fmt: skip


def _write(name: str, records: list[dict[str, Any]]) -> None:
    path = DATA / name
    lines = "".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in records)
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as handle:
        handle.write(lines.encode("utf-8"))
    print(f"{path}: {len(records)} records, {path.stat().st_size} bytes")


def driver_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for driver in DRIVERS:
        for seed in range(30):
            records.extend(ref.seed_trajectory(driver, seed, 40))
    for driver, seed, steps in QUIRK_TRAJECTORIES:
        records.extend(ref.seed_trajectory(driver, seed, steps))
    return records


def quirk_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for script in QUIRK_SCRIPTS:
        state = ref.new_state()
        for raw in script:
            nxt, _, code, _ = ref.oracle_step(state, raw)
            records.append(
                {
                    "state": ref.canonical(state),
                    "action": raw,
                    "next_state": ref.canonical(nxt),
                    "exit_code": code,
                }
            )
            state = nxt
    return records


def main() -> None:
    DATA.mkdir(exist_ok=True)
    _write("trace_seedref_drivers.jsonl.gz", driver_records())
    _write("trace_seedref_quirks.jsonl.gz", quirk_records())


if __name__ == "__main__":
    main()
