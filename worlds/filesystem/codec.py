"""Canonical JSON for states and deltas: the seed's shapes, byte for byte.

State: `{"cwd", "env": {sorted}, "fs": [[path, node] ... sorted by path], "last": {"exit_code",
"stdout_hash"}}`, node `{"type": "file", "mode", "content", "content_hash", "size"}` or
`{"type": "dir", "mode"}`, serialized with sorted keys and compact separators, so equal states
give identical bytes in every process. Edits are dicts tagged by `op` (create, delete, modify,
move, chmod, setcwd, setenv, setresult).

Decoding is strict, because these strings come from files and from proposers: a wrong type, a
missing or unknown key, a duplicate path or a content hash that does not match its content is a
`DeltaFormatError` naming what is wrong, never a half-built value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from worlds.base import DeltaFormatError
from worlds.filesystem.edits import (
    Chmod,
    Create,
    Delete,
    Edit,
    Modify,
    Move,
    SetCwd,
    SetEnv,
    SetResult,
)
from worlds.filesystem.state import (
    DEFAULT_DIR,
    EMPTY_FILE,
    LAST_FAIL,
    LAST_OK,
    Dir,
    File,
    FsState,
    Last,
    Node,
)


def dumps(value: Any) -> str:
    """The one JSON rendering used for everything canonical."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# -- nodes -------------------------------------------------------------------------------------


def node_to_dict(node: Node) -> dict[str, Any]:
    if isinstance(node, File):
        return {
            "type": "file",
            "mode": node.mode,
            "content": node.content,
            "content_hash": node.content_hash,
            "size": node.size,
        }
    return {"type": "dir", "mode": node.mode}


def _field(d: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in d:
        raise DeltaFormatError(f"{where}: missing key {key!r}")
    value = d[key]
    if type(value) is not kind:
        raise DeltaFormatError(
            f"{where}: {key!r} must be {kind.__name__}, got {type(value).__name__}"
        )
    return value


def _exact_keys(d: object, allowed: Iterable[str], where: str) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise DeltaFormatError(f"{where}: expected an object, got {type(d).__name__}")
    extra = set(d) - set(allowed)
    if extra:
        raise DeltaFormatError(f"{where}: unknown keys {sorted(map(str, extra))}")
    return d


_FILE_KEYS = ("type", "mode", "content", "content_hash", "size")


def node_from_dict(d: object, where: str = "node") -> Node:
    raw = _exact_keys(d, _FILE_KEYS, where)
    kind = _field(raw, "type", str, where)
    mode = _field(raw, "mode", int, where)
    if kind == "dir":
        _exact_keys(raw, ("type", "mode"), where)
        return DEFAULT_DIR if mode == DEFAULT_DIR.mode else Dir(mode)
    if kind != "file":
        raise DeltaFormatError(f"{where}: type must be 'file' or 'dir', got {kind!r}")
    content = _field(raw, "content", str, where)
    node = EMPTY_FILE if content == "" and mode == EMPTY_FILE.mode else File(content, mode)
    # The derived fields are optional on input, but when present they must be the truth.
    if "content_hash" in raw and _field(raw, "content_hash", str, where) != node.content_hash:
        raise DeltaFormatError(f"{where}: content_hash does not match content")
    if "size" in raw and _field(raw, "size", int, where) != node.size:
        raise DeltaFormatError(f"{where}: size does not match content")
    return node


# -- states ------------------------------------------------------------------------------------


def state_to_dict(state: FsState) -> dict[str, Any]:
    nodes = state._tree.nodes
    return {
        "fs": [[path, node_to_dict(nodes[path])] for path in sorted(nodes)],
        "cwd": state._cwd,
        "env": dict(sorted(state._env.items())),
        "last": {"exit_code": state._last.exit_code, "stdout_hash": state._last.stdout_hash},
    }


def state_to_json(state: FsState) -> str:
    return dumps(state_to_dict(state))


def _intern_last(exit_code: int, stdout_hash: str) -> Last:
    last = Last(exit_code, stdout_hash)
    if last == LAST_OK:
        return LAST_OK
    if last == LAST_FAIL:
        return LAST_FAIL
    return last


def state_from_dict(d: object) -> FsState:
    raw = _exact_keys(d, ("fs", "cwd", "env", "last"), "state")
    entries = _field(raw, "fs", list, "state")
    cwd = _field(raw, "cwd", str, "state")
    env_raw = _field(raw, "env", dict, "state")
    last_raw = _exact_keys(_field(raw, "last", dict, "state"), ("exit_code", "stdout_hash"), "last")
    fs: dict[str, Node] = {}
    for i, entry in enumerate(entries):
        where = f"state.fs[{i}]"
        if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[0], str):
            raise DeltaFormatError(f"{where}: expected [path, node]")
        path = entry[0]
        if path in fs:
            raise DeltaFormatError(f"{where}: duplicate path {path!r}")
        fs[path] = node_from_dict(entry[1], where)
    env: dict[str, str] = {}
    for key, value in env_raw.items():
        if not isinstance(value, str):
            raise DeltaFormatError(f"state.env[{key!r}] must be str")
        env[key] = value
    last = _intern_last(
        _field(last_raw, "exit_code", int, "last"), _field(last_raw, "stdout_hash", str, "last")
    )
    return FsState(fs, cwd, env, last)


