"""The ledger on a real PostgreSQL server under concurrent workers, dead workers and a dead server.

Every test here gets its own database in a throwaway cluster on loopback (see conftest.py) and
drives real worker processes; trial bodies are short sleeps with seed-determined metrics, so
"nothing lost, nothing repeated, same results" is checked exactly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from pgcluster import PgCluster, free_port, wait_until
from trialqueue import expected_metrics, seed_queue

import ledger
from ledger import Ledger, SchemaError

pytestmark = pytest.mark.postgres

HERE = Path(__file__).resolve().parent
WORKER = HERE / "sleepy_worker.py"
ROOT = HERE.parent.parent


def _worker(url: str, name: str, heartbeat_s: float, stale_after_s: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, name, str(heartbeat_s), str(stale_after_s)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def _assert_complete(url: str, keys: list[str]) -> dict[str, int]:
    """Every planned trial finished exactly once with its seed's metrics; attempts by key."""
    with Ledger(url) as led:
        trials = led.trials()
    assert sorted(t.key for t in trials) == sorted(keys), "a trial was lost or invented"
    for trial in trials:
        assert trial.status == "finished", f"{trial.key} is {trial.status}"
        assert trial.metrics == expected_metrics(trial.seed)
    return {t.key: t.attempts for t in trials}


def test_a_server_ledger_is_upgraded_explicitly_never_by_a_worker(pg_cluster: PgCluster) -> None:
    url = pg_cluster.create_database("ledger_upgrade")
    with pytest.raises(SchemaError, match="verisim-engine ledger upgrade"):
        Ledger(url)
    revision = ledger.upgrade(url)
    with Ledger(url) as led:
        assert led.schema_revision() == revision
    assert ledger.upgrade(url) == revision  # idempotent


def test_four_workers_lose_nothing_and_repeat_nothing(pg_url: str) -> None:
    with Ledger(pg_url) as led:
        keys = seed_queue(led, trials=40, sleep_s=0.05)
    procs = [_worker(pg_url, f"w{i}", 0.2, 5.0) for i in range(4)]
    results = [_finish(p) for p in procs]
    for code, out, err in results:
        assert code == 0, err
        assert out.strip().endswith("queue empty")
    attempts = _assert_complete(pg_url, keys)
    assert set(attempts.values()) == {1}, "a trial was claimed twice"
    with Ledger(pg_url) as led:
        by_worker = Counter(t.worker for t in led.trials())
    assert len(by_worker) >= 2, f"the work was not shared: {by_worker}"


def test_a_killed_worker_s_trial_goes_back_to_the_queue(pg_url: str) -> None:
    with Ledger(pg_url) as led:
        keys = seed_queue(led, trials=12, sleep_s=0.4)
    victim = _worker(pg_url, "victim", 0.1, 1.5)
    host = socket.gethostname()
    victim_name = f"{host}:{victim.pid}:victim"
    with Ledger(pg_url) as led:

        def victim_mid_trial() -> bool:
            return any(t.worker == victim_name for t in led.trials(status="running"))

        wait_until(victim_mid_trial, 60, "the victim worker to claim a trial")
        (held,) = [t.key for t in led.trials(status="running") if t.worker == victim_name]
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    survivors = [_worker(pg_url, f"s{i}", 0.1, 1.5) for i in range(2)]
    for proc in survivors:
        code, _, err = _finish(proc)
        assert code == 0, err
    attempts = _assert_complete(pg_url, keys)
    assert attempts[held] == 2, "the dead worker's trial was not re-run exactly once more"
    assert all(n == 1 for key, n in attempts.items() if key != held)


def test_an_unreachable_ledger_is_one_clear_error() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/verisim"
    done = subprocess.run(
        [sys.executable, "-m", "engine.execution.workers", "--ledger", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: cannot open ledger {url}")
    assert "Connection refused" in lines[0] and "Traceback" not in done.stderr


def test_a_lost_ledger_stops_the_worker_cleanly_and_a_rerun_resumes(
    pg_cluster: PgCluster, pg_url: str
) -> None:
    with Ledger(pg_url) as led:
        keys = seed_queue(led, trials=16, sleep_s=0.15)
    first = _worker(pg_url, "first", 0.1, 1.0)
    with Ledger(pg_url) as led:
        wait_until(lambda: len(led.trials(status="finished")) >= 3, 60, "three trials to finish")
    pg_cluster.stop("fast")
    try:
        code, out, err = _finish(first)
    finally:
        pg_cluster.start()
    assert code == 1
    summary = out.strip().splitlines()[-1]
    assert "stopped: ledger lost" in summary and "rerun to resume" in summary, out + err
    last = summary.split("last committed trial ")[1].split(";")[0]
    with Ledger(pg_url) as led:
        committed = {t.key for t in led.trials(status="finished")}
        assert last in committed
        unfinished = [t for t in led.trials() if t.status != "finished"]
    assert unfinished, "the server stopped too late to test anything"
    rerun = _worker(pg_url, "rerun", 0.1, 1.0)
    code, out, err = _finish(rerun)
    assert code == 0, err
    attempts = _assert_complete(pg_url, keys)
    assert all(attempts[key] == 1 for key in committed), "a committed trial was repeated"
    assert sum(attempts.values()) - len(keys) <= 1, "more than the in-flight trial was re-run"
