"""Agreement with the seed's semantics on recorded traces (data/trace_*.jsonl[.gz]).

The traces were recorded by `record_traces.py` with the naive reference in `net_naive.py`
(plain dicts and sets, a BFS per question). Any trace in the same format dropped into data/,
recorded elsewhere, is picked up here too.
"""

from __future__ import annotations

import json
from pathlib import Path

import net_naive as nv
import pytest
from net_trace import check_against_trace, read_trace, trace_files
from record_traces import PLAN, record

from worlds.network import NetworkWorld

TRACES = trace_files()


def test_traces_are_present_and_compact() -> None:
    names = {p.name for p in TRACES}
    assert len(names) >= 9
    assert any("churn" in n for n in names) and any("fuzz" in n for n in names)
    assert sum(p.stat().st_size for p in TRACES) < 1_000_000


@pytest.mark.parametrize("path", TRACES, ids=[p.name for p in TRACES])
def test_world_matches_trace(path: Path) -> None:
    world = NetworkWorld()
    checked, mismatches = check_against_trace(world, read_trace(path))
    assert checked >= 100
    assert not mismatches, "\n".join(str(m) for m in mismatches[:5])


def test_traces_cover_exit_codes_lazy_drops_and_unsorted_link_edits() -> None:
    codes: set[int] = set()
    drops = reversed_links = 0
    for path in TRACES:
        previous = None
        for line in read_trace(path):
            if line.startswith("#") or not line.strip():
                continue
            rec = json.loads(line)
            before = rec.get("state", previous)
            codes.add(rec["exit_code"])
            reversed_links += sum(
                e["op"] in ("link_add", "link_del") and e["a"] > e["b"]
                for e in rec.get("delta", [])
            )
            if rec["action"] == "advance":
                drops += len(before["flows"]) - len(rec["next_state"]["flows"])
            previous = rec["next_state"]
    assert codes == {0, 1, 2}
    assert drops >= 50
    # Seed-format link edits in argument order: the documented difference is exercised.
    assert reversed_links >= 50


def test_recorder_is_deterministic_and_matches_the_committed_file() -> None:
    workload, n, p, seeds, steps = PLAN[0]
    committed = read_trace(
        Path(nv.__file__).parent / "data" / f"trace_{workload}_{n}h{p}p.jsonl.gz"
    )
    assert record(workload, n, p, seeds, steps) == committed


def test_checker_reports_a_corrupted_trace() -> None:
    """Negative control: a trace with a wrong next state or exit code must not pass."""
    world = NetworkWorld()
    path = next(p for p in TRACES if "weighted_5h" in p.name)
    lines = [line for line in read_trace(path) if not line.startswith("#")][:20]
    rec = json.loads(lines[5])
    rec["exit_code"] = 2
    rec["next_state"]["clock"] += 7
    bad = [*lines[:5], json.dumps(rec), *lines[6:]]
    _, mismatches = check_against_trace(world, bad)
    assert {m.what for m in mismatches} >= {"exit_code", "next_state"}


def test_a_seed_trajectory_dumped_as_one_json_list_is_read_too(tmp_path: Path) -> None:
    """The seed's in-memory trajectory (a list of step records, delta in the seed's link
    order) dumped with json.dump is a valid trace as it stands."""
    path = tmp_path / "seed_dump.json"
    path.write_text(json.dumps(nv.seed_trajectory("weighted", 7, 60, 6, 2)), encoding="utf-8")
    assert trace_files(tmp_path) == [path]
    checked, mismatches = check_against_trace(NetworkWorld(hosts=6, ports=2), read_trace(path))
    assert checked == 60 and not mismatches
