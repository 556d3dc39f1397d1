"""Read-side lookups: resolving references, lineage, and the full export.

Kept apart from the writes so the CLI's "show me anything by id, hash or key prefix" logic
does not clutter the transactional code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from .errors import LedgerError, NotFoundError
from .records import (
    FamilyRecord,
    HypothesisVersion,
    LeverRecord,
    Record,
    RunRecord,
    TrialRecord,
    VerdictRecord,
)
from .tables import (
    CorrectionFamilyRow,
    HypothesisVersionRow,
    LeverRow,
    RunRow,
    TrialRow,
    VerdictRow,
)

T = TypeVar("T")
MIN_PREFIX = 4
_KINDS = ("hypothesis", "run", "trial", "verdict", "lever")


def versions_by_id(session: Session, hypothesis_id: str) -> list[HypothesisVersionRow]:
    stmt = (
        select(HypothesisVersionRow)
        .where(HypothesisVersionRow.hypothesis_id == hypothesis_id)
        .order_by(col(HypothesisVersionRow.registered_at), col(HypothesisVersionRow.content_hash))
    )
    return list(session.exec(stmt))


def family_of(session: Session, hypothesis_hash: str) -> FamilyRecord | None:
    """The family whose registered members include this version (families are few)."""
    for row in session.exec(select(CorrectionFamilyRow)):
        record = FamilyRecord.of(row)
        if hypothesis_hash in record.members:
            return record
    return None


def versions_by_prefix(session: Session, prefix: str) -> list[HypothesisVersionRow]:
    if len(prefix) < MIN_PREFIX:
        return []
    stmt = (
        select(HypothesisVersionRow)
        .where(col(HypothesisVersionRow.content_hash).startswith(prefix, autoescape=True))
        .order_by(col(HypothesisVersionRow.content_hash))
        .limit(10)
    )
    return list(session.exec(stmt))


def hashes_for(session: Session, hypothesis: str) -> list[str]:
    """Content hashes named by an exact hash, a hypothesis id, or a unique hash prefix."""
    exact = session.get(HypothesisVersionRow, hypothesis)
    if exact is not None:
        return [exact.content_hash]
    by_id = versions_by_id(session, hypothesis)
    if by_id:
        return [row.content_hash for row in by_id]
    by_prefix = versions_by_prefix(session, hypothesis)
    if len(by_prefix) > 1:
        raise LedgerError(f"hash prefix {hypothesis!r} is ambiguous: " + _names(by_prefix))
    return [row.content_hash for row in by_prefix]


def _names(rows: Iterable[Any]) -> str:
    out = []
    for row in rows:
        if isinstance(row, HypothesisVersionRow):
            out.append(f"hypothesis {row.content_hash[:12]} ({row.hypothesis_id})")
        elif isinstance(row, TrialRow):
            out.append(f"trial {row.key}")
        elif isinstance(row, RunRow):
            out.append(f"run {row.id}")
    return ", ".join(out)


def lineage(session: Session, ref: str) -> list[HypothesisVersion]:
    """Ancestors (root first), the named version(s), then descendants by depth."""
    start = hashes_for(session, ref)
    if not start:
        raise NotFoundError(f"no hypothesis version matches {ref!r}")
    ordered: list[HypothesisVersionRow] = []
    seen: set[str] = set()
    for content_hash in start:
        chain: list[HypothesisVersionRow] = []
        row = session.get(HypothesisVersionRow, content_hash)
        while row is not None and row.content_hash not in seen:
            chain.append(row)
            row = session.get(HypothesisVersionRow, row.parent_hash) if row.parent_hash else None
        for item in reversed(chain):
            if item.content_hash not in seen:
                seen.add(item.content_hash)
                ordered.append(item)
    frontier = list(start)
    descendants: list[HypothesisVersionRow] = []
    while frontier:
        stmt = select(HypothesisVersionRow).where(
            col(HypothesisVersionRow.parent_hash).in_(frontier)
        )
        children = [c for c in session.exec(stmt) if c.content_hash not in seen]
        for child in children:
            seen.add(child.content_hash)
        descendants += children
        frontier = [c.content_hash for c in children]
    descendants.sort(key=lambda r: (r.depth, r.registered_at, r.hypothesis_id, r.content_hash))
    return [HypothesisVersion.of(r) for r in ordered + descendants]


def _row_id(value: str) -> int | None:
    """`value` as a row id when it is one: ASCII digits within a 64-bit integer column
    (`str.isdigit` alone accepts '²', and a longer number overflows the driver)."""
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if number <= 2**63 - 1 else None


def _by_kind(session: Session, kind: str, value: str) -> Record:
    if kind in ("run", "verdict", "lever"):
        row_id = _row_id(value)
        if row_id is None:
            raise LedgerError(f"{kind} ids are integers, got {value!r}")
        table: Any = {"run": RunRow, "verdict": VerdictRow, "lever": LeverRow}[kind]
        row = session.get(table, row_id)
        if row is None:
            raise NotFoundError(f"no {kind} {value}")
        maker: Any = {"run": RunRecord, "verdict": VerdictRecord, "lever": LeverRecord}[kind]
        result: Record = maker.of(row)
        return result
    if kind == "trial":
        trial = session.get(TrialRow, value)
        matches = [trial] if trial is not None else _trials_by_prefix(session, value)
        return TrialRecord.of(_one(matches, f"trial {value!r}"))
    hashes = hashes_for(session, value)
    if not hashes:
        raise NotFoundError(f"no hypothesis version matches {value!r}")
    latest = session.get(HypothesisVersionRow, hashes[-1])
    assert latest is not None
    return HypothesisVersion.of(latest)


def _trials_by_prefix(session: Session, prefix: str) -> list[TrialRow]:
    if len(prefix) < MIN_PREFIX:
        return []
    stmt = (
        select(TrialRow)
        .where(col(TrialRow.key).startswith(prefix, autoescape=True))
        .order_by(col(TrialRow.key))
        .limit(10)
    )
    return list(session.exec(stmt))


def _one(matches: list[T], what: str) -> T:
    if not matches:
        raise NotFoundError(f"nothing matches {what}")
    if len(matches) > 1:
        raise LedgerError(f"{what} is ambiguous: {_names(matches)}")
    return matches[0]


def get(session: Session, ref: str) -> Record:
    """Resolve `kind:value` (hypothesis|run|trial|verdict|lever) or a bare reference.

    A bare reference is tried as a hypothesis id (latest version), an exact hash or trial
    key, a hash or key prefix (at least 4 characters), then a run id.
    """
    ref = ref.strip()
    kind, sep, value = ref.partition(":")
    if sep and kind in _KINDS:
        return _by_kind(session, kind, value)
    by_id = versions_by_id(session, ref)
    if by_id:
        return HypothesisVersion.of(by_id[-1])
    exact = session.get(HypothesisVersionRow, ref)
    if exact is not None:
        return HypothesisVersion.of(exact)
    trial = session.get(TrialRow, ref)
    if trial is not None:
        return TrialRecord.of(trial)
    matches: list[Any] = versions_by_prefix(session, ref) + _trials_by_prefix(session, ref)
    run_id = _row_id(ref)
    if run_id is not None:
        run = session.get(RunRow, run_id)
        if run is not None:
            matches.append(run)
    row = _one(matches, repr(ref))
    if isinstance(row, HypothesisVersionRow):
        return HypothesisVersion.of(row)
    if isinstance(row, TrialRow):
        return TrialRecord.of(row)
    return RunRecord.of(row)


def export(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table as JSON-serializable dicts, in a stable order."""
    hyps = session.exec(
        select(HypothesisVersionRow).order_by(
            col(HypothesisVersionRow.registered_at), col(HypothesisVersionRow.content_hash)
        )
    )
    runs = session.exec(select(RunRow).order_by(col(RunRow.id)))
    trials = session.exec(select(TrialRow).order_by(col(TrialRow.key)))
    verdicts = session.exec(select(VerdictRow).order_by(col(VerdictRow.id)))
    levers = session.exec(select(LeverRow).order_by(col(LeverRow.id)))
    families = session.exec(select(CorrectionFamilyRow).order_by(col(CorrectionFamilyRow.key)))
    return {
        "hypotheses": [HypothesisVersion.of(r).to_dict() for r in hyps],
        "runs": [RunRecord.of(r).to_dict() for r in runs],
        "trials": [TrialRecord.of(r).to_dict() for r in trials],
        "verdicts": [VerdictRecord.of(r).to_dict() for r in verdicts],
        "levers": [LeverRecord.of(r).to_dict() for r in levers],
        "families": [FamilyRecord.of(r).to_dict() for r in families],
    }
