"""The whole engine, from its CLI, on a PostgreSQL ledger: a Dask cluster, a killed run, a lost
server, and the verdicts that come out the same every way.

One throwaway PostgreSQL cluster, one Prefect server (`verisim-engine ui`) and one Dask cluster
(`dask scheduler` + `dask worker`, all loopback) serve the module:

- reference: `run --runner dask --dask-address tcp://...` fans the trials out to the cluster;
- interrupted: the same hypotheses on another database, run with the default process runner,
  killed with SIGKILL mid-run, rerun and stopped again by stopping the database server
  mid-run, then rerun once more to the end. It must end at exactly the reference's verdicts,
  with every trial finished once (only trials in flight at an interruption run again) and no
  finished trial touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_ui import CLI, ROOT, UIServer, engine_env, run_engine, ui_server
from pgcluster import PgCluster, free_port, wait_until

from ledger import Ledger

pytestmark = pytest.mark.postgres

HYPOTHESES = ROOT / "tests" / "data" / "hypotheses" / "resume"
TRIALS = 20  # 2 hypotheses x 2 arms x 5 seeds (5: the fewest that can decide at 0.05)
RUN = ["run", "--budget", "5m", "--hypotheses", str(HYPOTHESES), "--no-progress"]
SHARED = ROOT / "tests" / "data" / "hypotheses" / "shared"
SHARED_TRIALS = 160  # 2 hypotheses x 2 arms x 40 seeds


@pytest.fixture(scope="module")
def prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UIServer]:
    with ui_server(tmp_path_factory.mktemp("prefect-home")) as server:
        yield server


def _env(server: UIServer) -> dict[str, str]:
    return engine_env(
        server.home,
        PREFECT_API_URL=f"{server.url}/api",
        PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL="CRITICAL",
    )


@contextlib.contextmanager
def dask_cluster(env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """A scheduler and `workers` single-threaded worker processes on loopback."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).parent / "dask")
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    try:
        with contextlib.suppress(Exception):
            wait_until(lambda: _listening(port), 60, "the Dask scheduler")
        procs.append(
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    address,
                    "--nworkers",
                    str(workers),
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        yield address
    finally:
        for proc in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _verdicts(url: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    with Ledger(url) as led:
        ids = {v.content_hash: v.hypothesis_id for v in led.hypotheses()}
        return {
            (ids[v.hypothesis_hash], v.cell_id): (v.outcome, v.estimate, v.ci_low, v.ci_high, v.n)
            for v in led.verdicts()
        }


def _finished(url: str) -> dict[str, tuple[Any, Any]]:
    with Ledger(url) as led:
        return {t.key: (t.metrics, t.finished_at) for t in led.trials(status="finished")}


def _start(server: UIServer, url: str, hypotheses: Path = HYPOTHESES) -> subprocess.Popen[str]:
    args = ["run", "--budget", "5m", "--hypotheses", str(hypotheses), "--no-progress"]
    return subprocess.Popen(
        [*CLI, *args, "--ledger", url],
        cwd=ROOT,
        env=_env(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_finished(url: str, proc: subprocess.Popen[str], at_least: int) -> None:
    with Ledger(url) as led:

        def enough() -> bool:
            assert proc.poll() is None, f"the run ended too early: {proc.communicate()}"
            return len(led.trials(status="finished")) >= at_least

        wait_until(enough, 240, f"{at_least} finished trials")


@pytest.fixture(scope="module")
def reference(prefect: UIServer, pg_cluster: PgCluster) -> str:
    url = pg_cluster.create_database("reference")
    env = _env(prefect)
    upgrade = run_engine(prefect.home, "ledger", "upgrade", "--ledger", url, env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    with dask_cluster(env) as address:
        done = run_engine(
            prefect.home,
            *RUN,
            "--ledger",
            url,
            "--runner",
            "dask",
            "--dask-address",
            address,
            env=env,
            timeout=300,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    return url


def test_a_dask_cluster_runs_every_trial_once(reference: str) -> None:
    with Ledger(reference) as led:
        trials = led.trials()
        (run,) = led.runs()
    assert len(trials) == TRIALS
    assert {t.status for t in trials} == {"finished"} and {t.attempts for t in trials} == {1}
    assert run.runner.startswith("dask[tcp://127.0.0.1:") and run.status == "finished"
    verdicts = _verdicts(reference)
    assert len(verdicts) == 2 and {v[0] for v in verdicts.values()} == {"confirmed"}


def test_the_engine_refuses_a_cluster_on_a_sqlite_ledger(prefect: UIServer, tmp_path: Path) -> None:
    done = run_engine(
        prefect.home,
        *RUN,
        "--ledger",
        f"sqlite:///{tmp_path / 'ledger.db'}",
        "--runner",
        "dask",
        "--dask-address",
        "tcp://127.0.0.1:8786",
        env=_env(prefect),
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "SQLite" in lines[0] and "postgresql+psycopg://" in lines[0]
    assert not (tmp_path / "ledger.db").exists()


def test_an_unreachable_ledger_is_one_clear_error(prefect: UIServer) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/verisim"
    for args in (["ledger", "upgrade", "--ledger", url], [*RUN, "--ledger", url]):
        done = run_engine(prefect.home, *args, env=_env(prefect))
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "Connection refused" in lines[0], done.stderr
        assert "127.0.0.1" in lines[0]


def test_kill_and_server_loss_converge_to_the_reference(
    prefect: UIServer, pg_cluster: PgCluster, reference: str
) -> None:
    url = pg_cluster.create_database("interrupted")
    assert (
        run_engine(prefect.home, "ledger", "upgrade", "--ledger", url, env=_env(prefect)).returncode
        == 0
    )

    killed = _start(prefect, url)
    _wait_finished(url, killed, 3)
    os.kill(killed.pid, signal.SIGKILL)  # the flow process, mid-run
    killed.communicate(timeout=60)
    after_kill = _finished(url)
    assert 3 <= len(after_kill) < TRIALS

    lost = _start(prefect, url)
    _wait_finished(url, lost, len(after_kill) + 2)
    pg_cluster.stop("fast")  # the ledger goes away mid-run
    try:
        _, err = lost.communicate(timeout=120)
    finally:
        pg_cluster.start()
    assert lost.returncode == 2, err
    last = err.strip().splitlines()[-1]
    # The server may go while the run is connected ("closed the connection") or between
    # connections ("refused"): either way one line naming the lost connection, no traceback.
    gone = (
        "Connection refused",
        "server closed the connection unexpectedly",
        "the database system is shutting down",
    )
    assert last.startswith("verisim-engine: error:") and any(g in last for g in gone), err
    after_loss = _finished(url)
    assert len(after_loss) < TRIALS, "the server stopped too late to test anything"

    final = run_engine(prefect.home, *RUN, "--ledger", url, env=_env(prefect), timeout=300)
    assert final.returncode == 0, final.stdout + final.stderr
    done = _finished(url)
    assert len(done) == TRIALS
    for key, row in after_loss.items():
        assert done[key] == row, "a trial committed before an interruption was run again"
    with Ledger(url) as led:
        attempts = [t.attempts for t in led.trials()]
        statuses = [r.status for r in led.runs()]
    assert sum(attempts) - TRIALS <= 2, "more than the trials in flight were run again"
    assert statuses == ["interrupted", "interrupted", "finished"]
    assert _verdicts(url) == _verdicts(reference)


def test_two_runs_on_one_ledger_share_the_trials(prefect: UIServer, pg_cluster: PgCluster) -> None:
    """Optuna-style: two `run` processes started together on one database. Each publishes
    the same plan to the ledger's queue and claims from it; every trial runs exactly once, and
    both runs reach the same verdicts. The plan is 160 trials, so a run's fixed cost per trial
    (claim, hand-over to the trial process, commit) alone outlasts the gap between the two
    start-ups however fast the oracle gets."""
    url = pg_cluster.create_database("shared")
    upgrade = run_engine(prefect.home, "ledger", "upgrade", "--ledger", url, env=_env(prefect))
    assert upgrade.returncode == 0, upgrade.stderr
    first, second = _start(prefect, url, SHARED), _start(prefect, url, SHARED)
    for proc in (first, second):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
    with Ledger(url) as led:
        trials = led.trials()
        run_ids = sorted(r.id for r in led.runs())
        verdicts = led.verdicts()
    assert len(trials) == SHARED_TRIALS and {t.status for t in trials} == {"finished"}
    twice = [(t.seed, t.arm, t.run_id, t.attempts, t.worker) for t in trials if t.attempts != 1]
    assert not twice, f"run more than once: {twice}"
    ran = {rid: sum(1 for t in trials if t.run_id == rid) for rid in run_ids}
    assert sum(ran.values()) == SHARED_TRIALS and all(ran.values()), f"not shared: {ran}"
    # One verdict per file, whichever run wrote it: the same trials decide the same way.
    assert len(verdicts) == 2 and {v.outcome for v in verdicts} == {"confirmed"}
