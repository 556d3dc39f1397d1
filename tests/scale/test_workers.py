"""The claim/heartbeat worker loop on a SQLite ledger (fast; the PostgreSQL runs are separate)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from trialqueue import SleepExecutor, expected_metrics, seed_queue

from engine.execution.isolation import Answer
from engine.execution.workers import (
    DrainReport,
    Heartbeat,
    WorkerIdentity,
    claim_order,
    drain,
    run_claimed,
)
from ledger import DEFAULT_CLAIM_POLICY, ClaimPolicy, Ledger, TrialRecord

ME = WorkerIdentity(name="test:1:me", host="test")


def test_empty_queue_returns_at_once(sqlite_url: str) -> None:
    with Ledger(sqlite_url) as led:
        report = drain(led, identity=ME, executor=SleepExecutor())
    assert report.stopped is None and report.finished == []
    assert report.summary().endswith("queue empty")


def test_one_worker_runs_every_trial_once(sqlite_url: str) -> None:
    executor = SleepExecutor()
    with Ledger(sqlite_url, claim_policy=ClaimPolicy(0.05, 1.0)) as led:
        keys = seed_queue(led, trials=7, sleep_s=0.0)
        report = drain(led, identity=ME, executor=executor)
        trials = led.trials()
    assert sorted(report.finished) == sorted(keys) == sorted(executor.calls)
    for trial in trials:
        assert trial.status == "finished" and trial.attempts == 1
        assert trial.worker == ME.name and trial.host == "test"
        assert trial.metrics == expected_metrics(trial.seed)


def test_a_second_drain_repeats_nothing(sqlite_url: str) -> None:
    with Ledger(sqlite_url) as led:
        seed_queue(led, trials=3, sleep_s=0.0)
        drain(led, identity=ME, executor=SleepExecutor())
        again = SleepExecutor()
        report = drain(led, identity=ME, executor=again)
    assert again.calls == [] and report.finished == []


class _Failing:
    def __call__(self, trial: TrialRecord, deadline: float | None) -> Answer:
        if trial.seed == 1:
            return Answer(status="failed", error="ValueError: bad seed")
        if trial.seed == 2:
            return Answer(status="cut", seconds=0.5)
        return Answer(status="finished", metrics=expected_metrics(trial.seed), seconds=0.25)


def test_failures_and_cuts_are_recorded_not_retried_forever(sqlite_url: str) -> None:
    with Ledger(sqlite_url) as led:
        seed_queue(led, trials=4, sleep_s=0.0)
        report = drain(led, identity=ME, executor=_Failing())
        by_seed = {t.seed: t for t in led.trials()}
    assert by_seed[1].status == "failed" and by_seed[1].error == "ValueError: bad seed"
    assert by_seed[0].status == by_seed[3].status == "finished"
    # A cut trial goes back to the queue for the next run (which may have the time for it);
    # the worker that cut it does not take it again.
    assert by_seed[2].status == "cut" and report.cut == [by_seed[2].key]
    assert report.stopped is None
    assert report.trial_seconds > 0
    assert len(report.failed) == 1 and len(report.finished) == 2


def test_a_stale_claim_goes_back_to_the_queue(sqlite_url: str) -> None:
    past = datetime.now(UTC) - timedelta(minutes=10)
    with Ledger(sqlite_url) as led:
        keys = seed_queue(led, trials=2, sleep_s=0.0)
        dead = led.trials()[0]
        # A worker claimed it ten minutes ago and then died: its heartbeat is that old.
        with Ledger(sqlite_url, clock=lambda: past) as then:
            run_claimed_by_ghost = then.claim_trial(
                dead.key,
                hypothesis_hash=dead.hypothesis_hash,
                cell_id=dead.cell_id,
                arm=dead.arm,
                seed=dead.seed,
                spec=dead.spec,
                worker="ghost:9:w",
                host="ghost",
                code_hash=dead.code_hash,
            )
        assert run_claimed_by_ghost
        report = drain(led, identity=ME, executor=SleepExecutor())  # the default policy
        after = led.get_trial(dead.key)
    assert sorted(report.finished) == sorted(keys)
    assert after is not None and after.status == "finished"
    assert after.attempts == 2 and after.worker == ME.name


class _Crashing:
    """The process of seed 0 dies the first `times` times it runs; the rest finish."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.calls: list[int] = []

    def __call__(self, trial: TrialRecord, deadline: float | None) -> Answer:
        self.calls.append(trial.seed)
        if trial.seed == 0 and self.calls.count(0) <= self.times:
            return Answer(status="crashed", error="trial process exited (code -9) mid-trial")
        return Answer(status="finished", metrics=expected_metrics(trial.seed), seconds=0.1)


def test_a_crashed_trial_is_retried_and_then_finishes(sqlite_url: str) -> None:
    executor = _Crashing(times=1)
    with Ledger(sqlite_url) as led:
        seed_queue(led, trials=2, sleep_s=0.0)
        report = drain(led, identity=ME, executor=executor)
        by_seed = {t.seed: t for t in led.trials()}
    assert executor.calls.count(0) == 2 and len(report.crashed) == 1
    assert by_seed[0].status == "finished" and (by_seed[0].crashes, by_seed[0].attempts) == (1, 2)


