"""A stopped CLI leaves no process behind: SIGTERM, SIGHUP or SIGINT end every descendant.

Every process started here carries a unique marker in its environment, which all its
descendants inherit; after the CLI has exited, no process on the machine may still carry it
(a child re-parented to init is found this way too, not only the ones still in the tree).
The helpers never sweep descendants of the test process itself: under xdist those include the
session's Prefect server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
RESUME = ROOT / "tests" / "data" / "hypotheses" / "resume"
MARK = "VERISIM_TEST_PROCESS_MARK"


def marked(mark: str) -> list[psutil.Process]:
    """Every live process whose environment carries `mark`."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(MARK) == mark and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def start(
    argv: list[str], env: dict[str, str], drop: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[str], str]:
    """Start `argv` with a fresh marker; its output goes to a file (a leaked child holding a
    pipe open would otherwise make waiting for the output hang)."""
    mark = uuid.uuid4().hex
    full = {**os.environ, **env, MARK: mark, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    for name in drop:
        full.pop(name, None)
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by output(), after the wait
    proc = subprocess.Popen(argv, env=full, stdout=log, stderr=log, text=True, cwd=ROOT)
    LOGS[proc.pid] = log
    return proc, mark


LOGS: dict[int, IO[str]] = {}


def output(proc: subprocess.Popen[str]) -> str:
    log = LOGS.pop(proc.pid)
    log.seek(0)
    text = log.read()
    log.close()
    return text


def wait_for(check: Callable[[], bool], proc: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if proc.poll() is not None:
            pytest.fail(f"exited early ({proc.returncode}): {output(proc)[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"not ready within {seconds:.0f}s")
        time.sleep(0.2)


def tree(proc: subprocess.Popen[str]) -> list[str]:
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    names = []
    for kid in kids:
        try:
            names.append(" ".join(kid.cmdline()))
        except psutil.Error:
            continue
    return names


def stop_and_check(proc: subprocess.Popen[str], mark: str, signum: int) -> str:
    """Signal the process, wait for it, and assert nothing carrying `mark` survives it."""
    assert tree(proc), "nothing was started: the test would prove nothing"
    proc.send_signal(signum)
    try:
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the process did not end within 90 s of {signal.Signals(signum).name}")
    survivors: list[psutil.Process] = []
    deadline = time.monotonic() + 5  # a SIGKILL is delivered, not instant
    while time.monotonic() < deadline and (survivors := marked(mark)):
        time.sleep(0.1)
    for leftover in survivors:
        leftover.kill()
    text = output(proc)
    assert [p.pid for p in survivors] == [], f"survivors: {survivors}; output: {text[-3000:]}"
    return text


# --- the mechanisms, on plain sleeping processes (fast) -------------------------------------

SCRIPT = textwrap.dedent(
    """
    import subprocess, sys, time
    from engine.execution.lifetime import ending_children, exit_like_signal
    with ending_children(grace=5.0) as stop:
        subprocess.Popen(["sleep", "300"])
        # A grandchild in its own session, as the trial processes are: no process-group
        # signal reaches it; only the sweep of descendants does.
        subprocess.Popen([sys.executable, "-c",
            "import subprocess, time; subprocess.Popen(['sleep', '300'],"
            " start_new_session=True); time.sleep(300)"])
        time.sleep(300)
    if stop.signum is not None:
        exit_like_signal(stop.signum)
    """
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stop_signal_ends_children_and_grandchildren(signum: int) -> None:
    proc, mark = start([sys.executable, "-c", SCRIPT], {})
    wait_for(lambda: len(tree(proc)) >= 3, proc, 30)
    stop_and_check(proc, mark, signum)
    assert proc.returncode == -signum


def test_without_the_handlers_the_children_survive() -> None:
    """The negative control: the same tree under Python's default SIGTERM leaks."""
    plain = SCRIPT.replace("with ending_children(grace=5.0) as stop:", "if True:")
    proc, mark = start([sys.executable, "-c", plain], {})
    wait_for(lambda: len(tree(proc)) >= 3, proc, 30)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    output(proc)
    time.sleep(0.5)
    leaked = marked(mark)
    for p in leaked:
        p.kill()
    assert len(leaked) >= 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_that_armed_die_with_parent_goes_even_with_a_sigkilled_parent() -> None:
    child = (
        "import os, time; from engine.execution.lifetime import die_with_parent;"
        "assert die_with_parent(parent=os.getppid()); print('armed', flush=True); time.sleep(300)"
    )
    parent = (
        "import subprocess, sys, time;"
        f"c = subprocess.Popen([sys.executable, '-c', {child!r}], start_new_session=True);"
        "time.sleep(300)"
    )
    proc, mark = start([sys.executable, "-c", parent], {})
    wait_for(lambda: len(tree(proc)) >= 1, proc, 30)
    time.sleep(1.0)  # let the child arm
    proc.kill()
    proc.wait(timeout=30)
    output(proc)
    deadline = time.monotonic() + 10
    while (left := marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for p in left:
        p.kill()
    assert left == []


MAIN = textwrap.dedent(
    """
    import subprocess, sys, time
    import engine.cli.app as cli

    def command():
        subprocess.Popen(["sleep", "300"])
        time.sleep(300)

    cli.app = command
    cli.main()
    """
)


def test_the_cli_entry_point_wraps_every_command() -> None:
    """`main()` (what `verisim-engine` and `python -m engine.cli` run) installs the handling."""
    proc, mark = start([sys.executable, "-c", MAIN], {})
    wait_for(lambda: len(tree(proc)) >= 1, proc, 30)
    stop_and_check(proc, mark, signal.SIGTERM)
    assert proc.returncode == -signal.SIGTERM


# --- the real commands (each starts Prefect: about 15 s idle, a minute on a busy machine) ----


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_ui_stopped_by_sigterm_takes_its_prefect_server(tmp_path: Path) -> None:
    port = _free_port()
    argv = [sys.executable, "-m", "engine.cli", "ui", "--port", str(port)]
    proc, mark = start(argv, {"VERISIM_HOME": str(tmp_path / "home")}, drop=("PREFECT_API_URL",))
    ui_json = tmp_path / "home" / "prefect" / "ui.json"
    wait_for(ui_json.exists, proc, 240)
    stop_and_check(proc, mark, signal.SIGTERM)
    assert proc.returncode == -signal.SIGTERM
    assert not ui_json.exists()


@pytest.mark.slow
def test_run_stopped_mid_trial_leaves_no_worker_or_trial_process(
    tmp_path: Path, prefect_api: str
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    argv = [sys.executable, "-m", "engine.cli", "run", "--budget", "5m", "--workers", "2"]
    argv += ["--hypotheses", str(RESUME), "--ledger", url, "--no-progress"]
    env = {"VERISIM_HOME": str(tmp_path / "home"), "PREFECT_API_URL": prefect_api}
    proc, mark = start(argv, env)
    wait_for(lambda: any("engine.execution.child" in c for c in tree(proc)), proc, 240)
    stop_and_check(proc, mark, signal.SIGTERM)
    assert proc.returncode == -signal.SIGTERM
