"""Run the engine the way a person does, from its CLI, next to `verisim-engine ui`.

`UIServer` starts `verisim-engine ui` on a free loopback port over a private data directory
(its own process group, so the Prefect server it spawns goes down with it) and `run_engine`
runs `verisim-engine run` against the same directory: the run finds the UI's address there and
reports to it, so its flow, task runs and artifacts land in the database the UI serves.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
PLANTED = ROOT / "tests" / "data" / "hypotheses" / "planted"
CLI = [sys.executable, "-c", "from engine.cli.app import main; main()"]
START_SECONDS = 180.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def engine_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"VERISIM_HOME": str(home), "PYTHONHASHSEED": "0", **extra})
    return env


def tiny_curve(directory: Path, seeds: int = 3) -> Path:
    """The planted H_eps(rho) hypothesis with fewer seeds: a real verdict and plot in seconds."""
    directory.mkdir(parents=True, exist_ok=True)
    text = (PLANTED / "horizon_curve.toml").read_text(encoding="utf-8")
    text = text.replace("initial = [0, 1, 2, 3, 4]", f"initial = {list(range(seeds))}")
    (directory / "horizon_curve.toml").write_text(text, encoding="utf-8")
    return directory


@dataclass
class UIServer:
    home: Path
    port: int
    proc: subprocess.Popen[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.url}/api{path}",
            data=json.dumps(body or {}).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.loads(reply.read())

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=2):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def ui_server(home: Path) -> Any:
    """`verisim-engine ui` on a free port, until the block ends."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (home / "ui-test.log").open("w")
    proc = subprocess.Popen(
        [*CLI, "ui", "--port", str(port)],
        cwd=ROOT,
        env=engine_env(home),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    server = UIServer(home=home, port=port, proc=proc)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"`verisim-engine ui` exited: {(home / 'ui-test.log').read_text()}"
                )
            if _healthy(server.url):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("`verisim-engine ui` did not answer in time")
            time.sleep(0.5)
        yield server
    finally:
        server.stop()
        log.close()


def run_engine(
    home: Path, *args: str, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=ROOT,
        env=env or engine_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
