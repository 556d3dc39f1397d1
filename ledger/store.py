"""`Ledger`: the one class that reads and writes the record.

Prefect state is disposable; this is the record. Every public method is one transaction,
validates its input first, and returns frozen snapshots (`records.py`), never ORM objects.
Writes are idempotent where a retry or a duplicate worker could repeat them (registering a
hypothesis, finishing a trial, writing a verdict, adding a lever), and refuse loudly where a
repeat with *different* content would rewrite history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from . import jsonutil, queries, schema, search_ops, trial_ops
from .claims import DEFAULT_CLAIM_POLICY, ClaimPolicy
from .connect import display_url, is_sqlite, make_engine, parse_url, reader, translate_errors
from .errors import LedgerError, NotFoundError
from .inputs import (
    ADJUSTMENT_FIELDS,
    FamilyIn,
    HypothesisIn,
    LeverIn,
    RunEndIn,
    RunIn,
    TrialIn,
    TrialResultIn,
    VerdictIn,
    validated,
)
from .records import (
    FamilyRecord,
    HypothesisVersion,
    LeverRecord,
    Record,
    RunRecord,
    TrialRecord,
    VerdictRecord,
)
from .search_ops import SearchCandidate
from .tables import (
    TRIAL_STATUSES,
    CorrectionFamilyRow,
    HypothesisVersionRow,
    LeverRow,
    RunRow,
    TrialRow,
    VerdictRow,
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


_T = TypeVar("_T")


class Ledger:
    """Open (and for SQLite, create/upgrade) the ledger at `url`.

    `check_schema=False` skips the revision check (for `ledger upgrade` itself);
    `auto_upgrade` defaults to True for SQLite and False for servers; `clock` returns aware
    UTC times (injectable for tests); `claim_policy` is the heartbeat interval and grace
    period every claimer of this ledger uses (`ledger.claims`; tests shorten it).
    """

    def __init__(
        self,
        url: str,
        *,
        check_schema: bool = True,
        auto_upgrade: bool | None = None,
        clock: Callable[[], datetime] | None = None,
        claim_policy: ClaimPolicy = DEFAULT_CLAIM_POLICY,
    ) -> None:
        parsed = parse_url(url)
        self.url = display_url(parsed)
        self._sqlite = is_sqlite(parsed)
        self._engine = make_engine(url)
        self._reader = reader(self._engine)
        self._clock = clock or _utcnow
        self.claim_policy = claim_policy
        if check_schema:
            auto = self._sqlite if auto_upgrade is None else auto_upgrade
            try:
                with translate_errors(f"ledger {self.url}: schema check"):
                    schema.check(self._engine, where=self.url, auto_upgrade=auto)
            except BaseException:
                self._engine.dispose()
                raise

    # --- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def upgrade(self) -> str:
        """Bring the schema to head (`alembic upgrade head`); returns the revision."""
        with translate_errors(f"ledger {self.url}: upgrade"):
            return schema.upgrade(self._engine)

    def schema_revision(self) -> str | None:
        with translate_errors(f"ledger {self.url}"):
            return schema.current_revision(self._engine)

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise LedgerError("the ledger clock must return timezone-aware times")
        return now.astimezone(UTC)

    @contextmanager
    def _write(self, what: str, *, races: bool = False) -> Iterator[Session]:
        """One writing transaction; `races=True` lets unique-key `IntegrityError`s through."""
        with (
            translate_errors(what, keep_integrity=races),
            Session(self._engine, expire_on_commit=False) as s,
            s.begin(),
        ):
            yield s

    def _write_rereading(self, what: str, body: Callable[[Session], _T], conflict: str) -> _T:
        """`body` in one writing transaction, run once more if it loses a unique-key race.

        `body` checks for an existing row before it inserts one, so the second time it finds
        the concurrent writer's row and checks it agrees with its own, instead of inserting.
        Losing twice is a `LedgerError` ("`conflict`: concurrent writers").
        """
        for attempt in (1, 2):
            try:
                with self._write(what, races=True) as s:
                    return body(s)
            except IntegrityError:
                if attempt == 2:
                    raise LedgerError(f"{conflict}: concurrent writers") from None
        raise AssertionError("unreachable")

    @contextmanager
    def _read(self, what: str) -> Iterator[Session]:
        with (
            translate_errors(what),
            Session(self._reader, expire_on_commit=False) as s,
            s.begin(),
        ):
            yield s

    # --- hypotheses -----------------------------------------------------------------------

    def register_hypothesis(
        self,
        h_canonical: Mapping[str, Any],
        content_hash: str,
        hypothesis_id: str,
        title: str,
        source_file: str | None,
        parent_hash: str | None = None,
        lever_id: str | None = None,
        depth: int = 0,
    ) -> HypothesisVersion:
        """Pre-register a version (idempotent on its hash; the hash is re-checked)."""
        inp = validated(
            HypothesisIn,
            content=dict(h_canonical),
            content_hash=content_hash,
            hypothesis_id=hypothesis_id,
            title=title,
            source_file=source_file,
            parent_hash=parent_hash,
            lever_id=lever_id,
            depth=depth,
        )
        what = f"register hypothesis {hypothesis_id}"
        return self._write_rereading(what, lambda s: self._register(s, inp), what)

    def _register(self, s: Session, inp: HypothesisIn) -> HypothesisVersion:
        existing = s.get(HypothesisVersionRow, inp.content_hash)
        if existing is not None:
            if (existing.hypothesis_id, existing.parent_hash, existing.lever_id) != (
                inp.hypothesis_id,
                inp.parent_hash,
                inp.lever_id,
            ):
                raise LedgerError(
                    f"hypothesis {inp.content_hash[:12]} is already registered as "
                    f"{existing.hypothesis_id!r} with other lineage"
                )
            return HypothesisVersion.of(existing)
        if inp.parent_hash is not None:
            parent = s.get(HypothesisVersionRow, inp.parent_hash)
            if parent is None:
                raise LedgerError(
                    f"cannot register {inp.hypothesis_id!r}: parent {inp.parent_hash[:12]} "
                    "is not registered"
                )
            if inp.depth != parent.depth + 1:
                raise LedgerError(
                    f"cannot register {inp.hypothesis_id!r}: depth {inp.depth} but its parent "
                    f"has depth {parent.depth}"
                )
        row = HypothesisVersionRow(
            content_hash=inp.content_hash,
            hypothesis_id=inp.hypothesis_id,
            title=inp.title,
            content=jsonutil.dumps(inp.content),
            source_file=inp.source_file,
            parent_hash=inp.parent_hash,
            lever_id=inp.lever_id,
            registered_at=self._now(),
            depth=inp.depth,
        )
        s.add(row)
        s.flush()
        return HypothesisVersion.of(row)

    def get_hypothesis(self, ref: str) -> HypothesisVersion | None:
        """By exact hash, unique hash prefix, or hypothesis id (latest version)."""
        with self._read("get hypothesis") as s:
            hashes = queries.hashes_for(s, ref)
            row = s.get(HypothesisVersionRow, hashes[-1]) if hashes else None
            return HypothesisVersion.of(row) if row is not None else None

    def hypotheses(self, hypothesis_id: str | None = None) -> list[HypothesisVersion]:
        with self._read("list hypotheses") as s:
            stmt = select(HypothesisVersionRow).order_by(
                col(HypothesisVersionRow.registered_at), col(HypothesisVersionRow.content_hash)
            )
            if hypothesis_id is not None:
                stmt = stmt.where(HypothesisVersionRow.hypothesis_id == hypothesis_id)
            return [HypothesisVersion.of(r) for r in s.exec(stmt)]

    def lineage(self, hash_or_id: str) -> list[HypothesisVersion]:
        """Ancestors (root first), the version(s) named, then all descendants."""
        with self._read("lineage") as s:
            return queries.lineage(s, hash_or_id)

    # --- runs -----------------------------------------------------------------------------

    def start_run(
        self,
        *,
        code_version: str,
        host: str,
        budget_seconds: float | None = None,
        workers: int = 1,
        runner: str = "local",
        hypotheses_dir: str | None = None,
        note: str | None = None,
    ) -> RunRecord:
        inp = validated(
            RunIn,
            budget_seconds=None if budget_seconds is None else float(budget_seconds),
            workers=workers,
            runner=runner,
            code_version=code_version,
            hypotheses_dir=hypotheses_dir,
            host=host,
            note=note,
        )
        now = self._now()
        with self._write("start run") as s:
            row = RunRow(**inp.model_dump(), status="running", started_at=now, last_heartbeat=now)
            s.add(row)
            s.flush()
            return RunRecord.of(row)

    def _run_row(self, s: Session, run_id: int) -> RunRow:
        row = s.exec(select(RunRow).where(RunRow.id == run_id).with_for_update()).first()
        if row is None:
            raise NotFoundError(f"no run {run_id}")
        return row

    def heartbeat_run(self, run_id: int) -> RunRecord:
        with self._write(f"heartbeat run {run_id}") as s:
            row = self._run_row(s, run_id)
            row.last_heartbeat = self._now()
            s.add(row)
            return RunRecord.of(row)

    def finish_run(
        self, run_id: int, status: str, summary: Mapping[str, Any] | None = None
    ) -> RunRecord:
        """End a run (idempotent with the same status and summary)."""
        inp = validated(RunEndIn, status=status, summary=None if summary is None else dict(summary))
        if inp.status == "running":
            raise LedgerError("finish_run needs a final status, not 'running'")
        try:
            text = None if inp.summary is None else jsonutil.dumps(inp.summary)
        except (TypeError, ValueError) as exc:
            raise LedgerError(f"run summary is not finite JSON: {exc}") from None
        with self._write(f"finish run {run_id}") as s:
            row = self._run_row(s, run_id)
            if row.status != "running":
                if (row.status, row.summary) == (inp.status, text):
                    return RunRecord.of(row)
                raise LedgerError(f"run {run_id} already ended as {row.status!r}")
            now = self._now()
            row.status = inp.status
            row.summary = text
            row.finished_at = now
            row.last_heartbeat = now
            s.add(row)
            return RunRecord.of(row)

    def get_run(self, run_id: int) -> RunRecord | None:
        with self._read("get run") as s:
            row = s.get(RunRow, run_id)
            return RunRecord.of(row) if row is not None else None

    def runs(self) -> list[RunRecord]:
        with self._read("list runs") as s:
            return [RunRecord.of(r) for r in s.exec(select(RunRow).order_by(col(RunRow.id)))]

    # --- trials ---------------------------------------------------------------------------

    def _trial_in(
        self,
        key: str,
        hypothesis_hash: str,
        cell_id: str,
        arm: str,
        seed: int,
        spec: Mapping[str, Any],
        run_id: int | None,
        worker: str | None,
        host: str | None,
        code_hash: str | None,
    ) -> TrialIn:
        return validated(
            TrialIn,
            key=key,
            hypothesis_hash=hypothesis_hash,
            cell_id=cell_id,
            arm=arm,
            seed=seed,
            spec=dict(spec),
            run_id=run_id,
            worker=worker,
            host=host,
            code_hash=code_hash,
        )

    def get_trial(self, key: str) -> TrialRecord | None:
        with self._read("get trial") as s:
            row = s.get(TrialRow, key)
            return TrialRecord.of(row) if row is not None else None

    def enqueue_trial(
        self,
        key: str,
        *,
        hypothesis_hash: str,
        cell_id: str,
        arm: str,
        seed: int,
        spec: Mapping[str, Any],
        run_id: int | None = None,
        code_hash: str | None = None,
    ) -> bool:
        """Record a planned trial as pending (no-op if the key exists); True if inserted.

        `code_hash` is the hash of the source the key was computed under (stored with the row).
        """
        inp = self._trial_in(
            key, hypothesis_hash, cell_id, arm, seed, spec, run_id, None, None, code_hash
        )
        try:
            with self._write(f"enqueue trial {key}", races=True) as s:
                return trial_ops.enqueue(s, inp, self._now())
        except IntegrityError:
            return False

    def enqueue_trials(self, trials: Sequence[Mapping[str, Any]]) -> int:
        """Record many planned trials as pending in one transaction; returns how many were new.

        Each item has the `enqueue_trial` fields (`key`, `hypothesis_hash`, `cell_id`, `arm`,
        `seed`, `spec`, optionally `run_id` and `code_hash`). This is how a run publishes its
        plan, so queue workers and other runs on the same ledger can share the work. If another
        process enqueues the same keys at the same moment, the batch is retried one trial at a
        time.
        """
        items = [
            self._trial_in(
                t["key"],
                t["hypothesis_hash"],
                t["cell_id"],
                t["arm"],
                t["seed"],
                t["spec"],
                t.get("run_id"),
                None,
                None,
                t.get("code_hash"),
            )
            for t in trials
        ]
        if not items:
            return 0
        try:
            with self._write(f"enqueue {len(items)} trials", races=True) as s:
                now = self._now()
                return sum(trial_ops.enqueue(s, inp, now) for inp in items)
        except IntegrityError:
            return sum(self.enqueue_trial(**dict(t)) for t in trials)

    def claim_trial(
        self,
        key: str,
        *,
        hypothesis_hash: str,
        cell_id: str,
        arm: str,
        seed: int,
        spec: Mapping[str, Any],
        run_id: int | None = None,
        worker: str | None = None,
        host: str | None = None,
        code_hash: str | None = None,
    ) -> bool:
        """Take a trial for this worker: True if the caller should run it now.

        Inserts it as running, or re-claims a pending/cut one, a crashed one that has crashed
        fewer than `MAX_CRASHES` times, or a running one whose holder is stale by
        `claim_policy` (which counts as a crash). A finished or failed trial is never claimed.
        """
        inp = self._trial_in(
            key, hypothesis_hash, cell_id, arm, seed, spec, run_id, worker, host, code_hash
        )
        try:
            with self._write(f"claim trial {key}", races=True) as s:
                return trial_ops.claim(s, inp, self._now(), self.claim_policy)
        except IntegrityError:
            return False  # another worker inserted the same key first

    def heartbeat_trial(self, key: str, worker: str | None = None) -> bool:
        """Keep a claim alive; False if the trial is no longer running (for this worker)."""
        with self._write(f"heartbeat trial {key}") as s:
            return trial_ops.heartbeat(s, key, worker, self._now())

    def finish_trial(
        self,
        key: str,
        metrics: Mapping[str, float],
        duration_s: float,
        host: str | None = None,
        device: str | None = None,
    ) -> TrialRecord:
        """Record a trial's metrics and the device they were computed on (a repeat with
        identical metrics is a no-op)."""
        result = validated(
            TrialResultIn, metrics=dict(metrics), duration_s=duration_s, host=host, device=device
        )
        with self._write(f"finish trial {key}") as s:
            return TrialRecord.of(trial_ops.finish(s, key, result, self._now()))

    def fail_trial(self, key: str, error: str) -> TrialRecord:
        # The error text is the engine's own message, to be kept rather than refused: a NUL
        # in it (quoted from anywhere) is written out so every backend can store it.
        text = str(error).replace("\x00", "\\x00")
        with self._write(f"fail trial {key}") as s:
            return TrialRecord.of(trial_ops.fail(s, key, text, self._now()))

    def crash_trial(self, key: str, reason: str) -> TrialRecord:
        """Record that a trial's process died under it: `crashed`, claimable again until it
        has crashed `MAX_CRASHES` times (a crash says nothing about the trial's result)."""
        with self._write(f"crash trial {key}") as s:
            return TrialRecord.of(trial_ops.crash(s, key, str(reason), self._now()))

    def mark_cut(self, keys: Sequence[str], reason: str) -> int:
        """Mark unfinished trials among `keys` as cut (by the budget); returns the count."""
        if isinstance(keys, str):
            raise LedgerError("mark_cut takes a sequence of keys, not one string")
        with self._write("mark trials cut") as s:
            return trial_ops.cut(s, list(keys), str(reason).replace("\x00", "\\x00"))

    def finished_trials(self, hypothesis_hash: str) -> list[TrialRecord]:
        return self.trials(hypothesis=hypothesis_hash, status="finished")

    def trials(
        self,
        hypothesis: str | None = None,
        status: str | None = None,
        run_id: int | None = None,
    ) -> list[TrialRecord]:
        """Trials filtered by hypothesis (hash, id or hash prefix), status and run."""
        if status is not None and status not in TRIAL_STATUSES:
            raise LedgerError(
                f"unknown trial status {status!r} (known: {', '.join(TRIAL_STATUSES)})"
            )
        with self._read("list trials") as s:
            stmt = select(TrialRow).order_by(
                col(TrialRow.hypothesis_hash),
                col(TrialRow.cell_id),
                col(TrialRow.arm),
                col(TrialRow.seed),
                col(TrialRow.key),
            )
            if hypothesis is not None:
                stmt = stmt.where(
                    col(TrialRow.hypothesis_hash).in_(queries.hashes_for(s, hypothesis))
                )
            if status is not None:
                stmt = stmt.where(TrialRow.status == status)
            if run_id is not None:
                stmt = stmt.where(TrialRow.run_id == run_id)
            return [TrialRecord.of(r) for r in s.exec(stmt)]

    # --- verdicts -------------------------------------------------------------------------

    def write_verdict(self, verdict: Any, *, recompute: bool = False) -> VerdictRecord:
        """Write the verdict of one (hypothesis version, cell): the judge's record as it is.

        `verdict` is any object (or mapping) with the verdict's fields (the engine's
        `CellVerdict`; see `VerdictIn`). Idempotent: the same finding again returns the current
        row. A different finding is refused unless `recompute=True`, which marks the current
        row superseded (kept, never deleted) and writes the new one. A family adjustment given
        with it is stored with it; one given for a finding that already has a different
        adjustment is refused (an adjusted outcome is stored once), except under `recompute`,
        which supersedes the row like a different finding (an explicit re-judgement, e.g. of a
        ledger adjusted under an older rule).
        """
        inp = validated_record(VerdictIn, verdict)
        where = f"{inp.hypothesis_hash[:12]} {inp.cell_id!r}"
        return self._write_rereading(
            f"write verdict {where}",
            lambda s: self._write_verdict(s, inp, recompute),
            f"verdict {where}",
        )

    def _write_verdict(self, s: Session, inp: VerdictIn, recompute: bool) -> VerdictRecord:
        if s.get(HypothesisVersionRow, inp.hypothesis_hash) is None:
            raise LedgerError(f"verdict: hypothesis {inp.hypothesis_hash[:12]} is not registered")
        stmt = (
            select(VerdictRow)
            .where(VerdictRow.hypothesis_hash == inp.hypothesis_hash)
            .where(VerdictRow.cell_id == inp.cell_id)
            .where(col(VerdictRow.superseded).is_(False))
            .with_for_update()
        )
        current = s.exec(stmt).first()
        if current is not None:
            stored = validated_record(VerdictIn, VerdictRecord.of(current))
            readjusted = (
                inp.adjusted_outcome is not None
                and stored.adjusted_outcome is not None
                and stored.adjustment() != inp.adjustment()
            )
            if stored.science() == inp.science() and not (readjusted and recompute):
                if inp.adjusted_outcome is not None:
                    _set_adjustment(current, stored, inp)
                    s.add(current)
                    s.flush()
                return VerdictRecord.of(current)
            if not recompute:
                raise LedgerError(
                    f"verdict {inp.hypothesis_hash[:12]} cell {inp.cell_id!r} already exists "
                    f"({current.outcome}) with a different result; pass recompute=True to "
                    "supersede it"
                )
            current.superseded = True
            s.add(current)
            s.flush()
        row = VerdictRow(
            **inp.model_dump(exclude={"seeds"}),
            seeds=jsonutil.dumps(list(inp.seeds)),
            created_at=self._now(),
            superseded=False,
        )
        s.add(row)
        s.flush()
        return VerdictRecord.of(row)

    def annotate_verdict(self, verdict_id: int, adjusted: Any) -> VerdictRecord:
        """Store a verdict's family adjustment (`adjusted`: an object or mapping with the
        `adjusted_*` fields and `correction`). Stored once: the same again is a no-op, a
        different one is refused, so a later run can never rewrite an adjusted outcome."""
        with self._write(f"annotate verdict {verdict_id}") as s:
            row = s.exec(
                select(VerdictRow).where(VerdictRow.id == verdict_id).with_for_update()
            ).first()
            if row is None:
                raise NotFoundError(f"no verdict {verdict_id}")
            stored = validated_record(VerdictIn, VerdictRecord.of(row))
            fields = {name: _field(adjusted, name) for name in ADJUSTMENT_FIELDS}
            inp = validated_record(VerdictIn, {**stored.model_dump(), **fields})
            if inp.adjusted_outcome is None:
                raise LedgerError(f"verdict {verdict_id}: an adjustment needs adjusted_outcome")
            _set_adjustment(row, stored, inp)
            s.add(row)
            return VerdictRecord.of(row)

    # --- correction families --------------------------------------------------------------

    def register_family(
        self,
        *,
        key: str,
        name: str,
        method: str,
        alpha: float,
        size: int,
        members: Sequence[str],
        run_id: int | None = None,
    ) -> FamilyRecord:
        """Record a correction family (idempotent on key; a different content is refused,
        and a version may belong to one family only)."""
        inp = validated(
            FamilyIn,
            key=key,
            name=name,
            method=method,
            alpha=float(alpha),
            size=size,
            members=tuple(members),
            run_id=run_id,
        )
        # Two runs starting on one ledger plan the same family from the same files.
        what = f"register family {key}"
        return self._write_rereading(what, lambda s: self._register_family(s, inp), what)

    def _register_family(self, s: Session, inp: FamilyIn) -> FamilyRecord:
        key = inp.key
        existing = s.get(CorrectionFamilyRow, inp.key)
        if existing is not None:
            record = FamilyRecord.of(existing)
            same = (record.name, record.method, record.alpha, record.size, record.members)
            if same != (inp.name, inp.method, inp.alpha, inp.size, inp.members):
                raise LedgerError(f"family {key!r} is already registered differently")
            return record
        for h in inp.members:
            if s.get(HypothesisVersionRow, h) is None:
                raise LedgerError(f"family {key!r}: member {h[:12]} is not registered")
            other = queries.family_of(s, h)
            if other is not None:
                raise LedgerError(
                    f"family {key!r}: member {h[:12]} already belongs to family {other.key!r}"
                )
        row = CorrectionFamilyRow(
            **inp.model_dump(exclude={"members"}),
            members=jsonutil.dumps(list(inp.members)),
            registered_at=self._now(),
        )
        s.add(row)
        s.flush()
        return FamilyRecord.of(row)

    def families(self) -> list[FamilyRecord]:
        with self._read("list families") as s:
            stmt = select(CorrectionFamilyRow).order_by(col(CorrectionFamilyRow.key))
            return [FamilyRecord.of(r) for r in s.exec(stmt)]

    def family_of(self, hypothesis_hash: str) -> FamilyRecord | None:
        """The family a version was registered into (None: none, e.g. a sanity check)."""
        with self._read("family of") as s:
            return queries.family_of(s, hypothesis_hash)

    def complete_family(self, key: str) -> FamilyRecord:
        """Mark a family complete (its adjustment stored); idempotent."""
        with self._write(f"complete family {key}") as s:
            row = s.get(CorrectionFamilyRow, key)
            if row is None:
                raise NotFoundError(f"no family {key!r}")
            if row.completed_at is None:
                row.completed_at = self._now()
                s.add(row)
                s.flush()
            return FamilyRecord.of(row)

    def verdicts(
        self,
        current_only: bool = True,
        hypothesis: str | None = None,
        run_id: int | None = None,
        outcome: str | None = None,
    ) -> list[VerdictRecord]:
        with self._read("list verdicts") as s:
            stmt = select(VerdictRow).order_by(col(VerdictRow.id))
            if current_only:
                stmt = stmt.where(col(VerdictRow.superseded).is_(False))
            if hypothesis is not None:
                stmt = stmt.where(
                    col(VerdictRow.hypothesis_hash).in_(queries.hashes_for(s, hypothesis))
                )
            if run_id is not None:
                stmt = stmt.where(VerdictRow.run_id == run_id)
            if outcome is not None:
                stmt = stmt.where(VerdictRow.outcome == outcome)
            return [VerdictRecord.of(r) for r in s.exec(stmt)]

    # --- levers ---------------------------------------------------------------------------

    def add_lever(
        self,
        *,
        parent_hash: str,
        lever_id: str,
        when: str,
        child_hash: str | None = None,
        next_id: str | None = None,
        verdict_id: int | None = None,
        run_id: int | None = None,
    ) -> LeverRecord:
        """Record that a lever fired (idempotent on parent + lever id)."""
        inp = validated(
            LeverIn,
            parent_hash=parent_hash,
            lever_id=lever_id,
            when=when,
            child_hash=child_hash,
            next_id=next_id,
            verdict_id=verdict_id,
            run_id=run_id,
        )
        try:
            with self._write(f"add lever {lever_id}", races=True) as s:
                return self._add_lever(s, inp)
        except IntegrityError:
            with self._read("add lever") as s:
                return self._existing_lever(s, inp)

    def _existing_lever(self, s: Session, inp: LeverIn) -> LeverRecord:
        row = s.exec(
            select(LeverRow)
            .where(LeverRow.parent_hash == inp.parent_hash)
            .where(LeverRow.lever_id == inp.lever_id)
        ).first()
        if row is None:
            raise LedgerError(f"lever {inp.lever_id!r} could not be recorded")
        if (row.child_hash, row.next_id, row.when) != (inp.child_hash, inp.next_id, inp.when):
            raise LedgerError(
                f"lever {inp.lever_id!r} of {inp.parent_hash[:12]} is already recorded "
                "with a different target"
            )
        return LeverRecord.of(row)

    def _add_lever(self, s: Session, inp: LeverIn) -> LeverRecord:
        if s.get(HypothesisVersionRow, inp.parent_hash) is None:
            raise LedgerError(
                f"lever {inp.lever_id!r}: parent {inp.parent_hash[:12]} not registered"
            )
        if inp.child_hash is not None:
            child = s.get(HypothesisVersionRow, inp.child_hash)
            if child is None:
                raise LedgerError(
                    f"lever {inp.lever_id!r}: child {inp.child_hash[:12]} is not registered "
                    "(pre-register the child first)"
                )
            if child.parent_hash != inp.parent_hash:
                raise LedgerError(
                    f"lever {inp.lever_id!r}: child {inp.child_hash[:12]} is not derived from "
                    f"{inp.parent_hash[:12]}"
                )
        existing = s.exec(
            select(LeverRow)
            .where(LeverRow.parent_hash == inp.parent_hash)
            .where(LeverRow.lever_id == inp.lever_id)
        ).first()
        if existing is not None:
            return self._existing_lever(s, inp)
        row = LeverRow(**inp.model_dump(), created_at=self._now())
        s.add(row)
        s.flush()
        return LeverRecord.of(row)

    def levers(self, parent_hash: str | None = None) -> list[LeverRecord]:
        with self._read("list levers") as s:
            stmt = select(LeverRow).order_by(col(LeverRow.id))
            if parent_hash is not None:
                stmt = stmt.where(LeverRow.parent_hash == parent_hash)
            return [LeverRecord.of(r) for r in s.exec(stmt)]

    # --- configuration search ----------------------------------------------------------

    def add_candidate(self, **fields: Any) -> SearchCandidate:
        """Write a proposed or refused search candidate (idempotent on its slot); the fields
        are those of `ledger.search_ops.add`."""
        with self._write(f"add search candidate {fields.get('idx')}") as s:
            return search_ops.add(s, self._now(), **fields)

    def add_candidates(self, rows: Sequence[Mapping[str, Any]]) -> list[SearchCandidate]:
        """Write a whole generation of candidates in one transaction: a process killed while
        it writes leaves all of them or none, so a resumed search never finds half a
        generation and proposes the rest from a different history."""
        with self._write(f"add {len(rows)} search candidate(s)") as s:
            return [search_ops.add(s, self._now(), **fields) for fields in rows]

    def settle_candidate(self, candidate_id: int, **fields: Any) -> SearchCandidate:
        """Record a candidate's score and keep decision (once); see `search_ops.settle`."""
        with self._write(f"settle search candidate {candidate_id}") as s:
            return search_ops.settle(s, candidate_id, **fields)

    def flag_candidate(self, candidate_id: int, recheck_key: str) -> SearchCandidate:
        with self._write(f"flag search candidate {candidate_id}") as s:
            return search_ops.flag(s, candidate_id, recheck_key)

    def candidates(
        self, search_hash: str | None = None, search_seed: int | None = None
    ) -> list[SearchCandidate]:
        """Search candidates in (search, seed, idx) order."""
        with self._read("list search candidates") as s:
            return search_ops.listing(s, search_hash, search_seed)

    # --- any row, everything --------------------------------------------------------------

    def get(self, ref: str) -> Record:
        """Any row by `kind:value` or a bare id / hash / key (prefixes of >= 4 characters)."""
        with self._read(f"get {ref!r}") as s:
            return queries.get(s, ref)

    def export(self) -> dict[str, Any]:
        """Everything, JSON-serializable: {schema_revision, hypotheses, runs, trials, ...}."""
        data: dict[str, Any] = {"schema_revision": self.schema_revision()}
        with self._read("export") as s:
            data.update(queries.export(s))
            data["search_candidates"] = [c.to_dict() for c in search_ops.listing(s)]
        return data


def _field(source: Any, name: str) -> Any:
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)


def validated_record(model: type[VerdictIn], source: Any) -> VerdictIn:
    """`VerdictIn` from an object's attributes or a mapping, as one-line `LedgerError`s."""
    if isinstance(source, Mapping):
        return validated(model, **dict(source))
    try:
        return model.model_validate(source, from_attributes=True)
    except ValidationError as exc:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise LedgerError(f"invalid {model.__name__}: " + "; ".join(parts)) from None


def _set_adjustment(row: VerdictRow, stored: VerdictIn, inp: VerdictIn) -> None:
    """Write the adjustment onto the row, unless a different one is already there."""
    if stored.adjusted_outcome is not None:
        if stored.adjustment() != inp.adjustment():
            raise LedgerError(
                f"verdict {row.id}: its family-adjusted outcome is already stored "
                f"({stored.adjusted_outcome}, {stored.correction}) and is never rewritten"
            )
        return
    for name, value in inp.adjustment().items():
        setattr(row, name, value)
