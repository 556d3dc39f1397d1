"""Processes end with their parent: no Prefect server, trial child or Dask worker outlives the CLI.

A service manager stops `verisim-engine ui` with SIGTERM, a terminal closes with SIGHUP, a
person presses Ctrl-C. Python's default SIGTERM and SIGHUP actions end the interpreter at once,
so no `finally` runs and every child it started (the Prefect server, the trial processes, a
local Dask cluster) is left running on its own. Three mechanisms close that gap:

- `ending_children()` (wrapped around every CLI command) turns SIGTERM, SIGHUP and SIGINT into
  `Terminated`, a KeyboardInterrupt, so each clean-up path the code already has for Ctrl-C
  (stop the server, shut the task runner, close the cluster) runs for all three. On the way
  out it ends every descendant still alive (SIGTERM, a grace period, then SIGKILL). A second
  signal, or a clean-up that takes longer than the grace period, kills the rest at once.
- On Linux the CLI process becomes a *child subreaper* (`PR_SET_CHILD_SUBREAPER`): a grandchild
  whose own parent died (a trial child of a process-pool worker) is re-parented to the CLI
  instead of to init, so it is still found as a descendant.
- Children the engine starts itself ask the kernel to kill them when their parent goes
  (`die_with_parent`, `PR_SET_PDEATHSIG`), which covers even a SIGKILL of the parent. The
  signal follows the *thread* that started the child, so it is only used for children whose
  starting thread outlives them (a trial batch holds its trial process for its whole run).

Elsewhere than Linux the two prctl calls do nothing and the signal handling and the final sweep
of descendants (psutil) still apply.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    s for s in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)) if s is not None
)
GRACE_SECONDS = 20.0
"""How long clean-up may take after a stop signal before the rest is killed outright."""

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


class Terminated(KeyboardInterrupt):
    """A stop signal arrived; raised in the main thread so clean-up runs as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@functools.cache
def _libc() -> Any:
    """libc, loaded once (so a `preexec_fn` after fork only calls into it, never loads it)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def _prctl(option: int, value: int) -> bool:
    """One prctl(2) call; False where there is no prctl (not Linux) or it fails."""
    libc = _libc()
    if libc is None or not hasattr(libc, "prctl"):
        return False
    return int(libc.prctl(option, value, 0, 0, 0)) == 0


def die_with_parent(signum: int = signal.SIGKILL, parent: int | None = None) -> bool:
    """Ask the kernel to send `signum` to this process when its parent exits (Linux only).

    Call it first thing in a child, with the parent's pid if known: if the parent is already
    gone by then (the race the man page warns about: we have been re-parented), the process
    ends at once.
    """
    armed = _prctl(_PR_SET_PDEATHSIG, int(signum))
    if armed and parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), signum)
    return armed


def child_dies_with_us(signum: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` for `subprocess.Popen`: the child gets `signum` when this process ends.

    For a child started from the main thread only (the signal follows the starting thread).
    libc is loaded here, before the fork, so the forked child only makes the one call.
    """
    _libc()
    parent = os.getpid()

    def arm() -> None:
        die_with_parent(signum, parent)

    return arm


def become_subreaper() -> bool:
    """Orphaned descendants are re-parented to this process rather than to init (Linux only)."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def descendants(pid: int | None = None) -> list[Any]:
    """Every live descendant of `pid` (default: this process) as psutil processes."""
    import psutil

    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return []


def end_descendants(grace: float = 5.0) -> list[int]:
    """SIGTERM every descendant, wait up to `grace` seconds, SIGKILL the rest.

    Returns the pids that had to be killed. Children are reaped (psutil waits on them), so no
    zombie is left behind either.
    """
    import psutil

    alive = descendants()
    if not alive:
        return []
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, survivors = psutil.wait_procs(alive, timeout=grace)
    # Terminating may have orphaned grandchildren onto us; sweep once more, then kill.
    survivors = [*survivors, *(p for p in descendants() if p not in survivors)]
    for proc in survivors:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(survivors, timeout=grace)
    return [p.pid for p in survivors]


@dataclass
class StopState:
    """What `ending_children` saw: the stop signal (None if the command ended on its own)."""

    signum: int | None = None
    watchdog: threading.Timer | None = None


def _hard_stop(signum: int) -> None:
    """Kill every descendant now and leave with the signal's conventional exit code."""
    end_descendants(grace=0.5)
    os._exit(128 + signum)


@contextlib.contextmanager
def ending_children(
    grace: float = GRACE_SECONDS, hard_stop: Callable[[int], None] = _hard_stop
) -> Iterator[StopState]:
    """Run the body so that a stop signal, or its end, takes every child process with it.

    Installs the handlers only in the main thread (Python allows no other); in any other
    thread it still sweeps the descendants at the end.
    """
    state = StopState()
    become_subreaper()
    previous: dict[int, Any] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if state.signum is not None:  # a second signal: stop waiting for clean-up
            hard_stop(signum)
            return
        state.signum = signum
        state.watchdog = threading.Timer(grace, hard_stop, args=(signum,))
        state.watchdog.daemon = True
        state.watchdog.start()
        raise Terminated(signum)

    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            previous[sig] = signal.signal(sig, on_signal)
    try:
        yield state
    except Terminated as exc:
        state.signum = exc.signum
    finally:
        end_descendants(grace=min(5.0, grace))
        if state.watchdog is not None:
            state.watchdog.cancel()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def exit_like_signal(signum: int) -> None:
    """End this process the way `signum` would have (so a service manager sees a clean stop)."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # pragma: no cover - only if the signal did not end us
