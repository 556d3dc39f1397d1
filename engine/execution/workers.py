"""Workers that drain the ledger's trial queue, claiming trials the way Optuna's RDB storage does.

The ledger is the queue. A worker lists the trials that still need running (pending, cut by
an earlier run's budget, or crashed fewer than `MAX_CRASHES` times) whose code hash is its own
(a worker on other source would record results under a key that does not describe them, so it
leaves those to a worker on the right code and says so), claims one (a row lock: on
PostgreSQL `FOR UPDATE SKIP LOCKED`, so two workers never wait on, let alone both take, the
same row), runs it while a heartbeat thread
keeps the claim fresh, and commits the metrics. A worker that dies mid-trial stops
heartbeating; once its claim is stale by the ledger's one claim policy (`ledger.claims`, the
same one the flow's trial batches heartbeat on) any other worker (or a rerun) re-claims the
trial, so nothing is lost. Trials are pure, and finishing a finished trial with
the same metrics is a no-op in the ledger, so a re-run of a trial whose first worker was only
slow, not dead, is harmless: nothing is ever recorded twice.

If the ledger itself goes away (the database server stops), the worker stops cleanly and says
which trial it last committed; the trial it was running stays claimed, goes stale, and the
next worker or rerun picks it up.

    python -m engine.execution.workers --ledger postgresql+psycopg://USER@HOST/DB   # one per core
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from engine.execution.isolation import Answer, TrialProcess, TrialProcessError
from engine.execution.source_hash import source_hash
from ledger import Ledger, LedgerError, TrialRecord

QUEUED = ("pending", "cut", "crashed")
"""Statuses a worker picks up: planned, cut by an earlier run's budget, or crashed (until the
ledger's crash bound). A failed trial is not retried: trials are pure, so it would fail the
same way again."""

DEFAULT_POLL_S = 1.0


class Executor(Protocol):
    """Runs one trial body and says what became of it (never raises for the trial's own error)."""

    def __call__(self, trial: TrialRecord, deadline: float | None) -> Answer: ...


@dataclass(frozen=True)
class WorkerIdentity:
    """Who holds a claim: unique per process, readable in the ledger (`host:pid:tag`)."""

    name: str
    host: str

    @classmethod
    def here(cls, tag: str = "w") -> WorkerIdentity:
        host = socket.gethostname()
        return cls(name=f"{host}:{os.getpid()}:{tag}", host=host)


@dataclass
class DrainReport:
    """What one worker did; `stopped` says why it stopped when that was not "queue empty"."""

    worker: str
    finished: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)
    other_code: list[str] = field(default_factory=list)
    lost_claims: list[str] = field(default_factory=list)
    trial_seconds: float = 0.0
    stopped: str | None = None

    @property
    def attempted(self) -> int:
        return len(self.finished) + len(self.failed) + len(self.cut) + len(self.crashed)

    @property
    def last_committed(self) -> str | None:
        return self.finished[-1] if self.finished else None

    def summary(self) -> str:
        line = (
            f"worker {self.worker}: {len(self.finished)} finished, {len(self.failed)} failed, "
            f"{len(self.cut)} cut, {len(self.crashed)} crashed"
        )
        if self.other_code:
            line += (
                f"; {len(self.other_code)} queued trial(s) left alone: planned under other "
                f"source than this worker's (code hash {source_hash()[:12]})"
            )
        if self.stopped is None:
            return line + "; queue empty"
        last = self.last_committed
        committed = f"last committed trial {last}" if last else "no trial committed"
        return f"{line}; stopped: {self.stopped}; {committed}; rerun to resume from there"


class InProcessExecutor:
    """Trial bodies in this process (a Dask or pool worker is already a process of its own)."""

    def __call__(self, trial: TrialRecord, deadline: float | None) -> Answer:
        from engine.execution.trials import execute_on_device, spec_from_dict

        started = time.perf_counter()
        try:
            metrics, device = execute_on_device(spec_from_dict(trial.spec))
        except Exception as exc:  # the trial's own failure is its result
            error = f"{type(exc).__name__}: {exc}"
            return Answer(status="failed", error=error, seconds=time.perf_counter() - started)
        seconds = time.perf_counter() - started
        return Answer(status="finished", metrics=metrics, seconds=seconds, device=device)


class ProcessExecutor:
    """Trial bodies in a killable child process (`engine.execution.isolation`), so a deadline really
    stops one; the child is restarted after a cut or a crash. Use as a context manager."""

    FOREVER_S = 10 * 365 * 86_400.0

    def __init__(self) -> None:
        self._proc = TrialProcess()

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self._proc.close()

    def __call__(self, trial: TrialRecord, deadline: float | None) -> Answer:
        if not self._proc.alive():
            self._proc.start()
        limit = time.time() + self.FOREVER_S if deadline is None else deadline
        try:
            return self._proc.run(dict(trial.spec), limit)
        except TrialProcessError as exc:
            self._proc.kill()
            return Answer(status="crashed", error=f"trial process died: {exc}")


class Heartbeat:
    """Refreshes one claim every `interval` seconds from a thread until stopped.

    `lost` turns true when the ledger says the claim is no longer ours (another worker judged
    it stale and took it over) or cannot be reached; the trial's result is still offered to
    the ledger afterwards, where an identical finish is a harmless no-op.
    """

    def __init__(self, ledger: Ledger, key: str, worker: str, interval: float) -> None:
        self._ledger, self._key, self._worker, self._interval = ledger, key, worker, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{key[:8]}", daemon=True)
        self.lost = False
        self.error: str | None = None

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._ledger.heartbeat_trial(self._key, self._worker):
                    self.lost = True
                    return
            except LedgerError as exc:
                self.lost, self.error = True, str(exc)
                return

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def claim_order(keys: Sequence[str], worker: str) -> list[str]:
    """A per-worker permutation of the queue, so concurrent workers start on different rows
    instead of all contending for the first one (deterministic: a hash, not an RNG)."""

    def rank(key: str) -> str:
        return hashlib.sha256(f"{worker}\0{key}".encode()).hexdigest()

    return sorted(keys, key=rank)


