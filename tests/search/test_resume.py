"""Kill -9 mid-search: the resumed search repeats no finished candidate, re-asks no proposal,
and ends where an uninterrupted search ends; and a search trial replays from its row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from search_fixtures import run_search, search_hypothesis
from typer.testing import CliRunner

from engine.cli.app import app
from engine.execution.trials import execute, spec_to_dict
from ledger import Ledger

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _snapshot(url: str) -> dict[str, tuple[object, object]]:
    with Ledger(url) as ledger:
        return {t.key: (t.metrics, t.finished_at) for t in ledger.trials(status="finished")}


def test_kill_9_mid_search_resumes_without_repeating_candidates(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    url = f"sqlite:///{home / 'l.db'}"
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "slow_search_child.py"), str(home), url, "0.4"], env=env
    )
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if (home / "l.db").exists():
                try:
                    if len(_snapshot(url)) >= 4:
                        break
                except Exception:  # the schema may still be being created
                    pass
            time.sleep(0.05)
        assert proc.poll() is None, "the search ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    before = _snapshot(url)
    h = search_hypothesis(controller="optuna", trials=8)
    with Ledger(url) as ledger:
        rows_before = {c.idx: dict(c.config) for c in ledger.candidates(h.content_hash)}
        assert 4 <= len(before) < 9
        run_search(ledger, h, home=home)  # resume, here
        after = _snapshot(url)
        rows = ledger.candidates(h.content_hash)
    for key, row in before.items():
        assert after[key] == row  # same metrics, same finish time: not run again
    assert all(dict(rows[i].config) == c for i, c in rows_before.items())
    assert [r.idx for r in rows] == list(range(len(rows)))  # no slot written twice
    # The uninterrupted reference search, in a ledger and data directory of its own.
    ref_home = tmp_path / "ref"
    ref_home.mkdir()
    with Ledger(f"sqlite:///{ref_home / 'l.db'}") as ref:
        run_search(ref, h, home=ref_home)
        want = [(dict(c.config), c.kept, c.best_after) for c in ref.candidates(h.content_hash)]
    assert [(dict(c.config), c.kept, c.best_after) for c in rows] == want


def test_a_real_search_trial_replays_exactly(home: Path, ledger: Ledger) -> None:
    h = search_hypothesis()
    driver = run_search(ledger, h, home=home, stop_after=0)
    (request,) = driver.step(0)  # the base candidate, scored by the real gate
    ledger.claim_trial(
        request.key,
        hypothesis_hash=request.hypothesis_hash,
        cell_id=request.cell_id,
        arm=request.arm,
        seed=request.seed,
        spec=spec_to_dict(request.spec),
    )
    metrics = execute(request.spec)
    assert metrics["score"] == metrics["bits_to_correct"] == metrics["loss"] > 0
    ledger.finish_trial(request.key, metrics, 1.0)
    url = f"sqlite:///{home / 'ledger.db'}"
    ok = CliRunner().invoke(app, ["replay", request.key, "--ledger", url])
    assert ok.exit_code == 0, ok.output
    assert "match exactly" in ok.stdout
