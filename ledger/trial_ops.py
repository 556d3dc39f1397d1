"""Trial state changes inside one open transaction: claim, heartbeat, finish, fail, cut.

The rules that make a crashed or parallel run safe live here:

- a key names exactly one (hypothesis version, cell, arm, seed, spec); reusing a key for a
  different trial is refused (it would silently mix results);
- a finished trial is never claimed again and never changes (finishing it again with the
  same metrics is a no-op, so a duplicate worker is harmless);
- a running trial whose holder is stale by the ledger's one `ClaimPolicy` may be
  re-claimed (its worker was lost, which counts as a crash); pending, cut and crashed trials
  may be claimed, a crashed one only while it has crashed fewer than `MAX_CRASHES` times; a
  failed trial (the trial itself raised) is never claimed again under the same key: it is a
  pure function of its key, so it would fail again;
- rows are read `FOR UPDATE SKIP LOCKED` where the backend supports it (PostgreSQL), so a
  concurrent claimer skips a row being claimed instead of waiting for it; on SQLite the
  writing transaction is `BEGIN IMMEDIATE`, which serializes claims outright.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from . import jsonutil
from .claims import ClaimPolicy
from .errors import ImmutableTrialError, LedgerError, NotFoundError
from .inputs import TrialIn, TrialResultIn
from .tables import MAX_CRASHES, HypothesisVersionRow, RunRow, TrialRow

CLAIMABLE = frozenset({"pending", "cut", "crashed"})
_CHUNK = 500


def locked(session: Session, key: str, *, skip_locked: bool = False) -> TrialRow | None:
    stmt = select(TrialRow).where(TrialRow.key == key).with_for_update(skip_locked=skip_locked)
    return session.exec(stmt).first()


def _require(session: Session, key: str) -> TrialRow:
    row = locked(session, key)
    if row is None:
        raise NotFoundError(f"no trial with key {key!r}")
    return row


def _check_refs(session: Session, trial: TrialIn) -> None:
    if session.get(HypothesisVersionRow, trial.hypothesis_hash) is None:
        raise LedgerError(
            f"trial {trial.key!r}: hypothesis {trial.hypothesis_hash[:12]} is not registered "
            "(pre-register it before running its trials)"
        )
    if trial.run_id is not None and session.get(RunRow, trial.run_id) is None:
        raise LedgerError(f"trial {trial.key!r}: no run {trial.run_id}")


def _check_same(row: TrialRow, trial: TrialIn) -> None:
    stored = (row.hypothesis_hash, row.cell_id, row.arm, row.seed, row.spec, row.code_hash)
    given = (
        trial.hypothesis_hash,
        trial.cell_id,
        trial.arm,
        trial.seed,
        jsonutil.dumps(trial.spec),
        trial.code_hash,
    )
    if stored != given:
        raise LedgerError(
            f"trial key {trial.key!r} already names a different trial "
            f"(hypothesis {row.hypothesis_hash[:12]}, cell {row.cell_id!r}, arm {row.arm!r}, "
            f"seed {row.seed}); keys must be computed from everything a trial depends on"
        )


def _is_stale(row: TrialRow, now: datetime, policy: ClaimPolicy) -> bool:
    return policy.is_stale(row.heartbeat_at or row.claimed_at, now)


def new_row(trial: TrialIn, *, status: str, now: datetime) -> TrialRow:
    running = status == "running"
    return TrialRow(
        key=trial.key,
        hypothesis_hash=trial.hypothesis_hash,
        cell_id=trial.cell_id,
        arm=trial.arm,
        seed=trial.seed,
        spec=jsonutil.dumps(trial.spec),
        status=status,
        run_id=trial.run_id,
        worker=trial.worker if running else None,
        host=trial.host if running else None,
        started_at=now if running else None,
        claimed_at=now if running else None,
        heartbeat_at=now if running else None,
        attempts=1 if running else 0,
        crashes=0,
        code_hash=trial.code_hash,
    )


def enqueue(session: Session, trial: TrialIn, now: datetime) -> bool:
    """Insert as pending if absent; True when inserted."""
    _check_refs(session, trial)
    row = locked(session, trial.key)
    if row is not None:
        _check_same(row, trial)
        return False
    session.add(new_row(trial, status="pending", now=now))
    session.flush()
    return True


def claim(session: Session, trial: TrialIn, now: datetime, policy: ClaimPolicy) -> bool:
    """Claim `trial` for a worker; False when it is finished or held by a live worker.

    A unique-key race with another claimer surfaces as IntegrityError at flush/commit; the
    caller turns that into False.
    """
    _check_refs(session, trial)
    row = locked(session, trial.key, skip_locked=True)
    if row is None:
        session.add(new_row(trial, status="running", now=now))
        session.flush()
        return True
    _check_same(row, trial)
    if row.status in ("finished", "failed"):
        return False
    if row.status == "running":
        if not _is_stale(row, now, policy):
            return False
        # Its worker stopped beating without a word: the trial's process was lost.
        _crashed(
            row,
            f"its worker {row.worker} was lost (no heartbeat for {policy.stale_after_s:g}s)",
            now,
        )
    if row.status == "crashed" and row.crashes >= MAX_CRASHES:
        session.add(row)
        return False
    assert row.status in CLAIMABLE
    row.status = "running"
    row.run_id = trial.run_id
    row.worker = trial.worker
    row.host = trial.host
    row.started_at = now
    row.claimed_at = now
    row.heartbeat_at = now
    row.finished_at = None
    row.metrics = None
    row.error = None
    row.cut_reason = None
    row.attempts += 1
    session.add(row)
    return True


def heartbeat(session: Session, key: str, worker: str | None, now: datetime) -> bool:
    """Refresh a running trial's heartbeat; False when it is no longer this worker's claim."""
    row = _require(session, key)
    if row.status != "running" or (worker is not None and row.worker != worker):
        return False
    row.heartbeat_at = now
    session.add(row)
    return True


def finish(session: Session, key: str, result: TrialResultIn, now: datetime) -> TrialRow:
    row = _require(session, key)
    metrics = jsonutil.dumps(result.metrics, allow_nan=True)
    if row.status == "finished":
        if row.metrics == metrics:
            return row
        raise ImmutableTrialError(
            f"trial {key!r} is already finished with different metrics "
            f"(stored {row.metrics}, given {metrics}); finished trials are immutable"
        )
    row.status = "finished"
    row.metrics = metrics
    row.duration_s = float(result.duration_s)
    row.finished_at = now
    row.host = result.host or row.host
    row.device = result.device or row.device
    row.error = None
    row.cut_reason = None
    session.add(row)
    return row


def fail(session: Session, key: str, error: str, now: datetime) -> TrialRow:
    row = _require(session, key)
    if row.status == "finished":
        raise ImmutableTrialError(f"trial {key!r} is finished; it cannot be marked failed")
    row.status = "failed"
    row.error = error
    row.finished_at = now
    session.add(row)
    return row


def _crashed(row: TrialRow, reason: str, now: datetime) -> None:
    row.status = "crashed"
    row.crashes += 1
    row.error = f"crash {row.crashes} of at most {MAX_CRASHES}: {reason}"
    row.finished_at = now


def crash(session: Session, key: str, reason: str, now: datetime) -> TrialRow:
    """Record that the trial's process died under it (it may be claimed again)."""
    row = _require(session, key)
    if row.status == "finished":
        raise ImmutableTrialError(f"trial {key!r} is finished; it cannot be marked crashed")
    _crashed(row, reason, now)
    session.add(row)
    return row


def cut(session: Session, keys: Sequence[str], reason: str) -> int:
    """Mark the pending/running trials among `keys` as cut; returns how many were."""
    count = 0
    unique = sorted(set(keys))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        stmt = (
            select(TrialRow)
            .where(col(TrialRow.key).in_(chunk))
            .where(col(TrialRow.status).in_(("pending", "running")))
            .with_for_update()
        )
        for row in session.exec(stmt):
            row.status = "cut"
            row.cut_reason = reason
            session.add(row)
            count += 1
    return count
