"""Kill -9 mid-run and resume: no finished trial lost or repeated, the same verdicts as an
uninterrupted run; then replay a trial from its ledger row (and catch a tampered one)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from engine.cli.app import app
from ledger import Ledger

RESUME = Path(__file__).resolve().parents[1] / "data" / "hypotheses" / "resume"
TRIALS = 20  # 2 hypotheses x 2 arms x 5 seeds (5: the fewest that can decide at 0.05)


def cli(home: Path, api: str, url: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "VERISIM_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    }
    args = ["run", "--budget", "5m", "--hypotheses", str(RESUME), "--ledger", url, "--no-progress"]
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(url: str) -> dict[str, tuple[Any, Any]]:
    with Ledger(url) as ledger:
        return {t.key: (t.metrics, t.finished_at) for t in ledger.trials(status="finished")}


def verdicts(url: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    with Ledger(url) as ledger:
        ids = {v.content_hash: v.hypothesis_id for v in ledger.hypotheses()}
        return {
            (ids[v.hypothesis_hash], v.cell_id): (v.outcome, v.estimate, v.ci_low, v.ci_high, v.n)
            for v in ledger.verdicts()
        }


@pytest.fixture(scope="module")
def resumed(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("resume")
    url = f"sqlite:///{root / 'ledger.db'}"
    proc = cli(root / "home", prefect_api, url)
    deadline = time.time() + 180
    seen: dict[str, tuple[Any, Any]] = {}
    while time.time() < deadline and proc.poll() is None:
        if (root / "ledger.db").exists():
            try:
                seen = finished(url)
            except Exception:  # the schema may still be being created
                seen = {}
            if len(seen) >= 3:
                break
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = finished(url)
    assert 3 <= len(before) < TRIALS
    again = cli(root / "home", prefect_api, url)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    # The uninterrupted reference, in a ledger of its own (in this process: same flow).
    from engine.ratchet.flow import research_run

    ref_url = f"sqlite:///{root / 'reference.db'}"
    ref = research_run(
        ledger_url=ref_url,
        hypotheses_dir=str(RESUME),
        budget_seconds=300.0,
        figures_dir=str(root / "figures"),
    )
    assert ref["status"] == "finished"
    # The killed run's trial child outlived it (a process group of its own); it has ended by
    # now, and whatever it wrote on the way out is here.
    assert proc.stderr is not None
    killed_err = proc.stderr.read()
    return {"url": url, "ref_url": ref_url, "before": before, "out": out, "killed_err": killed_err}


def test_resume_loses_nothing_repeats_nothing(resumed: dict[str, Any]) -> None:
    after = finished(resumed["url"])
    assert len(after) == TRIALS
    for key, row in resumed["before"].items():
        assert after[key] == row  # same metrics, same finish time: not re-run
    with Ledger(resumed["url"]) as ledger:
        runs = ledger.runs()
    assert runs[0].status == "interrupted" and runs[-1].status == "finished"


def test_resume_summary_counts_the_trials_it_reused(resumed: dict[str, Any]) -> None:
    reused = len(resumed["before"])
    assert f"{TRIALS - reused} finished" in resumed["out"]
    assert f"{reused} reused from the ledger" in resumed["out"]


def test_killed_run_leaves_no_traceback_behind(resumed: dict[str, Any]) -> None:
    assert "Traceback" not in resumed["killed_err"]
    assert "BrokenPipeError" not in resumed["killed_err"]


def test_resume_ends_at_the_same_verdicts(resumed: dict[str, Any]) -> None:
    got, want = verdicts(resumed["url"]), verdicts(resumed["ref_url"])
    assert got == want and len(got) == 2
    assert {v[0] for v in got.values()} == {"confirmed"}


def test_replay_reproduces_metrics_exactly(resumed: dict[str, Any]) -> None:
    runner = CliRunner()
    key = sorted(finished(resumed["url"]))[0]
    ok = runner.invoke(app, ["replay", key[:12], "--ledger", resumed["url"]])
    assert ok.exit_code == 0, ok.output
    assert "match exactly" in ok.stdout and "recorded under code" not in ok.stdout
    db = resumed["url"].removeprefix("sqlite:///")
    # A trial recorded under other source: replayed and compared all the same, and said so.
    other = sorted(finished(resumed["url"]))[1]
    with sqlite3.connect(db) as con:
        con.execute("UPDATE trial SET code_hash = ? WHERE key = ?", ("0" * 64, other))
    moved = runner.invoke(app, ["replay", other, "--ledger", resumed["url"]])
    assert moved.exit_code == 0, moved.output
    assert "recorded under code 000000000000" in moved.stdout and "match exactly" in moved.stdout
    with sqlite3.connect(db) as con:
        con.execute("UPDATE trial SET metrics = ? WHERE key = ?", ('{"horizon":-1.0}', key))
    bad = runner.invoke(app, ["replay", key, "--ledger", resumed["url"]])
    assert bad.exit_code == 1 and "MISMATCH" in bad.stdout
