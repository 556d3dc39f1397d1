"""The idle trial processes a worker process keeps between batches, and ones started early.

Starting a trial process (a Python interpreter importing the engine) costs about a second on
an idle machine and several on a loaded one; with batches of a few cheap trials that start-up
was most of a worker's time. So a batch parks its clean process here when it ends and the next
batch takes it. Reusing one is safe because trials are pure functions of their spec; a cut
kills the process, so only a clean one is parked. At most one is parked per batch that ran
side by side in this process (the task runner's thread count). If this process dies, a parked
child reads end-of-file on its stdin and exits.

`prestart` starts processes ahead of need: `verisim-engine run` calls it before it imports
Prefect, so the trial processes import the engine on the other cores while the flow's own
process is still importing, instead of after it, when the first batch asks. They are spawned
from the calling thread (a child is ended when the thread that started it exits) and only
waited for when a batch takes one.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable

from engine.execution.isolation import TrialProcess, TrialProcessError

_LOCK = threading.Lock()
_IDLE: list[TrialProcess] = []
_STARTING: list[TrialProcess] = []


def prestart(count: int) -> None:
    """Spawn `count` trial processes now (from this thread); batches take them as needed."""
    procs = []
    for _ in range(max(0, count)):
        proc = TrialProcess()
        proc.spawn()
        procs.append(proc)
    with _LOCK:
        _STARTING.extend(procs)


def take(clock: Callable[[], float] = time.time) -> TrialProcess:
    """A ready trial process: a parked one, one started early, or a new one.

    A test's fake clock gets a new process every time (a parked one runs on real time).
    """
    if clock is time.time:
        while True:
            with _LOCK:
                idle = _IDLE.pop() if _IDLE else None
                starting = _STARTING.pop() if idle is None and _STARTING else None
            if starting is not None:
                try:
                    starting.wait_ready()
                    idle = starting
                except TrialProcessError:  # it did not start: start one below (and see why)
                    idle = None
            if idle is None:
                break
            if idle.alive():
                return idle
            idle.close()
    proc = TrialProcess(clock=clock)
    proc.start()
    return proc


def park(proc: TrialProcess, clock: Callable[[], float] = time.time) -> None:
    """Keep a batch's clean process for the next batch (or close it)."""
    if clock is time.time and proc.alive():
        with _LOCK:
            _IDLE.append(proc)
        return
    proc.close()


def idle() -> list[TrialProcess]:
    """The parked processes (a copy; for tests and diagnostics)."""
    with _LOCK:
        return list(_IDLE)


@atexit.register
def close_all() -> None:
    """Close every parked process; kill the ones started early that no batch took."""
    with _LOCK:
        procs, starting = list(_IDLE), list(_STARTING)
        _IDLE.clear()
        _STARTING.clear()
    for proc in procs:
        proc.close()
    for proc in starting:  # never given a trial: nothing to finish cleanly
        proc.kill()
