"""The eight edit types a filesystem delta is made of (the seed's edit algebra).

Edits are frozen value objects: two edits are equal iff they are the same kind with equal
fields, so delta metrics can count them in multisets. A delta is a tuple of edits applied in
order; every oracle delta ends with exactly one `SetResult`.
"""

from __future__ import annotations

from dataclasses import dataclass

from worlds.filesystem.state import EMPTY_HASH, Node


@dataclass(frozen=True, slots=True, init=False)
class Create:
    """Put `node` at `path` (overwriting whatever is there)."""

    path: str
    node: Node

    def __init__(self, path: str, node: Node) -> None:
        # Written out (see `worlds.base.Transition`): `cp -r` and `rm -r` build one edit per
        # path, and the generated frozen __init__ is ~2x slower than the slot setters.
        _CREATE_PATH(self, path)
        _CREATE_NODE(self, node)


_CREATE_PATH = Create.__dict__["path"].__set__
_CREATE_NODE = Create.__dict__["node"].__set__


@dataclass(frozen=True, slots=True, init=False)
class Delete:
    """Remove `path` alone (a recursive removal lists every path it removes)."""

    path: str

    def __init__(self, path: str) -> None:
        _DELETE_PATH(self, path)  # written out, as Create's


_DELETE_PATH = Delete.__dict__["path"].__set__


@dataclass(frozen=True, slots=True, init=False)
class Modify:
    """Replace an existing file's content, keeping its mode."""

    path: str
    content: str

    def __init__(self, path: str, content: str) -> None:
        _MODIFY_PATH(self, path)  # written out, as Create's (one per write / append)
        _MODIFY_CONTENT(self, content)


_MODIFY_PATH = Modify.__dict__["path"].__set__
_MODIFY_CONTENT = Modify.__dict__["content"].__set__


@dataclass(frozen=True, slots=True)
class Move:
    """Relocate the subtree rooted at `src` to `dst` (one edit, however large the subtree)."""

    src: str
    dst: str


@dataclass(frozen=True, slots=True)
class Chmod:
    """Set an existing node's mode (modes are data; nothing checks them)."""

    path: str
    mode: int


@dataclass(frozen=True, slots=True)
class SetCwd:
    path: str


@dataclass(frozen=True, slots=True)
class SetEnv:
    key: str
    token: str


@dataclass(frozen=True, slots=True)
class SetResult:
    """Every command's last edit: its exit code and the sha256 of its stdout."""

    exit_code: int
    stdout_hash: str


Edit = Create | Delete | Modify | Move | Chmod | SetCwd | SetEnv | SetResult
EDIT_TYPES: tuple[type, ...] = (Create, Delete, Modify, Move, Chmod, SetCwd, SetEnv, SetResult)

RESULT_OK = SetResult(0, EMPTY_HASH)
RESULT_FAIL = SetResult(1, EMPTY_HASH)
