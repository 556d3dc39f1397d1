"""The ledger's tables (SQLModel, `table=True`), with the constraints the database enforces.

Table models skip pydantic validation, so every write goes through the validated input
models in `inputs.py` first; the database then guards what code could still get wrong:
enums as CHECK constraints, foreign keys, uniqueness (including "one current verdict per
hypothesis version and cell" as a partial unique index). Constraint names are explicit so
that migrations and PostgreSQL error messages are stable.

JSON payloads are stored as canonical JSON *text*: byte-equal across SQLite and PostgreSQL,
and what the content hash is computed over.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import DateTime, TypeDecorator
from sqlmodel import Field, SQLModel

RUN_STATUSES: tuple[str, ...] = ("running", "finished", "budget_exhausted", "failed", "interrupted")
TRIAL_STATUSES: tuple[str, ...] = ("pending", "running", "finished", "failed", "cut", "crashed")
"""`failed`: the trial raised (deterministic: it would fail again, so it is not retried);
`crashed`: its process died under it (signal, out of memory, a lost worker), retried up to
`MAX_CRASHES` times; `cut`: stopped by the budget or an interrupted run, always re-runnable."""
MAX_CRASHES = 3
"""How many times a trial's process may die before the trial is left crashed for good."""
OUTCOMES: tuple[str, ...] = ("confirmed", "refuted", "inconclusive")
EFFECT_KINDS: tuple[str, ...] = ("difference", "ratio", "value")