def run_claimed(
    ledger: Ledger,
    trial: TrialRecord,
    *,
    identity: WorkerIdentity,
    executor: Executor,
    run_id: int | None = None,
    deadline: float | None = None,
) -> Answer | None:
    """Claim one trial and run it to a committed result; None when someone else holds it.

    This is the unit a Prefect task runs, on whichever machine the task runner put it.
    """
    claimed = ledger.claim_trial(
        trial.key,
        hypothesis_hash=trial.hypothesis_hash,
        cell_id=trial.cell_id,
        arm=trial.arm,
        seed=trial.seed,
        spec=trial.spec,
        run_id=run_id,
        worker=identity.name,
        host=identity.host,
        code_hash=trial.code_hash,
    )
    if not claimed:
        return None
    with Heartbeat(ledger, trial.key, identity.name, ledger.claim_policy.heartbeat_s):
        answer = executor(trial, deadline)
    if answer.status == "finished":
        assert answer.metrics is not None
        ledger.finish_trial(
            trial.key, answer.metrics, answer.seconds, identity.host, device=answer.device
        )
    elif answer.status == "failed":
        ledger.fail_trial(trial.key, answer.error or "unknown error")
    elif answer.status == "crashed":
        ledger.crash_trial(trial.key, answer.error or "the trial process died")
    else:
        ledger.mark_cut([trial.key], "the budget deadline fell mid-trial")
    return answer


def _queue(ledger: Ledger, hypothesis: str | None) -> list[TrialRecord]:
    """Trials that may be claimable: queued ones, and running ones (claimable once stale)."""
    return [
        trial
        for status in (*QUEUED, "running")
        for trial in ledger.trials(hypothesis=hypothesis, status=status)
        if not trial.settled
    ]


def drain(
    ledger: Ledger,
    *,
    identity: WorkerIdentity,
    executor: Executor,
    hypothesis: str | None = None,
    run_id: int | None = None,
    poll_s: float = DEFAULT_POLL_S,
    deadline: float | None = None,
    max_trials: int | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> DrainReport:
    """Claim and run trials until none is left to run, the deadline passes, or the ledger goes.

    Running trials held by other workers are offered to `claim_trial` as well: the ledger
    grants them only once their holder is stale by the ledger's claim policy (it died).
    While only live claims remain, the worker polls, so it also finishes a dead peer's trial.
    """
    report = DrainReport(worker=identity.name)
    try:
        while deadline is None or clock() < deadline:
            if max_trials is not None and report.attempted >= max_trials:
                report.stopped = f"reached --max-trials {max_trials}"
                break
            # A trial this worker already cut or failed is left for the next run, not retried
            # (a crashed one is: another process may well finish it).
            mine = set(report.failed) | set(report.cut)
            queue = [t for t in _queue(ledger, hypothesis) if t.key not in mine]
            report.other_code = sorted(t.key for t in queue if t.code_hash != source_hash())
            by_key = {t.key: t for t in queue if t.code_hash == source_hash()}
            running = sum(1 for t in by_key.values() if t.status == "running")
            if not by_key:
                return report
            answer: Answer | None = None
            key = ""
            for key in claim_order(list(by_key), identity.name):
                answer = run_claimed(
                    ledger,
                    by_key[key],
                    identity=identity,
                    executor=executor,
                    run_id=run_id,
                    deadline=deadline,
                )
                if answer is not None:
                    break
            if answer is None:
                if len(by_key) == running:
                    sleep(poll_s)  # only live claims left: wait for them to finish or go stale
                continue  # else a peer took a queued trial between our list and our claim
            report.trial_seconds += answer.seconds
            {
                "finished": report.finished,
                "failed": report.failed,
                "cut": report.cut,
                "crashed": report.crashed,
            }[answer.status].append(key)
        else:
            report.stopped = "the deadline passed"
    except LedgerError as exc:
        report.stopped = f"ledger lost ({exc})"
    return report


@contextmanager
def _executor(kind: str) -> Iterator[Executor]:
    if kind == "inline":
        yield InProcessExecutor()
        return
    with ProcessExecutor() as proc:
        yield proc


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m engine.execution.workers",
        description="Drain the ledger's trial queue (pending and stale trials) and exit.",
    )
    parser.add_argument("--ledger", required=True, help="ledger URL (postgresql+psycopg://...)")
    parser.add_argument("--hypothesis", help="only this hypothesis (id, hash or hash prefix)")
    parser.add_argument("--run-id", type=int, help="attribute claimed trials to this run")
    parser.add_argument("--max-trials", type=int, help="stop after running this many trials")
    parser.add_argument("--executor", choices=("process", "inline"), default="process")
    parser.add_argument("--name", default="w", help="tag that makes the worker name unique")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Exit 0 when the queue is empty, 1 when the ledger cannot be opened or is lost mid-run."""
    args = _parse(argv)
    identity = WorkerIdentity.here(args.name)
    try:
        ledger = Ledger(args.ledger)
    except LedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with ledger, _executor(args.executor) as executor:
        report = drain(
            ledger,
            identity=identity,
            executor=executor,
            hypothesis=args.hypothesis,
            run_id=args.run_id,
            max_trials=args.max_trials,
        )
    print(report.summary(), file=sys.stderr if report.stopped else sys.stdout)
    return 1 if report.stopped and report.stopped.startswith("ledger lost") else 0


if __name__ == "__main__":
    sys.exit(main())
