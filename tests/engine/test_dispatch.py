"""Scheduling across versions: workers stay busy, budgets hold, and the science is unchanged.

The pure queue is tested directly; the loop is driven with the real `Ratchet` on the planted
registry and simulated batches (trials really execute, in this process; only their durations
are simulated), once with today's barrier schedule and once across versions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_scheduler import make, requests

from engine.execution.trials import TrialRequest, execute
from engine.experiments.catalog import build_catalog
from engine.ratchet.dispatch import Dispatch, DispatchQueue, Landed, Settle, drive
from engine.ratchet.registration import Ratchet, source_files
from engine.ratchet.scheduler import CostModel, Queued
from engine.ratchet.simulation import SimClock, SimulatedBatches
from hypotheses import load_directory
from ledger import Ledger

PLANTED = Path(__file__).resolve().parents[1] / "data" / "hypotheses" / "planted"


def pending_of(*hs: Any) -> Any:
    table = {h.content_hash: requests(h) for h in hs}
    return lambda digest: table.get(digest, [])


def test_free_workers_take_the_next_version_instead_of_waiting() -> None:
    a, b = make("A", priority=1, estimate=10.0), make("B", priority=2, estimate=10.0)
    queue = [Queued(a, 0), Queued(b, 1)]
    pending = pending_of(a, b)
    across, barrier = DispatchQueue(workers=8), DispatchQueue(workers=8, barrier=True)
    # A's 4 trials split into 4 one-trial batches; the other 4 workers need work.
    got = [across.next(queue, pending, CostModel(), 1e6)[0] for _ in range(8)]
    ids = [d.hypothesis_id if isinstance(d, Dispatch) else None for d in got]
    assert ids == ["A"] * 4 + ["B"] * 4  # A first (priority), B fills the idle workers
    got = [barrier.next(queue, pending, CostModel(), 1e6)[0] for _ in range(8)]
    ids = [d.hypothesis_id if isinstance(d, Dispatch) else None for d in got]
    assert ids == ["A"] * 4 + [None] * 4  # the old schedule: B waits for all of A


def test_a_version_closes_when_its_last_batch_lands() -> None:
    a = make("A", estimate=1.0)
    q = DispatchQueue(workers=2)
    handed: list[Dispatch] = []
    while isinstance(d := q.next([Queued(a, 0)], pending_of(a), CostModel(), 100.0)[0], Dispatch):
        handed.append(d)
    # 4 one-second trials on 2 workers: pieces of half a worker's share, one trial each
    assert [len(d.requests) for d in handed] == [1, 1, 1, 1]
    for d in handed[:-1]:
        assert q.landed(Landed(d, finished=len(d.requests))) is None
    closed = q.landed(Landed(handed[-1], finished=len(handed[-1].requests)))
    assert closed is not None and closed.digest == a.content_hash and closed.progressed
    assert q.admitted == frozenset()
    # A version whose trials are all settled is only waiting for its verdict.
    step, _ = q.next([Queued(a, 0)], lambda _d: [], CostModel(), 0.5)
    assert step == Settle(a.content_hash)


def test_committed_work_counts_against_the_budget() -> None:
    big = make("BIG", priority=1, estimate=40.0)
    other = make("OTHER", priority=2, estimate=40.0)
    q = DispatchQueue(workers=2)
    queue = [Queued(big, 0), Queued(other, 1)]
    pending = pending_of(big, other)
    got = q.next(queue, pending, CostModel(), 100.0)[0]
    assert isinstance(got, Dispatch) and got.hypothesis_id == "BIG"
    for _ in range(3):  # BIG's other batches
        d = q.next(queue, pending, CostModel(), 100.0)[0]
        assert isinstance(d, Dispatch) and d.hypothesis_id == "BIG"
    # BIG holds 4 x 41 s on 2 workers; OTHER's ~164 s more would end past 100 s: passed over.
    step, passed = q.next(queue, pending, CostModel(), 100.0)
    assert step is None and [p.hypothesis_id for p in passed] == ["OTHER"]
    # Alone it would have fitted (the old, single-version rule).
    assert DispatchQueue(workers=2).next([Queued(other, 1)], pending, CostModel(), 100.0)[0]


def _duration(req: TrialRequest) -> float:
    """Arms and seeds of uneven cost, as in a real registry (oracle arms are slow)."""
    return (3.0 if req.arm == "oracle" else 0.5) + 0.25 * (req.seed % 3)


def _simulate(tmp: Path, workers: int, barrier: bool) -> dict[str, Any]:
    catalog = build_catalog()
    url = f"sqlite:///{tmp / 'ledger.db'}"
    clock = SimClock()
    in_flight: dict[str, int] = {}
    overlapped: list[str] = []

    def dispatched(d: Dispatch) -> None:
        if any(n for digest, n in in_flight.items() if digest != d.digest):
            overlapped.append(d.hypothesis_id)
        in_flight[d.digest] = in_flight.get(d.digest, 0) + 1

    def landed(done: Landed) -> None:
        in_flight[done.dispatch.digest] -= 1

    with Ledger(url) as led:
        run = led.start_run(
            code_version="test",
            host="test",
            budget_seconds=1e9,
            workers=workers,
            runner="simulation",
            hypotheses_dir=str(PLANTED),
        )
        ratchet = Ratchet(led, catalog, run.id)
        ratchet.preregister(load_directory(PLANTED, catalog), source_files(PLANTED, catalog))
        runner = SimulatedBatches(led, clock, _duration, lambda r: execute(r.spec), run_id=run.id)
        result = drive(
            ratchet,
            runner,
            workers=workers,
            trial_deadline=1e9,
            clock=clock,
            barrier=barrier,
            on_dispatch=dispatched,
            on_landed=landed,
        )
        ids = {v.content_hash: v.hypothesis_id for v in led.hypotheses()}
        verdicts = {
            (ids[v.hypothesis_hash], v.cell_id): (v.outcome, v.estimate, v.ci_low, v.ci_high, v.n)
            for v in led.verdicts()
        }
        children = sorted(
            (ids[lv.parent_hash], lv.lever_id, lv.child_hash or "") for lv in led.levers()
        )
        finished = len(led.trials(status="finished"))
    return {
        "verdicts": verdicts,
        "children": children,
        "wall": clock.now,
        "busy": runner.busy_seconds,
        "overlapped": overlapped,
        "stopped": result.stopped,
        "finished": finished,
        "queue": len(ratchet.queue),
    }


@pytest.fixture(scope="module")
def schedules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return {
        name: _simulate(tmp_path_factory.mktemp(name), workers, barrier)
        for name, workers, barrier in [
            ("sequential", 1, True),
            ("barrier", 3, True),
            ("across", 3, False),
        ]
    }


def test_the_schedule_does_not_change_verdicts_or_children(
    schedules: dict[str, dict[str, Any]],
) -> None:
    seq, across = schedules["sequential"], schedules["across"]
    assert seq["finished"] == across["finished"] == 61
    assert seq["queue"] == across["queue"] == 0
    assert len(seq["verdicts"]) == 6 and across["verdicts"] == seq["verdicts"]
    assert [c[:2] for c in seq["children"]] == [("PLANT-oracle", "longer")]
    assert across["children"] == seq["children"] == schedules["barrier"]["children"]


def test_across_versions_the_workers_stay_busier(schedules: dict[str, dict[str, Any]]) -> None:
    barrier, across = schedules["barrier"], schedules["across"]
    assert barrier["busy"] == pytest.approx(across["busy"])  # the same work...
    assert across["wall"] < barrier["wall"]  # ...in less wall time
    assert across["busy"] / (3 * across["wall"]) > barrier["busy"] / (3 * barrier["wall"])
    assert barrier["overlapped"] == []  # the barrier never runs two versions at once
    # The lever child is dispatched while other versions are still running.
    assert "PLANT-oracle/longer" in across["overlapped"]


def test_a_runs_plan_is_the_ledgers_queue(tmp_path: Path) -> None:
    """Pre-registration publishes every planned trial as pending; a queue worker drains them
    (no flow involved), and the ratchet then only has verdicts left to write."""
    from engine.execution.workers import InProcessExecutor, WorkerIdentity, drain

    catalog = build_catalog()
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as led:
        run = led.start_run(
            code_version="test",
            host="test",
            budget_seconds=60.0,
            workers=1,
            runner="test",
            hypotheses_dir=str(PLANTED),
        )
        ratchet = Ratchet(led, catalog, run.id)
        ratchet.preregister(load_directory(PLANTED, catalog), source_files(PLANTED, catalog))
        planned = {r.key for plan in ratchet.pending().values() for r in plan}
        queued = led.trials(status="pending")
        assert {t.key for t in queued} == planned and len(planned) == 51
        report = drain(led, identity=WorkerIdentity("w:1:t", "test"), executor=InProcessExecutor())
        assert sorted(report.finished) == sorted(planned)
        concluded: list[str] = []
        with pytest.raises(_Stop):  # raised when the first trial would have to run here
            drive(
                ratchet,
                _NeverRuns(),
                workers=2,
                trial_deadline=float("inf"),
                clock=lambda: 0.0,
                on_concluded=lambda _d, c: concluded.append(c.hypothesis.id),
            )
        assert concluded == ["PLANT-oracle", "PLANT-null", "PLANT-curve"]
        child = [h for h in ratchet.versions.values() if h.id == "PLANT-oracle/longer"]
        assert child and child[0].content_hash in ratchet.queue
        # the child the levers derived is published too, for the next worker to take
        assert {t.hypothesis_hash for t in led.trials(status="pending")} == {child[0].content_hash}


class _NeverRuns:
    def submit(self, dispatch: Dispatch, deadline: float) -> None:
        if dispatch.hypothesis_id != "PLANT-oracle/longer":
            raise AssertionError(f"{dispatch.hypothesis_id}: its trials were done already")
        raise _Stop

    def wait(self) -> list[Landed]:
        raise AssertionError("nothing was submitted")


class _Stop(Exception):
    pass
