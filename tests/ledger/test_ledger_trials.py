"""Trial claims, heartbeats, results: finished trials are immutable, stale claims re-claimable."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from ledger_fixtures import FakeClock, register, trial_args

from ledger import (
    ClaimPolicy,
    ImmutableTrialError,
    Ledger,
    LedgerError,
    NotFoundError,
    default_url,
)


def test_claim_inserts_running_and_refuses_a_live_duplicate(ledger: Ledger) -> None:
    h = register(ledger)
    run = ledger.start_run(code_version="code-1", host="box")
    args = trial_args(h)
    assert ledger.claim_trial(**args, run_id=run.id, worker="w1", host="box")
    assert not ledger.claim_trial(**args, run_id=run.id, worker="w2")
    t = ledger.get_trial(args["key"])
    assert t is not None
    assert (t.status, t.worker, t.attempts, t.run_id, t.host) == ("running", "w1", 1, run.id, "box")
    assert t.spec == args["spec"] and t.claimed_at == t.heartbeat_at == t.started_at


def test_finished_trials_are_never_claimed_and_never_change(
    ledger: Ledger, clock: FakeClock
) -> None:
    h = register(ledger)
    args = trial_args(h)
    assert ledger.claim_trial(**args, worker="w1")
    metrics = {"delta_exact": 0.5, "bits": 3}
    done = ledger.finish_trial(args["key"], metrics, 1.5, host="box", device="cuda")
    assert (done.status, done.metrics, done.duration_s, done.device) == (
        "finished",
        {"delta_exact": 0.5, "bits": 3},
        1.5,
        "cuda",
    )
    clock.advance(10_000)
    assert not ledger.claim_trial(**args, worker="w2")
    again = ledger.finish_trial(args["key"], {"bits": 3, "delta_exact": 0.5}, 9.9)
    assert again == done  # identical metrics: a no-op, timings untouched
    with pytest.raises(ImmutableTrialError, match="finished trials are immutable"):
        ledger.finish_trial(args["key"], {"delta_exact": 0.6, "bits": 3}, 1.5)
    with pytest.raises(ImmutableTrialError):
        ledger.fail_trial(args["key"], "boom")
    assert ledger.mark_cut([args["key"]], "budget") == 0
    assert ledger.get_trial(args["key"]) == done
    assert ledger.finished_trials(h.content_hash) == [done]


def test_stale_running_claims_can_be_taken_over(ledger: Ledger, clock: FakeClock) -> None:
    h = register(ledger)
    args = trial_args(h)
    assert ledger.claim_trial(**args, worker="w1")
    clock.advance(50)
    assert ledger.heartbeat_trial(args["key"], worker="w1")
    clock.advance(50)  # 50 s since the heartbeat: still alive (stale after 60)
    assert not ledger.claim_trial(**args, worker="w2")
    clock.advance(11)
    assert ledger.claim_trial(**args, worker="w2")
    t = ledger.get_trial(args["key"])
    assert t is not None and (t.worker, t.attempts) == ("w2", 2)
    assert not ledger.heartbeat_trial(args["key"], worker="w1")  # w1 lost its claim
    assert ledger.heartbeat_trial(args["key"], worker="w2")
    # stale means strictly older than the grace: exactly 60 s of silence is still alive
    clock.advance(60)
    assert not ledger.claim_trial(**args, worker="w3")


def test_staleness_is_the_ledgers_claim_policy(
    ledger: Ledger, clock: FakeClock, tmp_path: Path
) -> None:
    h = register(ledger)
    args = trial_args(h)
    assert ledger.claim_trial(**args, worker="w1")
    clock.advance(5)
    assert not ledger.claim_trial(**args, worker="w2")
    with Ledger(default_url(tmp_path), clock=clock, claim_policy=ClaimPolicy(1.0, 3.0)) as quick:
        assert quick.claim_trial(**args, worker="w2")


@pytest.mark.parametrize("end", ["crashed", "cut", "pending"])
def test_crashed_cut_and_pending_trials_are_reclaimable(ledger: Ledger, end: str) -> None:
    h = register(ledger)
    args = trial_args(h)
    if end == "pending":
        assert ledger.enqueue_trial(**args)
        assert not ledger.enqueue_trial(**args)
    else:
        assert ledger.claim_trial(**args, worker="w1")
    if end == "crashed":
        crashed = ledger.crash_trial(args["key"], "trial process exited (code -9) mid-trial")
        assert (crashed.status, crashed.crashes) == ("crashed", 1)
        assert crashed.error is not None and "code -9" in crashed.error
    if end == "cut":
        assert ledger.mark_cut([args["key"], "no-such-key"], "budget exhausted") == 1
        cut = ledger.get_trial(args["key"])
        assert cut is not None and (cut.status, cut.cut_reason) == ("cut", "budget exhausted")
    assert ledger.get_trial(args["key"]).status == end  # type: ignore[union-attr]
    assert ledger.claim_trial(**args, worker="w2")
    t = ledger.get_trial(args["key"])
    assert t is not None
    assert (t.status, t.worker, t.error, t.cut_reason) == ("running", "w2", None, None)
    assert t.attempts == (1 if end == "pending" else 2)
    assert t.crashes == (1 if end == "crashed" else 0)


def test_a_failed_trial_is_final_under_its_key(ledger: Ledger, clock: FakeClock) -> None:
    """The trial raised: a pure function of its key would raise again, so it is not retried."""
    h = register(ledger)
    args = trial_args(h)
    assert ledger.claim_trial(**args, worker="w1")
    failed = ledger.fail_trial(args["key"], "ValueError: boom")
    assert (failed.status, failed.error, failed.settled) == ("failed", "ValueError: boom", True)
    clock.advance(10_000)
    assert not ledger.claim_trial(**args, worker="w2")
    assert ledger.get_trial(args["key"]) == failed


def test_crashes_are_retried_a_bounded_number_of_times(ledger: Ledger) -> None:
    from ledger.tables import MAX_CRASHES

    h = register(ledger)
    args = trial_args(h)
    for n in range(1, MAX_CRASHES + 1):
        assert ledger.claim_trial(**args, worker=f"w{n}")
        t = ledger.crash_trial(args["key"], "killed by signal 9")
        assert (t.status, t.crashes, t.attempts) == ("crashed", n, n)
        assert t.settled == (n == MAX_CRASHES)
        assert t.error == f"crash {n} of at most {MAX_CRASHES}: killed by signal 9"
    assert not ledger.claim_trial(**args, worker="late")
    last = ledger.get_trial(args["key"])
    assert last is not None and (last.status, last.crashes) == ("crashed", MAX_CRASHES)


def test_a_lost_worker_counts_as_a_crash(ledger: Ledger, clock: FakeClock) -> None:
    from ledger.tables import MAX_CRASHES

    h = register(ledger)
    args = trial_args(h)
    assert ledger.claim_trial(**args, worker="w0")
    for n in range(1, MAX_CRASHES):
        clock.advance(61)  # no heartbeat: the holder is gone
        assert ledger.claim_trial(**args, worker=f"w{n}")
        t = ledger.get_trial(args["key"])
        assert t is not None and (t.status, t.worker, t.crashes) == ("running", f"w{n}", n)
    clock.advance(61)
    assert not ledger.claim_trial(**args, worker="too-late")
    t = ledger.get_trial(args["key"])
    assert t is not None and (t.status, t.crashes) == ("crashed", MAX_CRASHES)
    assert t.error is not None and f"its worker w{MAX_CRASHES - 1} was lost" in t.error


def test_the_code_hash_is_stored_and_part_of_the_trial(ledger: Ledger) -> None:
    h = register(ledger)
    args = trial_args(h)
    assert ledger.claim_trial(**args, code_hash="c" * 64)
    t = ledger.get_trial(args["key"])
    assert t is not None and t.code_hash == "c" * 64
    with pytest.raises(LedgerError, match="already names a different trial"):
        ledger.claim_trial(**args, code_hash="d" * 64)
    with pytest.raises(LedgerError, match="code_hash"):
        ledger.enqueue_trial(**dict(args, key="other"), code_hash="not-a-hash")


def test_a_key_names_one_trial(ledger: Ledger) -> None:
    h = register(ledger)
    args = trial_args(h)
    assert ledger.claim_trial(**args)
    other = dict(args, spec={"something": "else"})
    with pytest.raises(LedgerError, match="already names a different trial"):
        ledger.claim_trial(**other)
    with pytest.raises(LedgerError, match="already names a different trial"):
        ledger.enqueue_trial(**dict(args, seed=7))


def test_trials_need_registered_hypotheses_and_runs(ledger: Ledger) -> None:
    h = register(ledger)
    args = trial_args(h)
    with pytest.raises(LedgerError, match="is not registered"):
        ledger.claim_trial(**dict(args, hypothesis_hash="f" * 64))
    with pytest.raises(LedgerError, match="no run 99"):
        ledger.claim_trial(**args, run_id=99)
    with pytest.raises(NotFoundError):
        ledger.finish_trial("missing", {"m": 1.0}, 0.1)
    with pytest.raises(LedgerError, match="seed"):
        ledger.claim_trial(**dict(args, seed=-1))
    with pytest.raises(LedgerError, match="metrics"):
        ledger.finish_trial(args["key"], {"m": "high"}, 0.1)  # type: ignore[dict-item]
    with pytest.raises(LedgerError, match="sequence of keys"):
        ledger.mark_cut("abc", "x")


def test_nan_metrics_are_kept_as_measured(ledger: Ledger) -> None:
    h = register(ledger)
    args = trial_args(h)
    ledger.claim_trial(**args)
    t = ledger.finish_trial(args["key"], {"ratio": math.nan}, 0.1)
    assert t.metrics is not None and math.isnan(t.metrics["ratio"])
    assert ledger.finish_trial(args["key"], {"ratio": math.nan}, 0.1) == t


def test_trial_queries(ledger: Ledger) -> None:
    h1 = register(ledger, "H1")
    h2 = register(ledger, "H2")
    run = ledger.start_run(code_version="c", host="h")
    for h in (h1, h2):
        for seed in (1, 0):
            ledger.claim_trial(**trial_args(h, seed=seed), run_id=run.id)
    ledger.finish_trial(trial_args(h1, seed=0)["key"], {"m": 1.0}, 0.1)
    assert [t.seed for t in ledger.trials(hypothesis="H1")] == [0, 1]
    assert [t.seed for t in ledger.trials(hypothesis=h1.content_hash, status="running")] == [1]
    assert len(ledger.trials(run_id=run.id)) == 4
    assert len(ledger.trials(status="running")) == 3
    assert ledger.trials(hypothesis="H9") == []
    with pytest.raises(LedgerError, match="unknown trial status"):
        ledger.trials(status="done")


def test_mark_cut_many(ledger: Ledger) -> None:
    h = register(ledger)
    keys = []
    for seed in range(600):
        args = trial_args(h, seed=seed)
        ledger.enqueue_trial(**args)
        keys.append(args["key"])
    assert ledger.mark_cut(keys + keys[:5], "budget") == 600
    assert len(ledger.trials(status="cut")) == 600