def _loads(text: object, what: str) -> Any:
    if not isinstance(text, str | bytes | bytearray):
        raise DeltaFormatError(f"{what} JSON must be text, got {type(text).__name__}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DeltaFormatError(f"{what} is not valid JSON: {exc}") from None


def state_from_json(text: object) -> FsState:
    return state_from_dict(_loads(text, "state"))


# -- edits -------------------------------------------------------------------------------------


def edit_to_dict(edit: Edit) -> dict[str, Any]:
    if isinstance(edit, Create):
        return {"op": "create", "path": edit.path, "node": node_to_dict(edit.node)}
    if isinstance(edit, Delete):
        return {"op": "delete", "path": edit.path}
    if isinstance(edit, Modify):
        return {"op": "modify", "path": edit.path, "content": edit.content}
    if isinstance(edit, Move):
        return {"op": "move", "src": edit.src, "dst": edit.dst}
    if isinstance(edit, Chmod):
        return {"op": "chmod", "path": edit.path, "mode": edit.mode}
    if isinstance(edit, SetCwd):
        return {"op": "setcwd", "path": edit.path}
    if isinstance(edit, SetEnv):
        return {"op": "setenv", "key": edit.key, "token": edit.token}
    if isinstance(edit, SetResult):
        return {"op": "setresult", "exit_code": edit.exit_code, "stdout_hash": edit.stdout_hash}
    raise DeltaFormatError(f"not a filesystem edit: {edit!r}")


# op -> ((key, type) ... ) in constructor order; `node` is decoded separately.
_EDIT_FIELDS: dict[str, tuple[type, tuple[tuple[str, type], ...]]] = {
    "create": (Create, (("path", str), ("node", dict))),
    "delete": (Delete, (("path", str),)),
    "modify": (Modify, (("path", str), ("content", str))),
    "move": (Move, (("src", str), ("dst", str))),
    "chmod": (Chmod, (("path", str), ("mode", int))),
    "setcwd": (SetCwd, (("path", str),)),
    "setenv": (SetEnv, (("key", str), ("token", str))),
    "setresult": (SetResult, (("exit_code", int), ("stdout_hash", str))),
}


def edit_from_dict(d: object, where: str = "edit") -> Edit:
    if not isinstance(d, dict):
        raise DeltaFormatError(f"{where}: expected an object, got {type(d).__name__}")
    op = _field(d, "op", str, where)
    spec = _EDIT_FIELDS.get(op)
    if spec is None:
        raise DeltaFormatError(f"{where}: unknown op {op!r} (known: {', '.join(_EDIT_FIELDS)})")
    cls, fields = spec
    _exact_keys(d, ("op", *(name for name, _ in fields)), where)
    values = [_field(d, name, kind, where) for name, kind in fields]
    if cls is Create:
        values[1] = node_from_dict(values[1], f"{where}.node")
    edit: Edit = cls(*values)
    return edit


def delta_to_dicts(delta: Sequence[Edit]) -> list[dict[str, Any]]:
    return [edit_to_dict(edit) for edit in delta]


def delta_from_dicts(dicts: object) -> tuple[Edit, ...]:
    if not isinstance(dicts, list | tuple):
        raise DeltaFormatError(f"a delta must be a list of edits, got {type(dicts).__name__}")
    return tuple(edit_from_dict(d, f"delta[{i}]") for i, d in enumerate(dicts))


def delta_to_json(delta: Sequence[Edit]) -> str:
    return dumps(delta_to_dicts(delta))


def delta_from_json(text: object) -> tuple[Edit, ...]:
    return delta_from_dicts(_loads(text, "delta"))
