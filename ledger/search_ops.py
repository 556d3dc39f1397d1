"""Ledger writes and reads of configuration-search candidates (`search_candidate` rows).

A candidate row is written when it is proposed (so a live LLM's realised proposal is on record
before anything runs, and a resumed search reads it back instead of asking again) and settled
once: its gate score, whether the keep rule kept it, and the frontier after it. A proposal slot
(search, seed, idx) is unique; writing the same slot again returns the row already there, so a
resumed run never proposes a slot twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from . import jsonutil
from .errors import LedgerError
from .records import _Record
from .tables import CANDIDATE_STATUSES, HypothesisVersionRow, SearchCandidateRow


@dataclass(frozen=True)
class SearchCandidate(_Record):
    """A snapshot of one candidate row (config and edit parsed)."""

    id: int
    search_hash: str
    search_seed: int
    idx: int
    generation: int
    parent_idx: int | None
    controller: str
    config: Mapping[str, Any]
    edit: Mapping[str, Any]
    move: str | None
    proposal: str | None
    status: str
    trial_key: str | None
    recheck_key: str | None
    seal_digest: str | None
    score: float | None
    loss: float | None
    recheck_loss: float | None
    flagged: bool
    kept: bool
    best_after: float | None
    reason: str | None
    run_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: SearchCandidateRow) -> SearchCandidate:
        assert row.id is not None
        return cls(
            id=row.id,
            search_hash=row.search_hash,
            search_seed=row.search_seed,
            idx=row.idx,
            generation=row.generation,
            parent_idx=row.parent_idx,
            controller=row.controller,
            config=jsonutil.loads(row.config),
            edit=jsonutil.loads(row.edit),
            move=row.move,
            proposal=row.proposal,
            status=row.status,
            trial_key=row.trial_key,
            recheck_key=row.recheck_key,
            seal_digest=row.seal_digest,
            score=row.score,
            loss=row.loss,
            recheck_loss=row.recheck_loss,
            flagged=row.flagged,
            kept=row.kept,
            best_after=row.best_after,
            reason=row.reason,
            run_id=row.run_id,
            created_at=row.created_at,
        )


def _finite(name: str, value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise LedgerError(f"search candidate: {name} must be finite, got {value!r}")
    return value


def add(
    s: Session,
    now: datetime,
    *,
    search_hash: str,
    search_seed: int,
    idx: int,
    generation: int,
    parent_idx: int | None,
    controller: str,
    config: Mapping[str, Any],
    edit: Mapping[str, Any],
    move: str | None,
    proposal: str | None,
    status: str,
    trial_key: str | None,
    seal_digest: str | None,
    reason: str | None,
    run_id: int | None,
) -> SearchCandidate:
    """Insert a proposed (or refused) candidate; an existing slot is returned unchanged."""
    if status not in ("proposed", "refused"):
        raise LedgerError(f"search candidate: a new row is proposed or refused, not {status!r}")
    if idx < 0 or search_seed < 0 or generation < 0:
        raise LedgerError("search candidate: idx, seed and generation must be >= 0")
    if s.get(HypothesisVersionRow, search_hash) is None:
        raise LedgerError(f"search candidate: search {search_hash[:12]} is not registered")
    existing = _slot(s, search_hash, search_seed, idx)
    if existing is not None:
        return SearchCandidate.of(existing)
    row = SearchCandidateRow(
        search_hash=search_hash,
        search_seed=search_seed,
        idx=idx,
        generation=generation,
        parent_idx=parent_idx,
        controller=controller,
        config=jsonutil.dumps(dict(config)),
        edit=jsonutil.dumps(dict(edit)),
        move=move,
        proposal=proposal,
        status=status,
        trial_key=trial_key,
        seal_digest=seal_digest,
        reason=reason,
        run_id=run_id,
        created_at=now,
    )
    s.add(row)
    s.flush()
    return SearchCandidate.of(row)


def _slot(s: Session, search_hash: str, seed: int, idx: int) -> SearchCandidateRow | None:
    return s.exec(
        select(SearchCandidateRow)
        .where(SearchCandidateRow.search_hash == search_hash)
        .where(SearchCandidateRow.search_seed == seed)
        .where(SearchCandidateRow.idx == idx)
    ).first()


def settle(
    s: Session,
    candidate_id: int,
    *,
    status: str,
    score: float | None,
    loss: float | None,
    recheck_key: str | None,
    recheck_loss: float | None,
    flagged: bool,
    kept: bool,
    best_after: float | None,
    reason: str | None,
) -> SearchCandidate:
    """Record a candidate's gate result and the keep rule's decision (once: settled rows are
    immutable, like finished trials)."""
    if status not in CANDIDATE_STATUSES or status in ("proposed",):
        raise LedgerError(f"search candidate: cannot settle as {status!r}")
    row = s.get(SearchCandidateRow, candidate_id)
    if row is None:
        raise LedgerError(f"search candidate {candidate_id} does not exist")
    if row.status != "proposed":
        raise LedgerError(f"search candidate {candidate_id} is already {row.status}")
    row.status = status
    row.score = _finite("score", score)
    row.loss = _finite("loss", loss)
    row.recheck_key = recheck_key
    row.recheck_loss = _finite("recheck_loss", recheck_loss)
    row.flagged = flagged
    row.kept = kept
    row.best_after = _finite("best_after", best_after)
    row.reason = reason
    s.add(row)
    s.flush()
    return SearchCandidate.of(row)


def flag(s: Session, candidate_id: int, recheck_key: str) -> SearchCandidate:
    """Mark a proposed candidate as flagged by the anomaly screen, with its re-check trial."""
    row = s.get(SearchCandidateRow, candidate_id)
    if row is None:
        raise LedgerError(f"search candidate {candidate_id} does not exist")
    if row.status == "proposed":
        row.flagged = True
        row.recheck_key = recheck_key
        s.add(row)
        s.flush()
    return SearchCandidate.of(row)


def listing(
    s: Session, search_hash: str | None = None, search_seed: int | None = None
) -> list[SearchCandidate]:
    stmt = select(SearchCandidateRow).order_by(
        col(SearchCandidateRow.search_hash),
        col(SearchCandidateRow.search_seed),
        col(SearchCandidateRow.idx),
    )
    if search_hash is not None:
        stmt = stmt.where(SearchCandidateRow.search_hash == search_hash)
    if search_seed is not None:
        stmt = stmt.where(SearchCandidateRow.search_seed == search_seed)
    return [SearchCandidate.of(r) for r in s.exec(stmt)]
