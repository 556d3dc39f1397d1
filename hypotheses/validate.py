"""From a plain mapping (a parsed TOML file, a ledger row) to a `Hypothesis`, or to errors.

Pydantic's own messages speak of "inputs" and Python types; an author of a TOML file needs
the dotted field and a reason in TOML terms. This module translates, and adds the catalog
checks, so every entry point (file, ledger content, derived child) reports problems the same
way.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .catalog import Catalog
from .checks import catalog_problems
from .errors import HypothesisError, HypothesisErrors
from .limits import document_problem
from .model import Arm, Decision, Effect, Hypothesis, Lever, Seeds
from .search import Range, Search

_MODELS: tuple[type[BaseModel], ...] = (
    Hypothesis, Arm, Seeds, Effect, Decision, Lever, Search, Range,
)  # fmt: skip
_FIELD_NAMES = sorted(
    {(f.alias or name) for model in _MODELS for name, f in model.model_fields.items()}
)

_EXPECTED = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "a boolean",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "list_type": "an array",
    "tuple_type": "an array",
}
_TOML_TYPES = {
    bool: "boolean",
    int: "integer",
    float: "float",
    str: "string",
    dict: "table",
    list: "array",
}


def _describe(value: Any) -> str:
    kind = _TOML_TYPES.get(type(value), type(value).__name__)
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{kind} {text}"


def dotted(loc: tuple[int | str, ...]) -> str:
    """`('levers', 1, 'set')` -> `levers[1].set`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _reason(err: ErrorDetails) -> tuple[str | None, str]:
    """(field override or None, reason) for one pydantic error."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "cross_field":
        return str(ctx.get("field") or ""), str(ctx.get("reason"))
    if kind == "missing":
        return None, "required field is missing"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1]) if err["loc"] else ""
        close = difflib.get_close_matches(name, _FIELD_NAMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return None, f"unknown field {name!r}{hint}"
    if kind == "literal_error":
        return None, f"must be {ctx.get('expected')}, got {value!r}"
    if kind in _EXPECTED:
        return None, f"expected {_EXPECTED[kind]}, got {_describe(value)}"
    if kind in ("value_error", "assertion_error"):
        return None, str(ctx.get("error", err["msg"]))
    return None, err["msg"]


def _field_for(err: ErrorDetails, override: str | None) -> str:
    base = dotted(err["loc"])
    if not override:
        return base
    return f"{base}.{override}" if base else override


def pydantic_errors(exc: ValidationError, file: str) -> list[HypothesisError]:
    """Translate every error of a failed validation, in pydantic's (field) order."""
    out: list[HypothesisError] = []
    for err in exc.errors():
        override, reason = _reason(err)
        field = _field_for(err, override)
        out.append(HypothesisError(file, field, reason))
    return out


def hypothesis_problems(
    data: Mapping[str, Any], *, file: str, catalog: Catalog | None
) -> tuple[Hypothesis | None, list[HypothesisError]]:
    """Validate `data` against the limits, structurally, then against `catalog` when given.

    The limits come first: they bound the work of everything after them (the schema, the grid,
    the catalog's checks), whatever field a value sits in.
    """
    limit = document_problem(data)
    if limit is not None:
        return None, [HypothesisError(file, limit.field, limit.reason)]
    try:
        h = Hypothesis.model_validate(dict(data))
    except ValidationError as exc:
        return None, pydantic_errors(exc, file)
    if catalog is None:
        return h, []
    return h, [HypothesisError(file, f, r) for f, r in catalog_problems(h, catalog)]


def parse_hypothesis(
    data: Mapping[str, Any], *, file: str = "<memory>", catalog: Catalog | None = None
) -> Hypothesis:
    """A validated `Hypothesis` from a mapping, e.g. a ledger row's canonical content.

    Raises `HypothesisError` (a `HypothesisErrors` when there are several problems).
    """
    h, problems = hypothesis_problems(data, file=file, catalog=catalog)
    if problems:
        raise problems[0] if len(problems) == 1 else HypothesisErrors(problems)
    assert h is not None
    return h
