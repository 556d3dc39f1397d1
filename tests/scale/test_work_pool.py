"""The README's Prefect work-pool path, end to end: create a pool, deploy `research_run`, start
a process worker, trigger two deployment runs on one ledger.

Exactly the commands `README.md` ("Or Prefect workers on a work pool") gives, against a
`verisim-engine ui` server on loopback. The two flow runs share the ledger's queue: every
trial is run once, and both runs end finished with the planted verdict.

    pytest -m slow tests/scale/test_work_pool.py
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_ui import PLANTED, ROOT, UIServer, engine_env, ui_server

from ledger import Ledger

pytestmark = pytest.mark.slow  # about 2 minutes idle (a server, a deploy, a worker, two flows)

PREFECT = str(Path(sys.executable).parent / "prefect")


def _prefect(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    done = subprocess.run(
        [PREFECT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def server(tmp_path: Path) -> Iterator[UIServer]:
    with ui_server(tmp_path / "ui") as running:
        yield running


def test_two_work_pool_flow_runs_share_one_ledger(server: UIServer, tmp_path: Path) -> None:
    hypotheses = tmp_path / "hypotheses"
    hypotheses.mkdir()
    source = PLANTED / "null_loses_horizon.toml"
    (hypotheses / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    env = engine_env(
        tmp_path / "worker-home",
        PREFECT_API_URL=f"{server.url}/api",
        PREFECT_HOME=str(tmp_path / "prefect-cli"),
        PYTHONPATH=str(ROOT),
    )
    _prefect(env, "work-pool", "create", "verisim", "--type", "process")
    _prefect(
        env,
        "--no-prompt",
        "deploy",
        "engine/ratchet/flow.py:research_run",
        "--name",
        "verisim",
        "--pool",
        "verisim",
    )
    worker = subprocess.Popen(
        [PREFECT, "worker", "start", "--pool", "verisim"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(2):
            _prefect(
                env,
                "deployment",
                "run",
                "research_run/verisim",
                "--param",
                f"ledger_url={url}",
                "--param",
                "budget_seconds=300",
                "--param",
                f"hypotheses_dir={hypotheses}",
                "--param",
                f"figures_dir={tmp_path / 'figures'}",
            )

        def both_done() -> bool:
            assert worker.poll() is None, "the Prefect worker died"
            if not (tmp_path / "ledger.db").exists():
                return False
            with Ledger(url) as led:
                runs = led.runs()
            return len(runs) == 2 and all(r.status != "running" for r in runs)

        deadline = time.monotonic() + 400
        while not both_done():
            assert time.monotonic() < deadline, "timed out waiting for two finished flow runs"
            time.sleep(1.0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    with Ledger(url) as led:
        runs = led.runs()
        trials = led.trials()
        verdicts = led.verdicts()
    assert [r.status for r in runs] == ["finished", "finished"]
    assert len(trials) == 5 and {t.status for t in trials} == {"finished"}
    assert [t.attempts for t in trials] == [1] * 5, "a trial was run twice"
    assert [v.outcome for v in verdicts] == ["refuted"]  # planted: null drifts at once
