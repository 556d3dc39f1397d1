"""`apply(state, delta)`: replay any edit list, the oracle's or a (possibly wrong) model's.

Total by design: a proposer's delta may name missing paths, modify directories or move nothing,
and each such edit is a no-op rather than an error, so the divergence metric (not an exception)
records the mistake. Semantics and dict-order effects follow the seed edit by edit:

* Create sets the path (an existing path keeps its insertion slot).
* Delete removes the path if present (only that path).
* Modify replaces an existing *file's* content, keeping its mode; otherwise no-op.
* Move relocates every path at or under `src` (in insertion order) to `dst` + suffix and
  re-appends them; an empty subtree is a no-op.
* Chmod re-modes an existing node; otherwise no-op.
* SetCwd / SetEnv / SetResult set their field without validation.
"""

from __future__ import annotations

from collections.abc import Sequence

from worlds.filesystem.edits import (
    Chmod,
    Create,
    Delete,
    Modify,
    Move,
    SetCwd,
    SetEnv,
    SetResult,
)
from worlds.filesystem.state import Dir, File, FsState, Last, Node


def subtree(fs: dict[str, Node], root: str) -> list[str]:
    """`root` and every path below it, in insertion order."""
    prefix = root + "/"
    return [p for p in fs if p == root or p.startswith(prefix)]


def move_subtree(fs: dict[str, Node], src: str, dst: str) -> None:
    """Relocate `src`'s subtree to `dst` in place (the caller owns `fs`)."""
    moved = subtree(fs, src)
    if not moved:
        return
    cut = len(src)
    relocated = [(dst + p[cut:], fs[p]) for p in moved]
    for p in moved:
        del fs[p]
    for p, node in relocated:
        fs[p] = node


def apply(state: FsState, delta: Sequence[object]) -> FsState:
    """A new state with `delta` applied in order; `state` is untouched. Unknown objects in
    `delta` are ignored (they are not edits, so they change nothing)."""
    fs: dict[str, Node] | None = None  # copied on the first tree edit
    src_fs = state._fs
    cwd = state._cwd
    env: dict[str, str] | None = None
    last = state._last
    for edit in delta:
        if isinstance(edit, SetResult):
            last = Last(edit.exit_code, edit.stdout_hash)
        elif isinstance(edit, SetCwd):
            cwd = edit.path
        elif isinstance(edit, SetEnv):
            if env is None:
                env = dict(state._env)
            env[edit.key] = edit.token
        elif isinstance(edit, Create | Delete | Modify | Move | Chmod):
            if fs is None:
                fs = dict(src_fs)
            if isinstance(edit, Create):
                fs[edit.path] = edit.node
            elif isinstance(edit, Delete):
                fs.pop(edit.path, None)
            elif isinstance(edit, Modify):
                old = fs.get(edit.path)
                if isinstance(old, File):
                    fs[edit.path] = File(edit.content, old.mode)
            elif isinstance(edit, Move):
                move_subtree(fs, edit.src, edit.dst)
            else:
                node = fs.get(edit.path)
                if isinstance(node, File):
                    fs[edit.path] = File(node.content, edit.mode)
                elif isinstance(node, Dir):
                    fs[edit.path] = Dir(edit.mode)
    if last == state._last:
        last = state._last
    return FsState(
        src_fs if fs is None else fs,
        cwd,
        state._env if env is None else env,
        last,
    )
