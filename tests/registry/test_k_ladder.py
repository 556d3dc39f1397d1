"""EN9-k-recovery's lever chain end to end: one run re-derives the reverse-and-recover arc.

The planted copy (`tests/data/hypotheses/k_ladder/`) carries the registry file's levers with a
truth that follows k exactly (see its header): refuted at k = 8 and 16, confirmed at k = 32.
One in-process run must then fire the ladder from the refuted root, run each rung's trials
with its own k, verdict every rung, and end the line where a rung would only repeat another.
The run (32 tiny torch trials, each in its own process) takes about two minutes on a busy
2-core machine, so those tests are `slow`; the ladder rule itself is checked without trials.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import pytest

from hypotheses import default_registry_dir
from ledger import Ledger

PLANTED = Path(__file__).resolve().parents[1] / "data" / "hypotheses" / "k_ladder"
ROOT = "PLANT-k-ladder"


def test_a_ladder_rung_reached_by_two_paths_is_derived_once(tmp_path: Path) -> None:
    """The rule the run below relies on, without running a trial: ROOT/k16 refuted would fire
    k32 again, a child that tests exactly what ROOT/k32 tests; it is noted, not derived."""
    from engine.experiments.catalog import build_catalog
    from engine.ratchet.registration import Conclusion, Ratchet
    from hypotheses import load_directory

    catalog = build_catalog()
    (root,) = load_directory(PLANTED, catalog)
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        run = ledger.start_run(code_version="test", host="here", budget_seconds=60.0)
        ratchet = Ratchet(ledger, catalog, run.id)
        ratchet.preregister([root], {})
        first = Conclusion(root)
        ratchet._pull_levers(root, first, ["refuted"])
        assert [c.id for c in first.children] == [f"{ROOT}/k16", f"{ROOT}/k32"]
        k16 = first.children[0]
        second = Conclusion(k16)
        ratchet._pull_levers(k16, second, ["refuted"])
        assert second.children == []
        assert second.lever_notes == [
            f"lever 'k32' not applied: its child would test exactly what {ROOT}/k32 tests "
            "(same content but for its id and parent)"
        ]
        # a lever that reaches a new rung is still derived
        third = Conclusion(k16)
        ratchet._pull_levers(k16, third, ["inconclusive"])
        assert third.lever_notes and third.children == []  # k32-open is k = 32 again
        fourth = Conclusion(first.children[1])
        ratchet._pull_levers(first.children[1], fourth, ["confirmed"])
        assert [c.id for c in fourth.children] == [f"{ROOT}/k32/fixed-branches"]
        assert {h.id for h in ratchet.versions.values()} == {
            ROOT,
            f"{ROOT}/k16",
            f"{ROOT}/k32",
            f"{ROOT}/k32/fixed-branches",
        }


@pytest.fixture(scope="module")
def ladder_run(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from engine.ratchet.flow import research_run

    root = tmp_path_factory.mktemp("k_ladder")
    url = f"sqlite:///{root / 'ledger.db'}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VERISIM_CACHE_DIR", str(root / "cache"))  # the trials' weights stay here
        summary: dict[str, Any] = research_run(
            ledger_url=url, hypotheses_dir=str(PLANTED), budget_seconds=600.0, workers=2
        )
    return {"url": url, "summary": summary, "cache": root / "cache"}


def test_the_planted_copy_carries_the_registry_files_levers() -> None:
    real = tomllib.loads((default_registry_dir() / "en9-k-recovery.toml").read_text())
    planted = tomllib.loads((PLANTED / "plant-k-ladder.toml").read_text())
    assert planted["levers"] == real["levers"]
    assert planted["params"]["k_negatives"] == real["params"]["k_negatives"] == 8
    assert set(planted["grid"]) == set(real["grid"]) == {"world_config.hosts"}
    assert planted["seeds"]["model"] and real["seeds"]["model"]
    # the planted truth sits between the rungs' chance losses, log(k + 1) +- 0.2
    threshold = planted["decision"]["threshold"]
    assert math.log(17) + 0.2 < threshold < math.log(33) - 0.2


@pytest.mark.slow
def test_one_run_derives_the_reversal_and_the_recovery(ladder_run: dict[str, Any]) -> None:
    with Ledger(ladder_run["url"]) as ledger:
        versions = {v.hypothesis_id: v for v in ledger.hypotheses()}
        outcomes: dict[str, set[str | None]] = {}
        for v in ledger.verdicts():
            hid = next(h for h, row in versions.items() if row.content_hash == v.hypothesis_hash)
            outcomes.setdefault(hid, set()).add(v.adjusted_outcome)
        ks = {
            hid: {
                t.spec["params"]["k_negatives"] for t in ledger.trials(hypothesis=row.content_hash)
            }
            for hid, row in versions.items()
        }
    assert ladder_run["summary"]["status"] == "finished"
    assert outcomes[ROOT] == {"refuted"}  # the reversal, in both world sizes
    assert outcomes[f"{ROOT}/k16"] == {"refuted"}
    assert outcomes[f"{ROOT}/k32"] == {"confirmed"}  # the recovery
    assert ks[ROOT] == {8} and ks[f"{ROOT}/k16"] == {16} and ks[f"{ROOT}/k32"] == {32}
    # the confirmed rung fires its own lever (upstream's fixed branch set) and the line ends
    assert outcomes[f"{ROOT}/k32/fixed-branches"] == {"confirmed"}
    assert set(versions) == {ROOT, f"{ROOT}/k16", f"{ROOT}/k32", f"{ROOT}/k32/fixed-branches"}
    # vicreg ignores k but the key keeps every training parameter, so each rung trains its own
    # models (2 arms x 2 model seeds x 2 cells), read once each here (one held-out set)
    assert len(list((ladder_run["cache"] / "ssl").glob("*.pt"))) == 4 * 8


@pytest.mark.slow
def test_a_rung_reached_twice_is_run_once(ladder_run: dict[str, Any]) -> None:
    """k16 refuted fires k32 again; that child would repeat ROOT/k32, so it is not derived."""
    notes = ladder_run["summary"]["notes"]
    assert any(
        n.startswith(f"{ROOT}/k16: lever 'k32' not applied") and f"{ROOT}/k32 tests" in n
        for n in notes
    ), notes
    with Ledger(ladder_run["url"]) as ledger:
        lines = {
            (lv.lever_id, lv.when)
            for row in ledger.hypotheses()
            if row.hypothesis_id == ROOT
            for lv in ledger.levers(parent_hash=row.content_hash)
        }
    assert lines == {("k16", "refuted"), ("k32", "refuted")}
