"""Frozen snapshots of ledger rows: what the ledger hands out instead of live ORM objects.

A live ORM object is tied to a session (lazy loads, expiry after commit, accidental writes
on flush); a snapshot is a plain value that can cross threads and processes and be printed,
compared and exported. JSON columns arrive parsed; times are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from . import jsonutil
from .tables import (
    MAX_CRASHES,
    CorrectionFamilyRow,
    HypothesisVersionRow,
    LeverRow,
    RunRow,
    TrialRow,
    VerdictRow,
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


class _Record:
    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable dict (datetimes as ISO 8601 strings)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class HypothesisVersion(_Record):
    content_hash: str
    hypothesis_id: str
    title: str
    content: Mapping[str, Any]
    source_file: str | None
    parent_hash: str | None
    lever_id: str | None
    registered_at: datetime
    depth: int

    @classmethod
    def of(cls, row: HypothesisVersionRow) -> HypothesisVersion:
        return cls(
            content_hash=row.content_hash,
            hypothesis_id=row.hypothesis_id,
            title=row.title,
            content=jsonutil.loads(row.content),
            source_file=row.source_file,
            parent_hash=row.parent_hash,
            lever_id=row.lever_id,
            registered_at=row.registered_at,
            depth=row.depth,
        )


@dataclass(frozen=True)
class RunRecord(_Record):
    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    budget_seconds: float | None
    workers: int
    runner: str
    code_version: str
    hypotheses_dir: str | None
    host: str
    note: str | None
    summary: Mapping[str, Any] | None
    last_heartbeat: datetime

    @classmethod
    def of(cls, row: RunRow) -> RunRecord:
        assert row.id is not None
        return cls(
            id=row.id,
            started_at=row.started_at,
            finished_at=row.finished_at,
            status=row.status,
            budget_seconds=row.budget_seconds,
            workers=row.workers,
            runner=row.runner,
            code_version=row.code_version,
            hypotheses_dir=row.hypotheses_dir,
            host=row.host,
            note=row.note,
            summary=jsonutil.loads(row.summary),
            last_heartbeat=row.last_heartbeat,
        )


@dataclass(frozen=True)
class TrialRecord(_Record):
    key: str
    hypothesis_hash: str
    cell_id: str
    arm: str
    seed: int
    spec: Mapping[str, Any]
    status: str
    metrics: Mapping[str, float] | None
    error: str | None
    cut_reason: str | None
    run_id: int | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    host: str | None
    device: str | None
    worker: str | None
    claimed_at: datetime | None
    heartbeat_at: datetime | None
    attempts: int
    crashes: int
    code_hash: str | None

    @property
    def settled(self) -> bool:
        """Whether running it again is pointless: finished, failed (deterministic), or
        crashed as often as `MAX_CRASHES` allows."""
        return self.status in ("finished", "failed") or (
            self.status == "crashed" and self.crashes >= MAX_CRASHES
        )

    @classmethod
    def of(cls, row: TrialRow) -> TrialRecord:
        return cls(
            key=row.key,
            hypothesis_hash=row.hypothesis_hash,
            cell_id=row.cell_id,
            arm=row.arm,
            seed=row.seed,
            spec=jsonutil.loads(row.spec),
            status=row.status,
            metrics=jsonutil.loads(row.metrics),
            error=row.error,
            cut_reason=row.cut_reason,
            run_id=row.run_id,
            started_at=row.started_at,
            finished_at=row.finished_at,
            duration_s=row.duration_s,
            host=row.host,
            device=row.device,
            worker=row.worker,
            claimed_at=row.claimed_at,
            heartbeat_at=row.heartbeat_at,
            attempts=row.attempts,
            crashes=row.crashes,
            code_hash=row.code_hash,
        )


@dataclass(frozen=True)
class VerdictRecord(_Record):
    id: int
    hypothesis_hash: str
    cell_id: str
    outcome: str
    effect_metric: str
    effect_kind: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    ci_method: str
    n: int
    seeds: tuple[int, ...]
    degenerate: bool
    rule: str
    p_value: float | None
    alpha: float | None
    family: str | None
    adjusted_outcome: str | None
    adjusted_p: float | None
    adjusted_alpha: float | None
    adjusted_ci_low: float | None
    adjusted_ci_high: float | None
    correction: str | None
    run_id: int | None
    created_at: datetime
    superseded: bool

    @property
    def decisive(self) -> str | None:
        """The outcome that decides (levers, summaries): the family-adjusted one; None while
        the family is incomplete."""
        return self.adjusted_outcome

    @classmethod
    def of(cls, row: VerdictRow) -> VerdictRecord:
        assert row.id is not None
        return cls(
            id=row.id,
            hypothesis_hash=row.hypothesis_hash,
            cell_id=row.cell_id,
            outcome=row.outcome,
            effect_metric=row.effect_metric,
            effect_kind=row.effect_kind,
            estimate=row.estimate,
            ci_low=row.ci_low,
            ci_high=row.ci_high,
            confidence=row.confidence,
            ci_method=row.ci_method,
            n=row.n,
            seeds=tuple(jsonutil.loads(row.seeds)),
            degenerate=bool(row.degenerate),
            rule=row.rule,
            p_value=row.p_value,
            alpha=row.alpha,
            family=row.family,
            adjusted_outcome=row.adjusted_outcome,
            adjusted_p=row.adjusted_p,
            adjusted_alpha=row.adjusted_alpha,
            adjusted_ci_low=row.adjusted_ci_low,
            adjusted_ci_high=row.adjusted_ci_high,
            correction=row.correction,
            run_id=row.run_id,
            created_at=row.created_at,
            superseded=bool(row.superseded),
        )


@dataclass(frozen=True)
class LeverRecord(_Record):
    id: int
    parent_hash: str
    child_hash: str | None
    next_id: str | None
    lever_id: str
    when: str
    verdict_id: int | None
    run_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: LeverRow) -> LeverRecord:
        assert row.id is not None
        return cls(
            id=row.id,
            parent_hash=row.parent_hash,
            child_hash=row.child_hash,
            next_id=row.next_id,
            lever_id=row.lever_id,
            when=row.when,
            verdict_id=row.verdict_id,
            run_id=row.run_id,
            created_at=row.created_at,
        )


@dataclass(frozen=True)
class FamilyRecord(_Record):
    key: str
    name: str
    method: str
    alpha: float
    size: int
    members: tuple[str, ...]
    run_id: int | None
    registered_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, row: CorrectionFamilyRow) -> FamilyRecord:
        return cls(
            key=row.key,
            name=row.name,
            method=row.method,
            alpha=row.alpha,
            size=row.size,
            members=tuple(jsonutil.loads(row.members)),
            run_id=row.run_id,
            registered_at=row.registered_at,
            completed_at=row.completed_at,
        )


Record = HypothesisVersion | RunRecord | TrialRecord | VerdictRecord | LeverRecord
