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
from worlds.filesystem.state import Dir, File, FsState, Last
from worlds.filesystem.tree import TreeEdit


def apply(state: FsState, delta: Sequence[object]) -> FsState:
    """A new state with `delta` applied in order; `state` is untouched. Unknown objects in
    `delta` are ignored (they are not edits, so they change nothing). Each edit costs
    O(paths it touches) on the persistent tree (a Move: the size of the moved subtree).

    One code path for both tree forms: `TreeEdit` edits a small tree as a copied dict and a
    large one through batch mutations, so the per-form cost lives in one place (tree.py)."""
    edit: TreeEdit | None = None  # opened on the first tree edit
    cwd = state._cwd
    env: dict[str, str] | None = None
    last = state._last
    for e in delta:
        if isinstance(e, SetResult):
            last = Last(e.exit_code, e.stdout_hash)
        elif isinstance(e, SetCwd):
            cwd = e.path
        elif isinstance(e, SetEnv):
            if env is None:
                env = dict(state._env)
            env[e.key] = e.token
        elif isinstance(e, Create | Delete | Modify | Move | Chmod):
            if edit is None:
                edit = TreeEdit(state._tree)
            if isinstance(e, Create):
                edit.put(e.path, e.node)
            elif isinstance(e, Delete):
                edit.remove(e.path)
            elif isinstance(e, Modify):
                old = edit.get(e.path)
                if isinstance(old, File):
                    edit.put(e.path, File(e.content, old.mode))
            elif isinstance(e, Move):
                edit.move(e.src, e.dst)
            else:
                node = edit.get(e.path)
                if isinstance(node, File):
                    edit.put(e.path, File(node.content, e.mode))
                elif isinstance(node, Dir):
                    edit.put(e.path, Dir(e.mode))
    if last == state._last:
        last = state._last
    return FsState(
        state._tree if edit is None else edit.finish(),
        cwd,
        state._env if env is None else env,
        last,
    )
