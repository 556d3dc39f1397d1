"""The scheduler on a simulated clock: the real dispatch loop, trials that only take time.

`SimulatedBatches` is a `dispatch.BatchRunner` whose batches occupy a simulated worker for the
sum of their trials' durations (plus the per-batch overhead the scheduler assumes) and then
write their trials to a scratch ledger with whatever result the caller supplies. Driving the
real `Ratchet` and `dispatch.drive` with it answers "how busy would N workers be, and how long
would the registry take" for any N, without N cores, and checks that the schedule does not
change the science (the trials' results do not depend on when they ran).

What the simulation does not model: contention between workers for CPU or the ledger, and
Prefect's own latency; a real run is slower by those.
"""

from __future__ import annotations

import heapq
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.execution.trials import TrialRequest
from engine.ratchet.dispatch import Dispatch, Landed
from engine.ratchet.scheduler import OVERHEAD_SECONDS_PER_BATCH


@dataclass
class SimClock:
    """A clock that moves only when a simulated batch lands."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


Result = Mapping[str, float] | None
"""A trial's metrics, or None for a trial that fails (no recorded result to replay)."""


@dataclass(order=True)
class _Running:
    end: float
    seq: int
    start: float = field(compare=False)
    dispatch: Dispatch = field(compare=False)
    plan: list[tuple[TrialRequest, str, float]] = field(compare=False)


class SimulatedBatches:
    """Batches on simulated workers; each trial's duration and result come from the caller.

    Per trial, the same budget rule as `engine.execution.batch.run_batch`: a trial whose
    estimate does not fit before the deadline is not started; one that overruns is cut.
    """

    def __init__(
        self,
        ledger: Any,
        clock: SimClock,
        duration: Callable[[TrialRequest], float],
        result: Callable[[TrialRequest], Result],
        *,
        run_id: int | None = None,
        overhead_s: float = OVERHEAD_SECONDS_PER_BATCH,
    ) -> None:
        self.ledger = ledger
        self.clock = clock
        self.duration = duration
        self.result = result
        self.run_id = run_id
        self.overhead_s = overhead_s
        self.busy_seconds = 0.0
        self.batches = 0
        self._running: list[_Running] = []
        self._seq = 0

    def submit(self, dispatch: Dispatch, deadline: float) -> None:
        start = self.clock.now
        t = start + self.overhead_s
        plan: list[tuple[TrialRequest, str, float]] = []
        for req, estimate in zip(dispatch.requests, dispatch.estimates, strict=True):
            if t >= deadline or (estimate is not None and t + estimate > deadline):
                plan.append((req, "not_started", 0.0))
                continue
            seconds = self.duration(req)
            if t + seconds > deadline:
                plan.append((req, "cut", deadline - t))
                t = deadline
                continue
            plan.append((req, "ran", seconds))
            t += seconds
        self._seq += 1
        heapq.heappush(self._running, _Running(t, self._seq, start, dispatch, plan))

    def wait(self) -> list[Landed]:
        running = heapq.heappop(self._running)
        self.clock.now = max(self.clock.now, running.end)
        self.busy_seconds += running.end - running.start
        self.batches += 1
        counts = {"finished": 0, "failed": 0, "cut": 0, "not_started": 0}
        seconds_of: dict[str, float] = {}
        host = socket.gethostname()
        for req, what, seconds in running.plan:
            if what == "not_started":
                counts["not_started"] += 1
                continue
            self.ledger.claim_trial(
                req.key,
                **req.row(),
                run_id=self.run_id,
                worker="simulation",
                host=host,
            )
            if what == "cut":
                self.ledger.mark_cut([req.key], "the simulated budget ended while it ran")
                counts["cut"] += 1
                continue
            metrics = self.result(req)
            if metrics is None:
                self.ledger.fail_trial(req.key, "no result to simulate")
                counts["failed"] += 1
            else:
                self.ledger.finish_trial(req.key, dict(metrics), seconds, host=host)
                seconds_of[req.key] = seconds
                counts["finished"] += 1
        return [
            Landed(
                running.dispatch,
                finished=counts["finished"],
                failed=counts["failed"],
                cut=counts["cut"],
                not_started=counts["not_started"],
                seconds=seconds_of,
            )
        ]
