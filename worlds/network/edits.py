"""The twelve graph edits a network delta is made of, and their tagged-dict form.

Edits are frozen and compare structurally (class and fields), so a delta can be counted as a
multiset directly: that is what bits-to-correct and delta-exact do.

One deliberate change from the seed: a link edit stores its endpoints as the sorted pair.
The seed kept the action's argument order (`link_up h1 h0` gave `LinkAdd("h1", "h0")`), so two
predictions that produce the same state could differ by 36 bits-to-correct. Here
`LinkAdd("h1", "h0") == LinkAdd("h0", "h1")`, decoding a seed record sorts the pair, and states
are unaffected (the seed's `apply` already sorted the pair when storing the link).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from worlds.base import DeltaFormatError


@dataclass(frozen=True, slots=True)
class HostUp:
    op: ClassVar[str] = "host_up"
    host: str


@dataclass(frozen=True, slots=True)
class HostDown:
    op: ClassVar[str] = "host_down"
    host: str


@dataclass(frozen=True, slots=True)
class LinkAdd:
    """Endpoints are stored sorted (`a <= b`), whatever order they were given in."""

    op: ClassVar[str] = "link_add"
    a: str
    b: str

    def __post_init__(self) -> None:
        if self.b < self.a:
            a, b = self.b, self.a
            object.__setattr__(self, "a", a)
            object.__setattr__(self, "b", b)


@dataclass(frozen=True, slots=True)
class LinkDel:
    """Endpoints are stored sorted (`a <= b`), whatever order they were given in."""

    op: ClassVar[str] = "link_del"
    a: str
    b: str

    def __post_init__(self) -> None:
        if self.b < self.a:
            a, b = self.b, self.a
            object.__setattr__(self, "a", a)
            object.__setattr__(self, "b", b)


@dataclass(frozen=True, slots=True)
class SvcUp:
    op: ClassVar[str] = "svc_up"
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class SvcDown:
    op: ClassVar[str] = "svc_down"
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class FwDeny:
    op: ClassVar[str] = "fw_deny"
    host: str
    src: str


@dataclass(frozen=True, slots=True)
class FwAllow:
    op: ClassVar[str] = "fw_allow"
    host: str
    src: str


@dataclass(frozen=True, slots=True)
class FlowOpen:
    op: ClassVar[str] = "flow_open"
    src: str
    dst: str
    port: int


@dataclass(frozen=True, slots=True)
class FlowClose:
    op: ClassVar[str] = "flow_close"
    src: str
    dst: str
    port: int


@dataclass(frozen=True, slots=True)
class ClockAdvance:
    op: ClassVar[str] = "clock_advance"
    amount: int = 1


@dataclass(frozen=True, slots=True)
class SetResult:
    op: ClassVar[str] = "set_result"
    exit_code: int


NetEdit = (
    HostUp
    | HostDown
    | LinkAdd
    | LinkDel
    | SvcUp
    | SvcDown
    | FwDeny
    | FwAllow
    | FlowOpen
    | FlowClose
    | ClockAdvance
    | SetResult
)

EDIT_TYPES: tuple[type[NetEdit], ...] = (
    HostUp,
    HostDown,
    LinkAdd,
    LinkDel,
    SvcUp,
    SvcDown,
    FwDeny,
    FwAllow,
    FlowOpen,
    FlowClose,
    ClockAdvance,
    SetResult,
)

# Field names and kinds per op, in the seed's dict order: "s" = text, "i" = integer.
_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "host_up": (("host", "s"),),
    "host_down": (("host", "s"),),
    "link_add": (("a", "s"), ("b", "s")),
    "link_del": (("a", "s"), ("b", "s")),
    "svc_up": (("host", "s"), ("port", "i")),
    "svc_down": (("host", "s"), ("port", "i")),
    "fw_deny": (("host", "s"), ("src", "s")),
    "fw_allow": (("host", "s"), ("src", "s")),
    "flow_open": (("src", "s"), ("dst", "s"), ("port", "i")),
    "flow_close": (("src", "s"), ("dst", "s"), ("port", "i")),
    "clock_advance": (("amount", "i"),),
    "set_result": (("exit_code", "i"),),
}
_BY_OP: dict[str, type[NetEdit]] = {cls.op: cls for cls in EDIT_TYPES}

# Results are the commonest edit; three shared instances spare an allocation per step.
RESULT_OK = SetResult(0)
RESULT_FAIL = SetResult(1)
RESULT_BAD_ARGS = SetResult(2)

_EDIT_TYPE_SET: frozenset[type] = frozenset(EDIT_TYPES)


def require_edits(delta: Sequence[Any], what: str = "delta") -> None:
    """Raise DeltaFormatError unless every item is one of the twelve edit types."""
    for i, edit in enumerate(delta):
        if type(edit) not in _EDIT_TYPE_SET:
            raise DeltaFormatError(f"{what}[{i}] is not a network edit: {edit!r}")


def edit_symbols(edit: NetEdit) -> int:
    """Description length in symbols: one for the op plus one per field (the seed's cost)."""
    return 1 + len(_FIELDS[edit.op])


def edit_to_dict(edit: NetEdit) -> dict[str, Any]:
    """The seed's tagged dict: `{"op": tag, field: value, ...}`."""
    out: dict[str, Any] = {"op": edit.op}
    for name, _kind in _FIELDS[edit.op]:
        out[name] = getattr(edit, name)
    return out


def _field(d: Mapping[str, Any], op: str, name: str, kind: str) -> Any:
    if name not in d:
        raise DeltaFormatError(f"edit {op!r} is missing field {name!r}: {dict(d)!r}")
    value = d[name]
    if kind == "s":
        if not isinstance(value, str):
            raise DeltaFormatError(f"edit {op!r} field {name!r} must be a string, got {value!r}")
        return value
    # The seed casts with int(); accept integral numbers and digit strings, never booleans.
    if isinstance(value, bool):
        raise DeltaFormatError(f"edit {op!r} field {name!r} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise DeltaFormatError(f"edit {op!r} field {name!r} must be an integer, got {value!r}")


def edit_from_dict(d: Mapping[str, Any]) -> NetEdit:
    """Inverse of `edit_to_dict`; unknown ops, missing or mistyped fields raise."""
    if not isinstance(d, Mapping):
        raise DeltaFormatError(f"an edit must be a dict, got {type(d).__name__}: {d!r}")
    op = d.get("op")
    if not isinstance(op, str) or op not in _BY_OP:
        raise DeltaFormatError(f"unknown edit op {op!r}; known: {', '.join(_BY_OP)}")
    fields = _FIELDS[op]
    extra = set(d) - {"op"} - {name for name, _ in fields}
    if extra:
        raise DeltaFormatError(f"edit {op!r} has unknown fields {sorted(extra)!r}")
    values = [_field(d, op, name, kind) for name, kind in fields]
    return _BY_OP[op](*values)
