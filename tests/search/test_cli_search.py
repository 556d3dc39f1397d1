"""Through the CLI: `ledger search` on a searched ledger, bad input, and (slow) a planted
search run by `verisim-engine run`, killed with SIGKILL mid-search and resumed, ending with
the engine's own confirmation child in `ledger hypotheses` / `ledger verdicts`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from search_fixtures import run_search, search_data, search_hypothesis, to_toml
from typer.testing import CliRunner

from engine.cli.app import app
from ledger import Ledger


def test_ledger_search_shows_frontier_lineage_and_rejected_map(home: Path, ledger: Ledger) -> None:
    h = search_hypothesis(trials=5)
    run_search(ledger, h, home=home)
    url = f"sqlite:///{home / 'ledger.db'}"
    runner = CliRunner()
    table = runner.invoke(app, ["ledger", "search", "S-flat", "--ledger", url, "--plot", str(home)])
    assert table.exit_code == 0, table.output
    for heading in ("frontier (kept candidates)", "base -> ... -> best", "rejected map"):
        assert heading in table.stdout
    assert (home / "S-flat-frontier.png").stat().st_size > 1000
    data = json.loads(runner.invoke(app, ["ledger", "search", "S-flat", "--ledger", url,
                                          "--format", "json"]).stdout)  # fmt: skip
    kept = [r for r in data["candidates"] if r["kept"]]
    assert data["frontier"] == kept and len(data["candidates"]) == 6
    scores = [r["frontier"] for r in data["candidates"]]
    assert scores == sorted(scores, reverse=True)  # the frontier only goes down
    assert data["lineage"][0]["move"] == "base" and data["lineage"][-1]["idx"] == kept[-1]["idx"]
    lineage = runner.invoke(app, ["ledger", "lineage", "S-flat", "--ledger", url])
    assert "S-flat#seed0.0" in lineage.stdout
    missing = runner.invoke(app, ["ledger", "search", "NOPE", "--ledger", url])
    assert missing.exit_code == 2 and "no hypothesis 'NOPE'" in missing.output


def _cli(home: Path, registry: Path, url: str, api: str) -> subprocess.Popen[str]:
    env = {**os.environ, "VERISIM_HOME": str(home), "PREFECT_API_URL": api,
           "OMP_NUM_THREADS": "1"}  # fmt: skip
    args = ["run", "--budget", "15m", "--hypotheses", str(registry), "--ledger", url,
            "--no-progress", "--workers", "2"]  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_a_planted_search_survives_sigkill_and_confirms_itself(
    prefect_api: str, tmp_path: Path
) -> None:
    registry = tmp_path / "registry"
    registry.mkdir()
    data = search_data(space={"train_iters": [1, 30]}, trials=2, generation=1)
    data["search"]["base"]["train_iters"] = 1
    (registry / "search.toml").write_text(to_toml(data))
    home, url = tmp_path / "home", f"sqlite:///{tmp_path / 'ledger.db'}"
    proc = _cli(home, registry, url, prefect_api)
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None:
        try:
            with Ledger(url) as ledger:
                if len(ledger.trials(status="finished")) >= 1:
                    break
        except Exception:  # the ledger may not exist yet
            pass
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Ledger(url) as ledger:
        before = {t.key: t.finished_at for t in ledger.trials(status="finished")}
    again = _cli(home, registry, url, prefect_api)
    _out, err = again.communicate(timeout=900)
    assert again.returncode == 0, err
    with Ledger(url) as ledger:
        after = {t.key: t.finished_at for t in ledger.trials(status="finished")}
        rows = ledger.candidates()
    assert all(after[k] == v for k, v in before.items())
    assert [r.idx for r in rows] == [0, 1, 2]
    runner = CliRunner()
    listed = runner.invoke(app, ["ledger", "hypotheses", "--ledger", url, "--format", "json"])
    assert "S-flat/confirm-seed0" in listed.stdout
    verdicts = json.loads(
        runner.invoke(app, ["ledger", "verdicts", "--ledger", url, "--format", "json"]).stdout
    )
    mine = [v for v in verdicts if v["hypothesis"] == "S-flat/confirm-seed0"]
    assert len(mine) == 1 and mine[0]["estimate"] < 0
    assert mine[0]["outcome"] == "confirmed" and mine[0]["method"].startswith("two-level")
    key = rows[1].trial_key
    assert key is not None
    replay = runner.invoke(app, ["replay", key, "--ledger", url], env={"VERISIM_HOME": str(home)})
    assert replay.exit_code == 0, replay.output
