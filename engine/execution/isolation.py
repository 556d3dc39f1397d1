"""Running trials in a child process that a deadline can really stop.

`TrialProcess` keeps one `python -m engine.execution.child` child per batch and hands it one
spec at a time, so the caller decides before each trial whether it may start at all (an
estimate that does not fit the remaining budget starts nothing) and, if one overruns the
deadline, kills the child's whole process group: that trial is *cut*, the ones before it are
already answered.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.execution.child import PARENT_ENV

READY_TIMEOUT_SECONDS = 120.0


class TrialProcessError(RuntimeError):
    """The trial process died or spoke out of protocol (not a trial's own failure)."""


@dataclass(frozen=True)
class Answer:
    """What became of one trial: metrics, a failure, or a cut by the deadline."""

    status: str  # "finished" | "failed" | "cut" | "crashed" (the process died under it)
    metrics: Mapping[str, float] | None = None
    error: str | None = None
    seconds: float = 0.0
    device: str | None = None  # the torch device a finished trial ran on (`cpu` | `cuda`)


class TrialProcess:
    """A child process that runs trials one at a time (use as a context manager)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._ready = False

    def __enter__(self) -> TrialProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the child and wait until it says it is ready."""
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Start the child without waiting for it (`wait_ready` before the first trial).

        The kernel ends the child when the *thread* that started it exits (the child asks for
        that, `lifetime.die_with_parent`), so spawn from a thread that outlives the child's use.
        """
        env = dict(os.environ)
        env.setdefault("PYTHONHASHSEED", "0")
        env[PARENT_ENV] = str(os.getpid())
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "engine.execution.child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group: a kill takes everything it spawned
        )
        self._ready = False

    def wait_ready(self) -> None:
        """Block until the spawned child has imported the engine and said so."""
        if self._ready:
            return
        ready = self._read_line(self._clock() + READY_TIMEOUT_SECONDS)
        if ready is None or not ready.get("ready"):
            self.kill()
            raise TrialProcessError(f"trial process did not start (said {ready!r})")
        self._ready = True

    def run(
        self,
        spec: Mapping[str, Any],
        deadline: float,
        on_wait: Callable[[], object] | None = None,
        wait_interval: float = 60.0,
    ) -> Answer:
        """Run one trial; if it is still running at `deadline` (time.time()), kill and cut it.

        `on_wait` is called every `wait_interval` seconds while the trial runs (the ledger
        heartbeat that keeps a long trial's claim from looking abandoned).
        """
        proc = self._require()
        assert proc.stdin is not None
        started = self._clock()
        try:
            proc.stdin.write((json.dumps({"spec": dict(spec)}) + "\n").encode("utf-8"))
            proc.stdin.flush()
        except BrokenPipeError:
            raise TrialProcessError("trial process exited before the trial was sent") from None
        reply = self._read_line(deadline, on_wait, wait_interval)
        if reply is None:
            self.kill()
            return Answer(status="cut", seconds=self._clock() - started)
        seconds = float(reply.get("seconds", self._clock() - started))
        if reply.get("ok"):
            metrics = {str(k): float(v) for k, v in dict(reply["metrics"]).items()}
            device = reply.get("device")
            return Answer(
                status="finished",
                metrics=metrics,
                seconds=seconds,
                device=None if device is None else str(device),
            )
        return Answer(status="failed", error=str(reply.get("error")), seconds=seconds)

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def close(self) -> None:
        """Let the child finish cleanly (EOF on stdin), killing it if it will not."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self._close_pipes(proc)
        self._proc = None

    def kill(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self._close_pipes(proc)
        self._proc = None

    @staticmethod
    def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def _require(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            raise TrialProcessError("trial process is not running")
        return self._proc

    def _read_line(
        self,
        deadline: float,
        on_wait: Callable[[], object] | None = None,
        wait_interval: float = 60.0,
    ) -> dict[str, Any] | None:
        """The next protocol line, or None if the deadline passed first."""
        proc = self._proc
        if proc is None or proc.stdout is None:
            raise TrialProcessError("trial process is not running")
        fd = proc.stdout.fileno()
        next_call = self._clock() + wait_interval
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                wait = deadline - self._clock()
                if wait <= 0:
                    return None
                if on_wait is not None and self._clock() >= next_call:
                    on_wait()
                    next_call = self._clock() + wait_interval
                if not sel.select(timeout=min(wait, 1.0)):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    code = proc.wait()
                    raise TrialProcessError(f"trial process exited (code {code}) mid-trial")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            value = json.loads(line)
        except ValueError:
            raise TrialProcessError(f"trial process wrote a non-protocol line: {line!r}") from None
        if not isinstance(value, dict):
            raise TrialProcessError(f"trial process wrote a non-object: {line!r}")
        return value
