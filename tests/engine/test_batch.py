"""Trial batches: a deadline really stops a trial (cut, not lost), nothing starts that cannot
finish, finished trials are never re-run, and a dead claimant's trial is taken over."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from engine.execution.batch import holder_is_dead, run_batch
from engine.execution.isolation import TrialProcess
from engine.execution.trials import TrialRequest, plan_trials, spec_to_dict
from hypotheses import Hypothesis, parse_hypothesis
from ledger import Ledger


def hypothesis(steps: int, seeds: list[int]) -> Hypothesis:
    return parse_hypothesis(
        {
            "id": f"B-{steps}",
            "title": "t",
            "claim": "c",
            "source": "test",
            "world": "filesystem",
            "experiment": "horizon_curve",
            "params": {"rho": 0.0, "steps": steps},
            "arms": {"oracle": {"proposer": "oracle"}},
            "seeds": {"initial": seeds},
            "effect": {"metric": "horizon", "kind": "value", "treatment": "oracle"},
            "decision": {"direction": "greater", "threshold": 0.0},
        }
    )


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def register(url: str, h: Hypothesis) -> list[TrialRequest]:
    with Ledger(url) as ledger:
        ledger.register_hypothesis(h.canonical(), h.content_hash, h.id, h.title, None)
    return plan_trials(h)


def test_a_trial_overrunning_the_deadline_is_killed_and_marked_cut(ledger_url: str) -> None:
    requests = register(ledger_url, hypothesis(20_000, [0]))  # minutes of work
    started = time.time()
    report = run_batch(ledger_url, None, requests, time.time() + 3.0, [None])
    assert time.time() - started < 20
    assert report.cut == [requests[0].key]
    with Ledger(ledger_url) as ledger:
        row = ledger.get_trial(requests[0].key)
    assert row is not None and row.status == "cut" and row.cut_reason


def test_nothing_starts_that_cannot_finish(ledger_url: str) -> None:
    requests = register(ledger_url, hypothesis(6, [0, 1]))
    report = run_batch(ledger_url, None, requests, time.time() + 5.0, [60.0, 60.0])
    assert report.not_started == [r.key for r in requests]
    with Ledger(ledger_url) as ledger:
        assert ledger.trials() == []


def test_finished_trials_are_reused_not_rerun(ledger_url: str) -> None:
    requests = register(ledger_url, hypothesis(6, [0, 1]))
    first = run_batch(ledger_url, None, requests, time.time() + 60.0, [None, None])
    assert first.finished == [r.key for r in requests]
    with Ledger(ledger_url) as ledger:
        before = {t.key: (t.metrics, t.finished_at) for t in ledger.trials()}
        # Where the numbers were computed is on the row (an oracle arm has no model: the CPU).
        assert [t.device for t in ledger.trials()] == ["cpu", "cpu"]
    second = run_batch(ledger_url, None, requests, time.time() + 60.0, [None, None])
    assert second.already == [r.key for r in requests] and second.finished == []
    with Ledger(ledger_url) as ledger:
        assert {t.key: (t.metrics, t.finished_at) for t in ledger.trials()} == before


def test_a_trial_held_by_a_dead_process_is_taken_over(ledger_url: str) -> None:
    requests = register(ledger_url, hypothesis(6, [0]))
    req = requests[0]
    dead = f"{socket.gethostname()}:{2**22 + 12345}"
    assert holder_is_dead(dead) and not holder_is_dead(f"{socket.gethostname()}:{os.getpid()}")
    with Ledger(ledger_url) as ledger:
        assert ledger.claim_trial(
            req.key,
            **req.row(),
            worker=dead,
        )
    report = run_batch(ledger_url, None, requests, time.time() + 60.0, [None])
    assert report.finished == [req.key]


def test_a_trial_another_live_worker_holds_is_passed_over_then_waited_for(
    ledger_url: str,
) -> None:
    """Two runs on one ledger must not form a convoy: the batch runs what nobody holds first,
    and only then waits for the held trial (here: finished by its holder meanwhile)."""
    import threading

    requests = register(ledger_url, hypothesis(6, [0, 1, 2]))
    held = requests[0]
    live = f"{socket.gethostname()}:{os.getpid()}"  # this test process: alive
    with Ledger(ledger_url) as ledger:
        assert ledger.claim_trial(
            held.key,
            **held.row(),
            worker=live,
        )

    def holder_finishes() -> None:
        with Ledger(ledger_url) as ledger:
            while len(ledger.trials(status="finished")) < 2:  # the batch ran the other two
                time.sleep(0.05)
            ledger.finish_trial(held.key, {"horizon": 6.0}, 0.01)

    other = threading.Thread(target=holder_finishes)
    other.start()
    report = run_batch(ledger_url, None, requests, time.time() + 60.0, [None] * 3)
    other.join(timeout=30)
    assert report.finished == [r.key for r in requests[1:]]  # not stuck behind the held one
    assert report.already == [held.key]  # waited for, then taken as its holder left it
    with Ledger(ledger_url) as ledger:
        assert {t.status for t in ledger.trials()} == {"finished"}


def test_trial_process_answers_failures_and_survives_them() -> None:
    good = spec_to_dict(plan_trials(hypothesis(6, [0]))[0].spec)
    bad = {**good, "experiment": "no_such_kind"}
    with TrialProcess() as proc:
        failed = proc.run(bad, time.time() + 30)
        assert failed.status == "failed" and "no_such_kind" in (failed.error or "")
        ok = proc.run(good, time.time() + 30)
        assert ok.status == "finished" and ok.seconds > 0
        assert ok.metrics is not None and ok.metrics["horizon"] == 6.0


def test_consecutive_batches_reuse_one_trial_process(ledger_url: str) -> None:
    """A clean trial process is kept between batches (its start-up was most of a cheap
    batch's time); results do not change, and a cut process is never kept."""
    from engine.execution import spares

    spares.close_all()
    first = register(ledger_url, hypothesis(12, [0, 1]))
    report = run_batch(ledger_url, None, first, time.time() + 120, [None, None])
    assert len(report.finished) == 2 and len(spares.idle()) == 1
    (kept,) = spares.idle()
    second = register(ledger_url, hypothesis(13, [0]))
    again = run_batch(ledger_url, None, second, time.time() + 120, [None])
    assert len(again.finished) == 1 and spares.idle() == [kept] and kept.alive()
    with Ledger(ledger_url) as ledger:
        rows = [ledger.get_trial(r.key) for r in first + second]
    assert all(r is not None and r.status == "finished" for r in rows)
    slow = register(ledger_url, hypothesis(20_000, [0]))
    cut = run_batch(ledger_url, None, slow, time.time() + 3.0, [None])
    assert cut.cut and spares.idle() == [] and not kept.alive()


def _children() -> list[int]:
    """Pids of this process's live trial processes (`python -m engine.execution.child`), and
    only those: a test session may have other children (a Prefect server) to leave alone."""
    me, out = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == me and fields[0] != "Z" and b"engine.execution.child" in cmdline:
            out.append(int(entry.name))
    return out


class _Killer:
    """SIGKILLs this process's trial children `after` seconds into each of their lives,
    `times` times in all (what the out-of-memory killer does to a trial)."""

    def __init__(self, times: int, after: float) -> None:
        import threading

        self.times, self.after, self.killed = times, after, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        import signal

        seen: dict[int, float] = {}
        while not self._stop.wait(0.05) and self.killed < self.times:
            for pid in _children():
                first = seen.setdefault(pid, time.monotonic())
                if time.monotonic() - first >= self.after:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        continue
                    self.killed += 1
                    seen[pid] = float("inf")

    def __enter__(self) -> _Killer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def fresh_trial_process() -> None:
    """No kept trial process: the killer's delay counts from a trial process's start, and a
    warm one kept from an earlier batch finishes the trial before it (and is then killed idle,
    after the batch)."""
    from engine.execution import spares

    spares.close_all()


@pytest.mark.usefixtures("fresh_trial_process")
def test_a_trial_whose_process_is_killed_is_crashed_and_rerun(ledger_url: str) -> None:
    # long enough that the kill lands mid-trial however fast the oracle is
    requests = register(ledger_url, hypothesis(20_000, [0]))
    with _Killer(times=1, after=1.0) as killer:
        report = run_batch(ledger_url, None, requests, time.time() + 120.0, [None])
    assert killer.killed == 1
    assert report.finished == [requests[0].key]
    with Ledger(ledger_url) as ledger:
        row = ledger.get_trial(requests[0].key)
    assert row is not None and (row.status, row.crashes, row.attempts) == ("finished", 1, 2)
    assert row.code_hash == requests[0].code_hash is not None


@pytest.mark.usefixtures("fresh_trial_process")
def test_a_trial_that_keeps_crashing_stops_at_the_bound(ledger_url: str) -> None:
    from ledger.tables import MAX_CRASHES

    requests = register(ledger_url, hypothesis(20_000, [0]))
    with _Killer(times=MAX_CRASHES + 5, after=1.0):
        report = run_batch(ledger_url, None, requests, time.time() + 120.0, [None])
    assert report.crashed == [requests[0].key] and report.finished == []
    with Ledger(ledger_url) as ledger:
        row = ledger.get_trial(requests[0].key)
    assert row is not None and (row.status, row.crashes) == ("crashed", MAX_CRASHES)
    assert row.settled and row.error is not None and "trial process" in row.error


def test_a_batch_planned_under_other_source_runs_nothing(ledger_url: str) -> None:
    from dataclasses import replace

    requests = [replace(r, code_hash="0" * 64) for r in register(ledger_url, hypothesis(6, [0]))]
    report = run_batch(ledger_url, None, requests, time.time() + 60.0, [None])
    assert report.other_code and report.not_started == [requests[0].key]
    with Ledger(ledger_url) as ledger:
        assert ledger.trials() == []


def test_processes_started_early_are_the_ones_batches_take(ledger_url: str) -> None:
    """`verisim-engine run` starts its trial processes before it imports Prefect; the first
    batches take those instead of starting their own, and every one is closed at the end."""
    from engine.execution import spares

    spares.close_all()
    spares.prestart(2)
    first, second = spares.take(), spares.take()
    assert first is not second and first.alive() and second.alive()
    spares.park(first)
    report = run_batch(
        ledger_url, None, register(ledger_url, hypothesis(14, [0])), time.time() + 120, [None]
    )
    assert len(report.finished) == 1 and spares.idle() == [first]
    spares.park(second)
    spares.prestart(1)  # one no batch takes (a resumed run with nothing left to do)
    unused = spares._STARTING[-1]
    spares.close_all()
    assert spares.idle() == [] and not first.alive() and not second.alive()
    assert not unused.alive()
