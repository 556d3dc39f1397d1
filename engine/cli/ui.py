"""The Prefect UI on loopback, over the same database the engine's runs write to.

`verisim-engine run` without a server uses Prefect's temporary local server over the database
in the data directory's Prefect home; `verisim-engine ui` serves that same database, so past
runs, their task runs and the verdict artifacts are all there. While the UI runs, its address
is written next to that database, and a `run` started meanwhile reports to it directly (its
flows appear live).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from engine.execution.lifetime import child_dies_with_us
from engine.settings import data_paths

STARTUP_SECONDS = 180.0
UI_FILE = "ui.json"


class UIError(RuntimeError):
    """The UI server could not start (port taken, server exited, start-up timed out)."""


def ui_file() -> Path:
    return data_paths().prefect_home / UI_FILE


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    """Whether a Prefect API answers its health check at `api_url` (`.../api`)."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def running_ui_api() -> str | None:
    """The API URL of a `verisim-engine ui` serving this data directory, if one answers."""
    path = ui_file()
    try:
        api = str(json.loads(path.read_text(encoding="utf-8"))["api_url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return api if healthy(api, timeout=1.0) else None


def serve(host: str, port: int, announce: Callable[[str], None]) -> int:
    """Run `prefect server start` until interrupted; `announce` gets the URL once it answers."""
    url = f"http://{host}:{port}"
    api = f"{url}/api"
    if healthy(api, timeout=1.0):
        raise UIError(f"something already answers at {url}; pick another --port")
    env = dict(os.environ)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env["PREFECT_UI_API_URL"] = api
    env.pop("PREFECT_API_URL", None)
    log_path = data_paths().prefect_home / "ui.log"
    log = log_path.open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            host,
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Even if this process is SIGKILLed, the server is told to stop (it then stops its own
        # uvicorn children); started from the main thread, which lives as long as we do.
        preexec_fn=child_dies_with_us(signal.SIGTERM),
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not healthy(api):
            if proc.poll() is not None:
                raise UIError(f"the Prefect server exited during start-up; see {log_path}")
            if time.monotonic() > deadline:
                raise UIError(f"the Prefect server did not answer within {STARTUP_SECONDS:.0f}s")
            time.sleep(0.5)
        ui_file().write_text(json.dumps({"api_url": api, "url": url}), encoding="utf-8")
        announce(url)
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        ui_file().unlink(missing_ok=True)
