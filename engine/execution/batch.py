"""One batch of trials, run where a deadline can stop it and recorded row by row.

This is the body of the flow's trial task, kept free of Prefect so it can be tested and run
anywhere (a process-pool worker, a Dask worker, a test). It is idempotent on the trial key:
a trial already finished in the ledger is not run again, and each trial that runs upserts its
own ledger row the moment it ends, so a crash loses at most the trial in flight.

Before each trial the batch checks that the trial's estimated cost still fits before the
deadline (no trial is started that cannot finish); a trial that overruns the deadline anyway is
killed with its process and marked `cut`. A trial whose process dies under it (a signal, the
out-of-memory killer) is `crashed` and run again in a fresh process, up to the ledger's
`MAX_CRASHES`; a trial that raises is `failed` for good (it is a pure function of its key, so
it would raise again). While a trial runs its claim is heartbeated on the ledger's one claim
policy (`ledger.claims`), the same one every queue worker judges it by. A batch whose parent
process has died (the run was killed) stops before its next trial instead of working on for
nobody. A batch planned under other source than this process runs (a remote worker on another
checkout) runs nothing: its results would be stored under keys that do not describe the code
that produced them.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.execution import spares
from engine.execution.isolation import TrialProcess, TrialProcessError
from engine.execution.source_hash import source_hash
from engine.execution.trials import TrialRequest, spec_to_dict

POLL_SECONDS = 0.5

_LEDGERS: dict[str, Any] = {}


def ledger_for(url: str) -> Any:
    """One `Ledger` per URL per process (opening one checks the schema: do it once)."""
    from ledger import Ledger

    if url not in _LEDGERS:
        _LEDGERS[url] = Ledger(url)
    return _LEDGERS[url]


def worker_name() -> str:
    """`host:pid`: enough to tell, on this host, whether the claimant is still alive."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_is_dead(worker: str | None) -> bool:
    """Whether a claim's holder is a process on this host that no longer exists."""
    if not worker or ":" not in worker:
        return False
    host, _, pid_text = worker.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _heartbeat(ledger: Any, key: str) -> Callable[[], object]:
    def beat() -> object:
        return ledger.heartbeat_trial(key)

    return beat


@dataclass
class BatchReport:
    """What became of each trial of the batch (keys), and the measured durations."""

    finished: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    aborted: bool = False
    other_code: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "finished": self.finished,
            "already": self.already,
            "failed": self.failed,
            "cut": self.cut,
            "crashed": self.crashed,
            "not_started": self.not_started,
            "seconds": self.seconds,
            "aborted": self.aborted,
            "other_code": self.other_code,
        }


def _claim(
    ledger: Any,
    req: TrialRequest,
    run_id: int | None,
    deadline: float,
    clock: Callable[[], float],
    wait: bool = True,
) -> str:
    """Claim the trial: "claimed", "finished" (done already), "failed", "crashed" (as often
    as allowed), "held" (another live worker runs it; only when not `wait`) or "timeout".

    With `wait`, a trial held by another live worker (another run on this ledger, or an orphan
    of a killed run finishing its last trial) is waited for; one held by a dead process on this
    host is cut and re-claimed.
    """
    while True:
        if ledger.claim_trial(
            req.key,
            **req.row(),
            run_id=run_id,
            worker=worker_name(),
            host=socket.gethostname(),
        ):
            return "claimed"
        record = ledger.get_trial(req.key)
        if record is None:
            continue
        if record.settled:
            return str(record.status)
        if record.status == "running" and holder_is_dead(record.worker):
            ledger.mark_cut([req.key], f"its process {record.worker} died (run interrupted)")
            continue
        if not wait:
            return "held"
        if clock() >= deadline:
            return "timeout"
        time.sleep(POLL_SECONDS)


def run_batch(
    ledger_url: str,
    run_id: int | None,
    requests: Sequence[TrialRequest],
    deadline: float,
    estimates: Sequence[float | None],
    clock: Callable[[], float] = time.time,
) -> BatchReport:
    """Run the batch's trials in order in one killable child process; see the module note.

    Two passes: a trial another live worker holds is passed over at first and waited for only
    once the rest of the batch is done. Without that, two runs on one ledger walking the same
    plan in the same order form a convoy: the second waits on each trial the first has just
    claimed and never runs one itself.
    """
    ledger = ledger_for(ledger_url)
    report = BatchReport()
    if any(req.code_hash is not None and req.code_hash != source_hash() for req in requests):
        report.other_code = True
        report.not_started.extend(req.key for req in requests)
        return report
    batch = _Batch(ledger, run_id, deadline, clock, report)
    held: list[tuple[TrialRequest, float | None]] = []
    try:
        for req, estimate in zip(requests, estimates, strict=True):
            if not batch.attempt(req, estimate, wait=False):
                held.append((req, estimate))
        for req, estimate in held:
            batch.attempt(req, estimate, wait=True)
    finally:
        if batch.proc is not None:
            spares.park(batch.proc, clock)
    return report


class _Batch:
    """One batch's state while it runs: its ledger, deadline, report and trial process."""

    def __init__(
        self,
        ledger: Any,
        run_id: int | None,
        deadline: float,
        clock: Callable[[], float],
        report: BatchReport,
    ) -> None:
        self.ledger = ledger
        self.run_id = run_id
        self.deadline = deadline
        self.clock = clock
        self.report = report
        self.parent = os.getppid()
        self.host = socket.gethostname()
        self.proc: TrialProcess | None = None

    def attempt(self, req: TrialRequest, estimate: float | None, wait: bool) -> bool:
        """Settle one trial: run it, or record why not. False (nothing recorded): another
        live worker holds it and `wait` is off."""
        report, ledger = self.report, self.ledger
        while True:  # once per attempt: a crash is retried in a fresh process
            if os.getppid() != self.parent:
                report.aborted = True
                report.not_started.append(req.key)
                return True
            now = self.clock()
            if now >= self.deadline or (estimate is not None and now + estimate > self.deadline):
                report.not_started.append(req.key)
                return True
            state = _claim(ledger, req, self.run_id, self.deadline, self.clock, wait)
            if state == "held":
                return False
            if state == "finished":
                report.already.append(req.key)
                return True
            if state in ("failed", "crashed"):
                getattr(report, state).append(req.key)
                return True
            if state == "timeout":
                report.not_started.append(req.key)
                return True
            try:
                if self.proc is None or not self.proc.alive():
                    self.proc = spares.take(self.clock)
                answer = self.proc.run(
                    spec_to_dict(req.spec),
                    self.deadline,
                    on_wait=_heartbeat(ledger, req.key),
                    wait_interval=ledger.claim_policy.heartbeat_s,
                )
            except TrialProcessError as exc:
                if self.proc is not None:
                    self.proc.kill()
                self.proc = None
                ledger.crash_trial(req.key, f"trial process died: {exc}")
                continue  # claim again: allowed until the ledger's crash bound
            if answer.status == "finished":
                assert answer.metrics is not None
                ledger.finish_trial(
                    req.key, answer.metrics, answer.seconds, host=self.host, device=answer.device
                )
                report.finished.append(req.key)
                report.seconds[req.key] = answer.seconds
            elif answer.status == "failed":
                ledger.fail_trial(req.key, answer.error or "unknown error")
                report.failed.append(req.key)
            else:
                ledger.mark_cut([req.key], "the run's budget ended while it ran")
                report.cut.append(req.key)
                self.proc = None
            return True
