"""Keeping every worker busy across hypothesis versions: the dispatch queue and its driver.

The flow used to run one version at a time and wait for its slowest batch before judging it
and moving on, so at every version boundary all workers but one sat idle (a barrier). Here the
unit of scheduling is the batch, not the version:

- every queued version whose pending trials fit the budget is eligible; a version is
  *admitted* (its trials split into batches) only when a worker would otherwise have nothing
  to do, so budget is committed as late as possible and a lever child that appears meanwhile
  competes on its priority;
- free workers take the highest-priority ready batch of any admitted version;
- a version is judged the moment its last batch lands (`Work.conclude`, one call: bootstrap,
  decide, write the verdicts, fire the levers), and the children its levers derive join the
  queue while other versions keep running.

Budget safety is unchanged: a version is admitted only if its estimated cost fits what is left
once the work already committed to the workers is accounted for, and each trial still checks
its own estimate against the deadline before it starts (`engine.execution.batch`).

`barrier=True` is the old schedule (admit a version only when nothing else is in flight); it is
kept so the benchmark and the scheduler simulation can compare the two with the same code.

`DispatchQueue` is pure (numbers in, decisions out); `drive` is the loop around it, written
against two small protocols (`Work`: the ratchet's bookkeeping; `BatchRunner`: whatever runs a
batch) so that the Prefect flow and the simulation in `bench/schedule_sim.py` run the very
same scheduling code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from engine.execution.source_hash import source_hash
from engine.execution.trials import TrialRequest
from engine.ratchet.scheduler import (
    OVERHEAD_SECONDS_PER_BATCH,
    CostModel,
    FinishedTiming,
    Passed,
    Queued,
    batch_cost,
    batches_for,
    split_for_workers,
)

Mode = Literal["run", "measure"]


@dataclass(frozen=True)
class Dispatch:
    """One batch handed to a worker: trials of one version, cell and arm, in seed order."""

    digest: str
    hypothesis_id: str
    requests: tuple[TrialRequest, ...]
    estimates: tuple[float | None, ...]
    mode: Mode

    @property
    def seconds(self) -> float:
        """Estimated wall time on one worker (an unknown trial counts as overhead only)."""
        return batch_cost([e or 0.0 for e in self.estimates])


@dataclass(frozen=True)
class Settle:
    """A version with every trial settled and no verdict yet: judge it now (costs nothing)."""

    digest: str


@dataclass(frozen=True)
class Landed:
    """What came back from one dispatched batch (counts of trial outcomes)."""

    dispatch: Dispatch
    finished: int = 0
    failed: int = 0
    cut: int = 0
    crashed: int = 0
    reused: int = 0
    not_started: int = 0
    other_code: bool = False
    """The batch ran nothing: it was planned under other source than its worker runs."""
    seconds: Mapping[str, float] = field(default_factory=dict)
    """Measured duration of each trial that finished here, by trial key."""

    @property
    def progressed(self) -> bool:
        """Whether the batch moved anything on (a cut or not-started trial does not; a crash
        does: it counts towards the ledger's crash bound, so retrying cannot go on forever)."""
        return bool(self.finished or self.failed or self.crashed or self.reused)

    @classmethod
    def from_report(cls, dispatch: Dispatch, report: Mapping[str, Any]) -> Landed:
        """From `BatchReport.to_dict()` (the trial task's return value)."""
        return cls(
            dispatch,
            finished=len(report["finished"]),
            failed=len(report["failed"]),
            cut=len(report["cut"]),
            crashed=len(report.get("crashed", [])),
            reused=len(report["already"]),
            not_started=len(report["not_started"]),
            other_code=bool(report.get("other_code", False)),
            seconds=dict(report.get("seconds", {})),
        )

    def timings(self) -> list[FinishedTiming]:
        """What the cost model learns from this batch (the same numbers the ledger stores)."""
        return [
            FinishedTiming(
                r.hypothesis_hash, r.arm, r.spec.experiment, r.spec.arm.proposer, seconds
            )
            for r in self.dispatch.requests
            if (seconds := self.seconds.get(r.key)) is not None
        ]


@dataclass
class _Admission:
    queued: Queued
    ready: list[Dispatch]
    in_flight: int = 0
    committed: float = 0.0
    progressed: bool = False
    other_code: bool = False


@dataclass(frozen=True)
class Closed:
    """A version whose admitted batches have all landed; `progressed`: any trial settled or
    crashed; `other_code`: some batch was refused for running under other source."""

    digest: str
    progressed: bool
    other_code: bool = False


class DispatchQueue:
    """Which batch a free worker takes next (see the module note). Pure: no clock, no ledger."""

    def __init__(self, workers: int, *, barrier: bool = False) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self.barrier = barrier
        self._admitted: dict[str, _Admission] = {}

    @property
    def admitted(self) -> frozenset[str]:
        return frozenset(self._admitted)

    def committed_seconds(self) -> float:
        """Estimated seconds of work handed out or ready and not landed yet."""
        return sum(a.committed for a in self._admitted.values())

    def next(
        self,
        queue: Iterable[Queued],
        pending_of: Callable[[str], Sequence[TrialRequest]],
        costs: CostModel,
        remaining_seconds: float,
    ) -> tuple[Dispatch | Settle | None, list[Passed]]:
        """The next step for one free worker, and the versions passed over on the way."""
        ready = [a for a in self._admitted.values() if a.ready]
        if ready:
            best = min(ready, key=lambda a: a.queued.order)
            return self._hand_out(best), []
        if self.barrier and self._admitted:
            return None, []
        passed: list[Passed] = []
        for item in sorted(queue, key=lambda q: q.order):
            h = item.hypothesis
            digest = h.content_hash
            if digest in self._admitted:
                continue
            todo = list(pending_of(digest))
            if not todo:
                return Settle(digest), passed
            estimates = {r.key: costs.estimate(r, h) for r in todo}
            unknown = [r for r in todo if estimates[r.key] is None]
            if unknown:
                if remaining_seconds > OVERHEAD_SECONDS_PER_BATCH:
                    probe = Dispatch(digest, h.id, (unknown[0],), (None,), "measure")
                    return self._admit(item, [probe]), passed
                passed.append(Passed(h.id, "no time left to measure a trial"))
                continue
            batches = split_for_workers(batches_for(todo), self.workers, estimates)
            dispatches = [
                Dispatch(digest, h.id, tuple(b), tuple(estimates[r.key] for r in b), "run")
                for b in batches
            ]
            need = self._fit_seconds([d.seconds for d in dispatches])
            if need <= remaining_seconds:
                return self._admit(item, dispatches), passed
            passed.append(
                Passed(
                    h.id,
                    f"needs ~{need:.0f}s for {len(todo)} trials, {remaining_seconds:.0f}s left",
                )
            )
        return None, passed

    def _fit_seconds(self, costs: Sequence[float]) -> float:
        """Wall time to finish these batches on top of what the workers already hold.

        At least the longest batch (one worker runs it), at least all committed work plus
        this spread evenly. With nothing committed this is `scheduler.plan_seconds`.
        """
        return max(max(costs), (self.committed_seconds() + sum(costs)) / self.workers)

    def _admit(self, item: Queued, dispatches: list[Dispatch]) -> Dispatch:
        admission = _Admission(item, dispatches, committed=sum(d.seconds for d in dispatches))
        self._admitted[item.hypothesis.content_hash] = admission
        return self._hand_out(admission)

    def _hand_out(self, admission: _Admission) -> Dispatch:
        dispatch = admission.ready.pop(0)
        admission.in_flight += 1
        return dispatch

    def landed(self, landed: Landed) -> Closed | None:
        """Book a landed batch; a `Closed` when it was its version's last one."""
        digest = landed.dispatch.digest
        admission = self._admitted[digest]
        admission.in_flight -= 1
        admission.committed = max(0.0, admission.committed - landed.dispatch.seconds)
        admission.progressed |= landed.progressed
        admission.other_code |= landed.other_code
        if admission.in_flight or admission.ready:
            return None
        del self._admitted[digest]
        return Closed(digest, admission.progressed, admission.other_code)


class Work(Protocol):
    """The ratchet's side of the loop (`engine.ratchet.registration.Ratchet` provides it)."""

    queue: dict[str, Queued]
    skipped: dict[str, str]

    def pending(self, digests: Iterable[str] | None = None) -> dict[str, list[TrialRequest]]: ...

    def cost_model(self) -> CostModel: ...

    def conclude(self, digest: str) -> Any: ...

    def drop(self, digest: str, reason: str) -> None: ...


class BatchRunner(Protocol):
    """Runs dispatched batches somewhere; `wait` blocks until at least one has landed."""

    def submit(self, dispatch: Dispatch, deadline: float) -> None: ...

    def wait(self) -> list[Landed]: ...


@dataclass
class DriveResult:
    """Why the loop ended and what it concluded, in order."""

    stopped: str
    concluded: list[str] = field(default_factory=list)


def drive(
    work: Work,
    runner: BatchRunner,
    *,
    workers: int,
    trial_deadline: float,
    clock: Callable[[], float],
    barrier: bool = False,
    on_dispatch: Callable[[Dispatch], None] = lambda _: None,
    on_landed: Callable[[Landed], None] = lambda _: None,
    on_concluded: Callable[[str, Any], None] = lambda _d, _c: None,
) -> DriveResult:
    """Keep up to `workers` batches in flight until the queue is empty or nothing fits.

    After the trial deadline nothing new is dispatched, but the batches in flight are waited
    for (their trials are cut at the deadline) and every version whose trials are all settled
    is still judged: a verdict costs no trial time.
    """
    queue = DispatchQueue(workers, barrier=barrier)
    result = DriveResult(stopped="the queue is empty")
    costs = work.cost_model()
    in_flight = 0
    out_of_time = False

    def settle(digest: str) -> None:
        conclusion = work.conclude(digest)  # judge the version, then fire its levers
        result.concluded.append(digest)
        on_concluded(digest, conclusion)

    memo: dict[str, list[TrialRequest]] = {}

    def pending_of(digest: str) -> list[TrialRequest]:
        """Asked of the ledger once per round, and only for versions the queue looks at."""
        if digest not in memo:
            memo.update(work.pending([digest]))
        return memo.get(digest, [])

    while True:
        memo.clear()
        while in_flight < workers and not out_of_time:
            remaining = trial_deadline - clock()
            if remaining <= 0:
                out_of_time = True
                result.stopped = "the budget is spent"
                break
            step, passed = queue.next(work.queue.values(), pending_of, costs, remaining)
            for p in passed:
                work.skipped[p.hypothesis_id] = p.reason
            if step is None:
                break
            if isinstance(step, Settle):
                settle(step.digest)
                memo.clear()
                continue
            work.skipped.pop(step.hypothesis_id, None)
            runner.submit(step, trial_deadline)
            on_dispatch(step)
            in_flight += 1
        if in_flight == 0:
            if work.queue and not out_of_time:
                result.stopped = "nothing left fits the remaining budget"
            return result
        for landed in runner.wait():
            in_flight -= 1
            on_landed(landed)
            closed = queue.landed(landed)
            for timing in landed.timings():  # learn costs as trials land, not by re-reading
                costs.add(timing)
            if landed.reused:
                # Another worker (a second run on this ledger) ran them: their durations are in
                # the ledger only. Without them this run would keep probing one trial at a time
                # behind the other run instead of taking its share of the plan.
                costs = work.cost_model()
            if closed is None:
                continue
            if not closed.progressed:
                if clock() >= trial_deadline:
                    continue  # cut by the end of the budget: it stays queued for the next run
                work.drop(closed.digest, _drop_reason(closed))
            elif not work.pending([closed.digest]).get(closed.digest):
                settle(closed.digest)


def _drop_reason(closed: Closed) -> str:
    """Why a version that made no progress leaves the queue."""
    if closed.other_code:
        return (
            "its trials were sent to a worker on other source than this run's "
            f"(code hash {source_hash()[:12]})"
        )
    return "its trials could not start in the remaining budget"
