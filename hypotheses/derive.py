"""Levers: deriving a child hypothesis from a parent and one pre-registered `set` lever.

The child is the parent's canonical content with the lever's dotted paths replaced, its own
id (`<parent id>/<lever id>`), its parent's content hash, and the parent's levers (so the
ratchet can go on). Two guards keep this honest:

- a path must name something that exists in a hypothesis (no new arms, no made-up fields),
  and the effect and decision rule cannot be moved by a lever (the judge is not a knob);
- a lever id may appear only once in an id's ancestry (`H8/replicate/replicate` is refused),
  which bounds the depth of any lineage by the number of distinct lever ids.
"""

from __future__ import annotations

import copy
from typing import Any

from .catalog import Catalog
from .errors import HypothesisError, HypothesisErrors
from .model import Hypothesis, Lever
from .validate import hypothesis_problems

_FIXED_ROOTS = {
    "id": "the id of a child is '<parent id>/<lever id>', set by the engine",
    "parent": "the parent hash is set by the engine",
    "levers": "a child inherits its parent's levers",
    "effect": "the effect is fixed at pre-registration (write a new hypothesis to change it)",
    "decision": "the decision rule is fixed at pre-registration (the judge is not a knob)",
    "claim": "a child tests its parent's claim",
    "source": "a child keeps its parent's source",
    "title": "a child keeps its parent's title",
}
_SETTABLE_ROOTS = frozenset(
    {
        "params",
        "world_config",
        "grid",
        "arms",
        "seeds",
        "world",
        "experiment",
        "priority",
        "estimated_trial_seconds",
        "tags",
        "search",
    }
)
_OPEN_TABLES = {("params",), ("world_config",), ("grid",), ("search", "base"), ("search", "space")}
_ARM_FIELDS = ("overrides", "params", "proposer")


class PathError(ValueError):
    """A lever `set` path that does not name anything settable."""


def _allowed_keys(prefix: tuple[str, ...], node: dict[str, Any]) -> tuple[str, ...] | None:
    """Which keys may follow `prefix` (None: any key, i.e. an open table of parameters)."""
    if prefix in _OPEN_TABLES:
        return None
    if len(prefix) == 3 and prefix[0] == "arms" and prefix[2] in ("params", "overrides"):
        return None
    if len(prefix) == 2 and prefix[0] == "arms":
        return _ARM_FIELDS
    if prefix == ("seeds",):
        # a replication of a recipe claim needs fresh fitted models, not only fresh data
        return ("initial", "model")
    return tuple(sorted(node))


def _missing(prefix: tuple[str, ...], seg: str, allowed: tuple[str, ...]) -> PathError:
    if prefix == ("arms",):
        return PathError(f"no arm {seg!r} (arms: {', '.join(allowed)})")
    where = ".".join(prefix)
    have = ", ".join(allowed) if allowed else "nothing"
    return PathError(f"{where} has no {seg!r} (has: {have})")


def apply_set(data: dict[str, Any], path: str, value: Any) -> None:
    """Set `path` in a canonical hypothesis dict in place, or raise `PathError`."""
    segs = path.split(".")
    root = segs[0]
    if root in _FIXED_ROOTS:
        raise PathError(f"{root!r} cannot be set by a lever: {_FIXED_ROOTS[root]}")
    if root not in _SETTABLE_ROOTS:
        raise PathError(
            f"no field {root!r} in a hypothesis (settable: {', '.join(sorted(_SETTABLE_ROOTS))})"
        )
    node: dict[str, Any] = data
    for i, seg in enumerate(segs):
        prefix = tuple(segs[:i])
        if i > 0:
            allowed = _allowed_keys(prefix, node)
            if allowed is not None and seg not in allowed:
                raise _missing(prefix, seg, allowed)
        if i == len(segs) - 1:
            node[seg] = copy.deepcopy(value)
            return
        child = node.get(seg)
        if child is None and _allowed_keys(prefix, node) is None:
            raise PathError(
                f"{'.'.join((*prefix, seg))} does not exist, so it has no {segs[i + 1]!r}"
            )
        if not isinstance(child, dict):
            raise PathError(f"{'.'.join((*prefix, seg))} is not a table")
        node = child


def child_id(parent: Hypothesis, lever: Lever) -> str:
    return f"{parent.id}/{lever.id}"


def _resolve(parent: Hypothesis, lever: Lever | str) -> tuple[int, Lever]:
    wanted = lever if isinstance(lever, str) else lever.id
    for i, candidate in enumerate(parent.levers):
        if candidate.id == wanted:
            if not isinstance(lever, str) and candidate != lever:
                break
            return i, candidate
    raise HypothesisError("<memory>", "levers", f"{parent.id!r} has no lever {wanted!r}")


def derive_child(
    parent: Hypothesis,
    lever: Lever | str,
    *,
    catalog: Catalog | None = None,
    file: str = "<memory>",
) -> Hypothesis:
    """The child that `lever` (one of `parent.levers`, or its id) derives from `parent`.

    Validated like a file (against `catalog` when given); raises `HypothesisError` whose
    field points at the lever (`levers[i].set["path"]`) when the lever is at fault.
    """
    index, chosen = _resolve(parent, lever)
    where = f"levers[{index}]"
    if chosen.set_ is None:
        raise HypothesisError(
            file,
            f"{where}.next",
            f"lever {chosen.id!r} schedules {chosen.next!r}; it derives no child",
        )
    if chosen.id in parent.lever_path:
        raise HypothesisError(
            file,
            f"{where}.id",
            f"lever {chosen.id!r} was already applied in the ancestry of {parent.id!r}; "
            "a derived id may not repeat a lever",
        )
    data = parent.canonical()
    for path in sorted(chosen.set_):
        try:
            apply_set(data, path, chosen.set_[path])
        except PathError as exc:
            raise HypothesisError(file, f'{where}.set["{path}"]', str(exc)) from None
    if parent.search is not None:
        # A search's arms, effect and decision follow from its [search] table: re-derive them.
        for derived in ("arms", "effect", "decision"):
            data.pop(derived, None)
    new_id = child_id(parent, chosen)
    data["id"] = new_id
    data["parent"] = parent.content_hash
    child, problems = hypothesis_problems(data, file=file, catalog=catalog)
    if problems:
        wrapped = [
            HypothesisError(
                file, f"{where}.set", f"child {new_id!r} would be invalid: {p.field}: {p.reason}"
            )
            for p in problems
        ]
        raise wrapped[0] if len(wrapped) == 1 else HypothesisErrors(wrapped)
    assert child is not None
    return child
