"""Validated inputs: every write is checked here before a table row is built.

SQLModel table models skip validation, so without this layer a wrong type or an out-of-range
value would surface as a database error mid-transaction (or, on SQLite, be stored as is).
Violations become `LedgerError` with the field and reason in one line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from . import jsonutil
from .errors import LedgerError

_HASH = re.compile(r"^[0-9a-f]{64}$")

RunStatus = Literal["running", "finished", "budget_exhausted", "failed", "interrupted"]
Outcome = Literal["confirmed", "refuted", "inconclusive"]
EffectKind = Literal["difference", "ratio", "value"]


def _hash(value: str | None) -> str | None:
    if value is not None and not _HASH.match(value):
        raise ValueError(f"must be a 64-character lowercase sha256 hex digest, got {value!r}")
    return value


def _nonempty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"must be finite, got {value!r}")
    return value


INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def storable_problem(value: Any) -> str | None:
    """Why `value` (a tree of JSON-like values) cannot be stored by every ledger, or None.

    PostgreSQL refuses a NUL character in text and in JSON, and every backend stores integers
    in 64-bit columns (SQLite raises OverflowError past them, after earlier rows of the same
    operation were written). Checked on every input, whatever its field, so a new field is
    covered without saying so.
    """
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return f"{where or 'text'}: contains a NUL character, which PostgreSQL cannot store"
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                return (
                    f"{where or 'integer'}: a {item.bit_length()}-bit integer does not fit a "
                    "64-bit integer column"
                )
        elif isinstance(item, Mapping):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and "\x00" in key:
                    return f"{where or 'key'}: a key contains a NUL character"
                stack.append((child, name))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
    return None


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        problem = storable_problem(data)
        if problem is not None:
            raise ValueError(problem)
        return data


M = TypeVar("M", bound=_In)


def validated(model: type[M], **values: Any) -> M:
    """Build `model` or raise one-line `LedgerError`s naming the fields."""
    try:
        return model(**values)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or model.__name__
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
            parts.append(f"{where}: {msg}")
        raise LedgerError(f"invalid {model.__name__}: " + "; ".join(parts)) from None


class HypothesisIn(_In):
    content: dict[str, Any]
    content_hash: StrictStr
    hypothesis_id: StrictStr
    title: StrictStr
    source_file: StrictStr | None = None
    parent_hash: StrictStr | None = None
    lever_id: StrictStr | None = None
    depth: StrictInt = Field(default=0, ge=0)

    _hashes = field_validator("content_hash", "parent_hash")(_hash)
    _texts = field_validator("hypothesis_id")(_nonempty)

    @model_validator(mode="after")
    def _consistent(self) -> HypothesisIn:
        try:
            actual = jsonutil.digest(self.content)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"content is not canonical JSON: {exc}") from None
        if actual != self.content_hash:
            raise ValueError(
                f"content_hash {self.content_hash[:12]}... is not the sha256 of the canonical "
                f"content ({actual[:12]}...)"
            )
        derived = self.parent_hash is not None
        if derived != (self.lever_id is not None) or derived != (self.depth > 0):
            raise ValueError(
                "parent_hash, lever_id and depth > 0 go together (a derived child has all three)"
            )
        return self


class RunIn(_In):
    budget_seconds: StrictFloat | None = Field(default=None, ge=0)
    workers: StrictInt = Field(ge=1)
    runner: StrictStr
    code_version: StrictStr
    hypotheses_dir: StrictStr | None = None
    host: StrictStr
    note: StrictStr | None = None

    _budget = field_validator("budget_seconds")(_finite)


class RunEndIn(_In):
    status: RunStatus
    summary: dict[str, Any] | None = None


class TrialIn(_In):
    key: StrictStr
    hypothesis_hash: StrictStr
    cell_id: StrictStr
    arm: StrictStr
    seed: StrictInt = Field(ge=0)
    spec: dict[str, Any]
    run_id: StrictInt | None = None
    worker: StrictStr | None = None
    host: StrictStr | None = None
    code_hash: StrictStr | None = None

    _key = field_validator("key", "arm")(_nonempty)
    _hash = field_validator("hypothesis_hash", "code_hash")(_hash)

    @field_validator("spec")
    @classmethod
    def _spec(cls, v: dict[str, Any]) -> dict[str, Any]:
        try:
            jsonutil.dumps(v)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"spec must be finite JSON: {exc}") from None
        return v


class TrialResultIn(_In):
    metrics: dict[str, StrictFloat | StrictInt]
    duration_s: StrictFloat | StrictInt = Field(ge=0)
    host: StrictStr | None = None
    device: StrictStr | None = None


class VerdictIn(_In):
    hypothesis_hash: StrictStr
    cell_id: StrictStr
    outcome: Outcome
    effect_metric: StrictStr
    effect_kind: EffectKind
    estimate: StrictFloat | None
    ci_low: StrictFloat | None
    ci_high: StrictFloat | None
    confidence: StrictFloat = Field(gt=0, lt=1)
    ci_method: StrictStr
    n: StrictInt = Field(ge=0)
    seeds: tuple[StrictInt, ...]
    degenerate: StrictBool
    rule: StrictStr
    p_value: StrictFloat | None = Field(default=None, ge=0, le=1)
    alpha: StrictFloat | None = Field(default=None, gt=0, lt=1)
    family: StrictStr | None = None
    adjusted_outcome: Outcome | None = None
    adjusted_p: StrictFloat | None = Field(default=None, ge=0, le=1)
    adjusted_alpha: StrictFloat | None = Field(default=None, gt=0, lt=1)
    adjusted_ci_low: StrictFloat | None = None
    adjusted_ci_high: StrictFloat | None = None
    correction: StrictStr | None = None
    run_id: StrictInt | None = None

    model_config = ConfigDict(extra="ignore", frozen=True, from_attributes=True)

    _hash = field_validator("hypothesis_hash")(_hash)
    _text = field_validator("effect_metric", "ci_method", "rule")(_nonempty)
    _numbers = field_validator(
        "estimate", "ci_low", "ci_high", "adjusted_ci_low", "adjusted_ci_high"
    )(_finite)

    @model_validator(mode="after")
    def _interval(self) -> VerdictIn:
        # An end may be absent: a one-sided bound the test cannot reach at its level.
        if self.ci_low is not None and self.ci_high is not None and self.ci_low > self.ci_high:
            raise ValueError(f"ci_low {self.ci_low} > ci_high {self.ci_high}")
        lo, hi = self.adjusted_ci_low, self.adjusted_ci_high
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"adjusted_ci_low {lo} > adjusted_ci_high {hi}")
        return self

    def science(self) -> Mapping[str, Any]:
        """The fields that make two verdicts the same finding (not when/which run, nor the
        family's adjustment, which is stored once and checked on its own)."""
        return self.model_dump(exclude={"run_id", *ADJUSTMENT_FIELDS})

    def adjustment(self) -> Mapping[str, Any]:
        """The family-adjusted part (all None until the family is complete)."""
        return self.model_dump(include=set(ADJUSTMENT_FIELDS))


ADJUSTMENT_FIELDS: tuple[str, ...] = (
    "adjusted_outcome",
    "adjusted_p",
    "adjusted_alpha",
    "adjusted_ci_low",
    "adjusted_ci_high",
    "correction",
)


class FamilyIn(_In):
    key: StrictStr
    name: StrictStr
    method: Literal["holm", "bh"]
    alpha: StrictFloat = Field(gt=0, lt=1)
    size: StrictInt = Field(ge=1)
    members: tuple[StrictStr, ...] = Field(min_length=1)
    run_id: StrictInt | None = None

    _key = field_validator("key", "name")(_nonempty)

    @field_validator("members")
    @classmethod
    def _members(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for h in v:
            _hash(h)
        if len(set(v)) != len(v):
            raise ValueError("members repeat a hypothesis version")
        return tuple(sorted(v))


class LeverIn(_In):
    parent_hash: StrictStr
    lever_id: StrictStr
    when: Outcome
    child_hash: StrictStr | None = None
    next_id: StrictStr | None = None
    verdict_id: StrictInt | None = None
    run_id: StrictInt | None = None

    _hashes = field_validator("parent_hash", "child_hash")(_hash)

    @model_validator(mode="after")
    def _one(self) -> LeverIn:
        if (self.child_hash is None) == (self.next_id is None):
            raise ValueError("a lever has exactly one of child_hash or next_id")
        return self