def test_crashes_are_retried_only_up_to_the_bound(sqlite_url: str) -> None:
    from ledger.tables import MAX_CRASHES

    executor = _Crashing(times=100)
    with Ledger(sqlite_url) as led:
        seed_queue(led, trials=2, sleep_s=0.0)
        report = drain(led, identity=ME, executor=executor)
        by_seed = {t.seed: t for t in led.trials()}
    assert executor.calls.count(0) == MAX_CRASHES
    assert by_seed[0].status == "crashed" and by_seed[0].crashes == MAX_CRASHES
    assert by_seed[0].settled and by_seed[1].status == "finished"
    assert report.stopped is None


def test_trials_planned_under_other_source_are_left_alone(sqlite_url: str) -> None:
    executor = SleepExecutor()
    with Ledger(sqlite_url) as led:
        seed_queue(led, trials=2, sleep_s=0.0, code_hash="0" * 64)
        report = drain(led, identity=ME, executor=executor)
        statuses = {t.status for t in led.trials()}
    assert executor.calls == [] and statuses == {"pending"}
    assert len(report.other_code) == 2 and "planned under other source" in report.summary()


def test_a_live_claim_is_waited_for_not_stolen(sqlite_url: str) -> None:
    with Ledger(sqlite_url) as led:
        (key,) = seed_queue(led, trials=1, sleep_s=0.0)
        held = led.trials()[0]
        assert led.claim_trial(
            key,
            hypothesis_hash=held.hypothesis_hash,
            cell_id=held.cell_id,
            arm=held.arm,
            seed=held.seed,
            spec=held.spec,
            worker="peer:2:w",
            host="peer",
            code_hash=held.code_hash,
        )
        polls: list[float] = []

        def peer_finishes(seconds: float) -> None:
            polls.append(seconds)
            led.finish_trial(key, expected_metrics(held.seed), 0.1, "peer")

        executor = SleepExecutor()
        report = drain(led, identity=ME, executor=executor, poll_s=0.5, sleep=peer_finishes)
        final = led.get_trial(key)
    assert polls == [0.5] and executor.calls == [] and report.finished == []
    assert final is not None and final.worker == "peer:2:w" and final.attempts == 1


def test_two_threads_share_a_queue_without_overlap(sqlite_url: str) -> None:
    with Ledger(sqlite_url) as led:
        keys = seed_queue(led, trials=10, sleep_s=0.02)
    reports: list[DrainReport] = []

    def work(name: str) -> None:
        with Ledger(sqlite_url, claim_policy=ClaimPolicy(0.01, 1.0)) as mine:
            identity = WorkerIdentity(name=name, host="test")
            reports.append(drain(mine, identity=identity, executor=SleepExecutor()))

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = Counter(key for report in reports for key in report.finished)
    assert set(done) == set(keys) and set(done.values()) == {1}
    with Ledger(sqlite_url) as led:
        assert {t.attempts for t in led.trials()} == {1}


def test_heartbeat_refreshes_and_notices_a_lost_claim(sqlite_url: str) -> None:
    with Ledger(sqlite_url) as led:
        (key,) = seed_queue(led, trials=1, sleep_s=0.0)
        trial = led.trials()[0]
        assert run_claimed(led, trial, identity=ME, executor=SleepExecutor()) is not None
        # Finished: the claim is over, so a heartbeat for it reports the claim lost.
        with Heartbeat(led, key, ME.name, interval=0.01) as beat:
            threading.Event().wait(0.1)
        assert beat.lost and beat.error is None


@given(st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=20), st.text(max_size=8))
def test_claim_order_is_a_permutation(keys: list[str], worker: str) -> None:
    order = claim_order(keys, worker)
    assert sorted(order) == sorted(keys)
    assert order == claim_order(list(reversed(keys)), worker)


def test_a_live_batch_is_never_stale_to_a_queue_worker() -> None:
    """One policy for every path: the batch's heartbeat fits the grace with beats to spare."""
    from engine.execution import batch, workers

    policy = DEFAULT_CLAIM_POLICY
    assert policy.stale_after_s >= 3 * policy.heartbeat_s
    for module in (batch, workers):  # no private heartbeat or stale number left anywhere
        names = [n for n in vars(module) if "HEARTBEAT" in n or "STALE" in n]
        assert names == [], (module.__name__, names)
    now = datetime.now(UTC)
    assert not policy.is_stale(now - timedelta(seconds=2 * policy.heartbeat_s), now)
    assert policy.is_stale(now - timedelta(seconds=policy.stale_after_s + 1), now)
    with pytest.raises(ValueError, match="never look stale"):
        ClaimPolicy(heartbeat_s=30.0, stale_after_s=60.0)


def test_report_names_the_last_committed_trial() -> None:
    report = DrainReport(worker="w", finished=["k1", "k2"], stopped="ledger lost (gone)")
    assert report.last_committed == "k2"
    assert "last committed trial k2" in report.summary()
    assert "rerun to resume" in report.summary()
    assert "no trial committed" in DrainReport(worker="w", stopped="x").summary()