metadata = SQLModel.metadata


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on every backend.

    PostgreSQL keeps the zone (timestamptz); SQLite has none, so values are stored as naive
    UTC and re-marked UTC on the way out. Naive input is refused: a naive time is ambiguous.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("ledger times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _hash_column(name: str, **kw: Any) -> Column[str]:
    return Column(name, String(64), **kw)


def _fk_hash(name: str, constraint: str, *, nullable: bool) -> Column[str]:
    return Column(
        name,
        String(64),
        ForeignKey("hypothesis_version.content_hash", name=constraint),
        nullable=nullable,
    )


class HypothesisVersionRow(SQLModel, table=True):
    """A pre-registered hypothesis version: its canonical content, frozen under its hash."""

    __tablename__: ClassVar[str] = "hypothesis_version"
    __table_args__ = (
        CheckConstraint("depth >= 0", name="ck_hypothesis_version_depth"),
        Index("ix_hypothesis_version_hypothesis_id", "hypothesis_id"),
        Index("ix_hypothesis_version_parent_hash", "parent_hash"),
    )

    content_hash: str = Field(sa_column=_hash_column("content_hash", primary_key=True))
    hypothesis_id: str = Field(sa_column=Column("hypothesis_id", String(255), nullable=False))
    title: str = Field(sa_column=Column("title", Text, nullable=False))
    content: str = Field(sa_column=Column("content", Text, nullable=False))
    source_file: str | None = Field(default=None, sa_column=Column("source_file", Text))
    parent_hash: str | None = Field(
        default=None,
        sa_column=_fk_hash("parent_hash", "fk_hypothesis_version_parent", nullable=True),
    )
    lever_id: str | None = Field(default=None, sa_column=Column("lever_id", String(255)))
    registered_at: datetime = Field(
        sa_column=Column("registered_at", UTCDateTime(), nullable=False)
    )
    depth: int = Field(default=0, sa_column=Column("depth", Integer, nullable=False))


class RunRow(SQLModel, table=True):
    """One invocation of the engine: its budget, its code, and how it ended."""

    __tablename__: ClassVar[str] = "run"
    __table_args__ = (CheckConstraint(_one_of("status", RUN_STATUSES), name="ck_run_status"),)

    id: int | None = Field(
        default=None, sa_column=Column("id", Integer, primary_key=True, autoincrement=True)
    )
    started_at: datetime = Field(sa_column=Column("started_at", UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(
        default=None, sa_column=Column("finished_at", UTCDateTime())
    )
    status: str = Field(sa_column=Column("status", String(32), nullable=False))
    budget_seconds: float | None = Field(default=None, sa_column=Column("budget_seconds", Float))
    workers: int = Field(sa_column=Column("workers", Integer, nullable=False))
    runner: str = Field(sa_column=Column("runner", String(255), nullable=False))
    code_version: str = Field(sa_column=Column("code_version", String(255), nullable=False))
    hypotheses_dir: str | None = Field(default=None, sa_column=Column("hypotheses_dir", Text))
    host: str = Field(sa_column=Column("host", String(255), nullable=False))
    note: str | None = Field(default=None, sa_column=Column("note", Text))
    summary: str | None = Field(default=None, sa_column=Column("summary", Text))
    last_heartbeat: datetime = Field(
        sa_column=Column("last_heartbeat", UTCDateTime(), nullable=False)
    )


class TrialRow(SQLModel, table=True):
    """One (hypothesis version, cell, arm, seed) unit: the unit of parallelism and of resume."""

    __tablename__: ClassVar[str] = "trial"
    __table_args__ = (
        CheckConstraint(_one_of("status", TRIAL_STATUSES), name="ck_trial_status"),
        CheckConstraint("attempts >= 0", name="ck_trial_attempts"),
        CheckConstraint("crashes >= 0", name="ck_trial_crashes"),
        CheckConstraint("seed >= 0", name="ck_trial_seed"),
        Index("ix_trial_hypothesis_status", "hypothesis_hash", "status"),
        Index("ix_trial_run_id", "run_id"),
    )

    key: str = Field(sa_column=Column("key", String(255), primary_key=True))
    hypothesis_hash: str = Field(
        sa_column=_fk_hash("hypothesis_hash", "fk_trial_hypothesis", nullable=False)
    )
    cell_id: str = Field(sa_column=Column("cell_id", Text, nullable=False))
    arm: str = Field(sa_column=Column("arm", String(255), nullable=False))
    seed: int = Field(sa_column=Column("seed", Integer, nullable=False))
    spec: str = Field(sa_column=Column("spec", Text, nullable=False))
    status: str = Field(sa_column=Column("status", String(32), nullable=False))
    metrics: str | None = Field(default=None, sa_column=Column("metrics", Text))
    error: str | None = Field(default=None, sa_column=Column("error", Text))
    cut_reason: str | None = Field(default=None, sa_column=Column("cut_reason", Text))
    run_id: int | None = Field(
        default=None,
        sa_column=Column("run_id", Integer, ForeignKey("run.id", name="fk_trial_run")),
    )
    started_at: datetime | None = Field(default=None, sa_column=Column("started_at", UTCDateTime()))
    finished_at: datetime | None = Field(
        default=None, sa_column=Column("finished_at", UTCDateTime())
    )
    duration_s: float | None = Field(default=None, sa_column=Column("duration_s", Float))
    host: str | None = Field(default=None, sa_column=Column("host", String(255)))
    worker: str | None = Field(default=None, sa_column=Column("worker", String(255)))
    claimed_at: datetime | None = Field(default=None, sa_column=Column("claimed_at", UTCDateTime()))
    heartbeat_at: datetime | None = Field(
        default=None, sa_column=Column("heartbeat_at", UTCDateTime())
    )
    attempts: int = Field(default=0, sa_column=Column("attempts", Integer, nullable=False))
    crashes: int = Field(
        default=0,
        sa_column=Column("crashes", Integer, nullable=False, server_default=text("0")),
    )
    code_hash: str | None = Field(default=None, sa_column=Column("code_hash", String(64)))
    # The torch device a finished trial ran on (`cpu` | `cuda`): CUDA results are reproducible
    # to the seed, CPU results to the bit, so a replay needs to know which it is comparing.
    # Last, because migration 0003 appends the column.
    device: str | None = Field(default=None, sa_column=Column("device", String(32)))


class VerdictRow(SQLModel, table=True):
    """The outcome of one hypothesis version in one cell, with the CI and rule behind it."""

    __tablename__: ClassVar[str] = "verdict"
    __table_args__ = (
        CheckConstraint(_one_of("outcome", OUTCOMES), name="ck_verdict_outcome"),
        CheckConstraint(
            f"adjusted_outcome IS NULL OR {_one_of('adjusted_outcome', OUTCOMES)}",
            name="ck_verdict_adjusted_outcome",
        ),
        CheckConstraint(_one_of("effect_kind", EFFECT_KINDS), name="ck_verdict_effect_kind"),
        CheckConstraint("confidence > 0 AND confidence < 1", name="ck_verdict_confidence"),
        CheckConstraint("n >= 0", name="ck_verdict_n"),
        Index(
            "uq_verdict_current",
            "hypothesis_hash",
            "cell_id",
            unique=True,
            sqlite_where=text("NOT superseded"),
            postgresql_where=text("NOT superseded"),
        ),
        Index("ix_verdict_hypothesis_hash", "hypothesis_hash"),
    )

    id: int | None = Field(
        default=None, sa_column=Column("id", Integer, primary_key=True, autoincrement=True)
    )
    hypothesis_hash: str = Field(
        sa_column=_fk_hash("hypothesis_hash", "fk_verdict_hypothesis", nullable=False)
    )
    cell_id: str = Field(sa_column=Column("cell_id", Text, nullable=False))
    outcome: str = Field(sa_column=Column("outcome", String(32), nullable=False))
    effect_metric: str = Field(sa_column=Column("effect_metric", String(255), nullable=False))
    effect_kind: str = Field(sa_column=Column("effect_kind", String(32), nullable=False))
    estimate: float | None = Field(default=None, sa_column=Column("estimate", Float))
    ci_low: float | None = Field(default=None, sa_column=Column("ci_low", Float))
    ci_high: float | None = Field(default=None, sa_column=Column("ci_high", Float))
    confidence: float = Field(sa_column=Column("confidence", Float, nullable=False))
    ci_method: str = Field(sa_column=Column("ci_method", String(64), nullable=False))
    n: int = Field(sa_column=Column("n", Integer, nullable=False))
    seeds: str = Field(sa_column=Column("seeds", Text, nullable=False))
    degenerate: bool = Field(sa_column=Column("degenerate", Boolean, nullable=False))
    rule: str = Field(sa_column=Column("rule", Text, nullable=False))
    p_value: float | None = Field(default=None, sa_column=Column("p_value", Float))
    adjusted_outcome: str | None = Field(
        default=None, sa_column=Column("adjusted_outcome", String(32))
    )
    adjusted_p: float | None = Field(default=None, sa_column=Column("adjusted_p", Float))
    correction: str | None = Field(default=None, sa_column=Column("correction", String(255)))
    run_id: int | None = Field(
        default=None,
        sa_column=Column("run_id", Integer, ForeignKey("run.id", name="fk_verdict_run")),
    )
    created_at: datetime = Field(sa_column=Column("created_at", UTCDateTime(), nullable=False))
    superseded: bool = Field(default=False, sa_column=Column("superseded", Boolean, nullable=False))
    # Added by 0004_families (appended, so the migrated column order matches).
    alpha: float | None = Field(default=None, sa_column=Column("alpha", Float))
    family: str | None = Field(default=None, sa_column=Column("family", String(255)))
    adjusted_alpha: float | None = Field(default=None, sa_column=Column("adjusted_alpha", Float))
    adjusted_ci_low: float | None = Field(default=None, sa_column=Column("adjusted_ci_low", Float))
    adjusted_ci_high: float | None = Field(
        default=None, sa_column=Column("adjusted_ci_high", Float)
    )


class LeverRow(SQLModel, table=True):
    """A lever that fired: parent version -> derived child version, or -> a next hypothesis."""

    __tablename__: ClassVar[str] = "lever"
    __table_args__ = (
        CheckConstraint(_one_of('"when"', OUTCOMES), name="ck_lever_when"),
        CheckConstraint(
            "(child_hash IS NULL) <> (next_id IS NULL)", name="ck_lever_child_xor_next"
        ),
        UniqueConstraint("parent_hash", "lever_id", name="uq_lever_parent_lever"),
    )

    id: int | None = Field(
        default=None, sa_column=Column("id", Integer, primary_key=True, autoincrement=True)
    )
    parent_hash: str = Field(sa_column=_fk_hash("parent_hash", "fk_lever_parent", nullable=False))
    child_hash: str | None = Field(
        default=None, sa_column=_fk_hash("child_hash", "fk_lever_child", nullable=True)
    )
    next_id: str | None = Field(default=None, sa_column=Column("next_id", String(255)))
    lever_id: str = Field(sa_column=Column("lever_id", String(255), nullable=False))
    when: str = Field(sa_column=Column("when", String(32), nullable=False))
    verdict_id: int | None = Field(
        default=None,
        sa_column=Column("verdict_id", Integer, ForeignKey("verdict.id", name="fk_lever_verdict")),
    )
    run_id: int | None = Field(
        default=None,
        sa_column=Column("run_id", Integer, ForeignKey("run.id", name="fk_lever_run")),
    )
    created_at: datetime = Field(sa_column=Column("created_at", UTCDateTime(), nullable=False))


class CorrectionFamilyRow(SQLModel, table=True):
    """A pre-registered correction family: its members and size, fixed when registered."""

    __tablename__: ClassVar[str] = "correction_family"
    __table_args__ = (
        CheckConstraint("size >= 1", name="ck_correction_family_size"),
        CheckConstraint("alpha > 0 AND alpha < 1", name="ck_correction_family_alpha"),
        CheckConstraint("method IN ('holm', 'bh')", name="ck_correction_family_method"),
    )

    key: str = Field(sa_column=Column("key", String(255), primary_key=True))
    name: str = Field(sa_column=Column("name", String(255), nullable=False))
    method: str = Field(sa_column=Column("method", String(32), nullable=False))
    alpha: float = Field(sa_column=Column("alpha", Float, nullable=False))
    size: int = Field(sa_column=Column("size", Integer, nullable=False))
    members: str = Field(sa_column=Column("members", Text, nullable=False))
    run_id: int | None = Field(
        default=None,
        sa_column=Column("run_id", Integer, ForeignKey("run.id", name="fk_correction_family_run")),
    )
    registered_at: datetime = Field(
        sa_column=Column("registered_at", UTCDateTime(), nullable=False)
    )
    completed_at: datetime | None = Field(
        default=None, sa_column=Column("completed_at", UTCDateTime())
    )


CANDIDATE_STATUSES: tuple[str, ...] = ("proposed", "scored", "refused", "failed")


class SearchCandidateRow(SQLModel, table=True):
    """One candidate of a configuration search, kept or rejected (rejections are data too).

    `idx` orders the candidates of one search (a `config_search` version and a search seed);
    0 is the base. `loss` is the gate's score signed so that lower is better; `best_after` is
    the frontier after the keep rule saw this candidate (monotone by construction).
    """

    __tablename__: ClassVar[str] = "search_candidate"
    __table_args__ = (
        CheckConstraint(_one_of("status", CANDIDATE_STATUSES), name="ck_search_candidate_status"),
        CheckConstraint("idx >= 0", name="ck_search_candidate_idx"),
        UniqueConstraint("search_hash", "search_seed", "idx", name="uq_search_candidate_slot"),
        Index("ix_search_candidate_search", "search_hash", "search_seed"),
    )

    id: int | None = Field(
        default=None, sa_column=Column("id", Integer, primary_key=True, autoincrement=True)
    )
    search_hash: str = Field(
        sa_column=_fk_hash("search_hash", "fk_search_candidate_search", nullable=False)
    )
    search_seed: int = Field(sa_column=Column("search_seed", Integer, nullable=False))
    idx: int = Field(sa_column=Column("idx", Integer, nullable=False))
    generation: int = Field(sa_column=Column("generation", Integer, nullable=False))
    parent_idx: int | None = Field(default=None, sa_column=Column("parent_idx", Integer))
    controller: str = Field(sa_column=Column("controller", String(64), nullable=False))
    config: str = Field(sa_column=Column("config", Text, nullable=False))
    edit: str = Field(sa_column=Column("edit", Text, nullable=False))
    move: str | None = Field(default=None, sa_column=Column("move", String(255)))
    proposal: str | None = Field(default=None, sa_column=Column("proposal", Text))
    status: str = Field(sa_column=Column("status", String(32), nullable=False))
    trial_key: str | None = Field(default=None, sa_column=Column("trial_key", String(255)))
    recheck_key: str | None = Field(default=None, sa_column=Column("recheck_key", String(255)))
    seal_digest: str | None = Field(default=None, sa_column=Column("seal_digest", String(64)))
    score: float | None = Field(default=None, sa_column=Column("score", Float))
    loss: float | None = Field(default=None, sa_column=Column("loss", Float))
    recheck_loss: float | None = Field(default=None, sa_column=Column("recheck_loss", Float))
    flagged: bool = Field(default=False, sa_column=Column("flagged", Boolean, nullable=False))
    kept: bool = Field(default=False, sa_column=Column("kept", Boolean, nullable=False))
    best_after: float | None = Field(default=None, sa_column=Column("best_after", Float))
    reason: str | None = Field(default=None, sa_column=Column("reason", Text))
    run_id: int | None = Field(
        default=None,
        sa_column=Column("run_id", Integer, ForeignKey("run.id", name="fk_search_candidate_run")),
    )
    created_at: datetime = Field(sa_column=Column("created_at", UTCDateTime(), nullable=False))


TABLES: tuple[type[SQLModel], ...] = (
    HypothesisVersionRow,
    RunRow,
    TrialRow,
    VerdictRow,
    LeverRow,
    CorrectionFamilyRow,
    SearchCandidateRow,
)
"""The ledger's tables, in dependency order."""

LEDGER_TABLE_NAMES: frozenset[str] = frozenset(
    {
        "hypothesis_version",
        "run",
        "trial",
        "verdict",
        "lever",
        "correction_family",
        "search_candidate",
    }
)
