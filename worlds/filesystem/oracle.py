"""The reference oracle `O(s, a)`: pure, total and fast.

Semantics are the seed's command table (fs-world.md §1) with ONE intended deviation:

    `cp FILE DST` whose final path (`DST/basename(FILE)` when DST is a directory) is an
    existing *directory* fails with exit 1 and no edits. The seed's oracle instead replaced the
    directory node by the file and orphaned the directory's children (exit 0), which is a bug
    (ARCHITECTURE.md, "Decisions"). The same holds for `cp -r FILE DST`, which copies as a file.

Everything else is literal, including behaviour on states no command sequence can reach
(orphaned paths from a model's delta or a hand-written JSON): "has children" and "subtree" are
path-prefix queries, exactly as in the seed, so traces recorded from the seed replay here.

Why a handler per command instead of "compute edits, then apply": the speed budget. Each
handler builds the successor directly on the persistent tree (`tree.py`: a new tree sharing all
it does not touch when the tree changes, the parent's tree otherwise) and returns the delta that
produces it. Prefix queries go through the tree's prefix index, so every command costs
O(paths it touches), however large the state has grown. `apply(s, step(s, a).delta) ==
step(s, a).state`, including the dict insertion order the drivers observe, is the invariant the
property tests and the invariant sweep hold this module to.
"""

from __future__ import annotations

from collections.abc import Callable

from worlds.base import Transition
from worlds.filesystem.actions import FsAction
from worlds.filesystem.edits import (
    RESULT_FAIL,
    RESULT_OK,
    Chmod,
    Create,
    Delete,
    Modify,
    Move,
    SetCwd,
    SetEnv,
    SetResult,
)
from worlds.filesystem.paths import basename, join, parent, resolve
from worlds.filesystem.state import (
    DEFAULT_DIR,
    EMPTY_FILE,
    EMPTY_HASH,
    LAST_FAIL,
    LAST_OK,
    Dir,
    File,
    FsState,
    Last,
    sha256_hex,
)
from worlds.filesystem.tree import TreeEdit

_FAIL_DELTA = (RESULT_FAIL,)
_OK_DELTA = (RESULT_OK,)

Handler = Callable[[FsState, FsAction], Transition]


def _fail(s: FsState) -> Transition:
    nxt = s if s._last is LAST_FAIL else FsState(s._tree, s._cwd, s._env, LAST_FAIL)
    return Transition(nxt, _FAIL_DELTA, 1, "")


def _ok_unchanged(s: FsState) -> Transition:
    nxt = s if s._last is LAST_OK else FsState(s._tree, s._cwd, s._env, LAST_OK)
    return Transition(nxt, _OK_DELTA, 0, "")


def _printed(s: FsState, stdout: str, digest: str) -> Transition:
    """A read-only success that printed `stdout` (hash `digest`)."""
    if digest == EMPTY_HASH:
        return _ok_unchanged(s)
    nxt = FsState(s._tree, s._cwd, s._env, Last(0, digest))
    return Transition(nxt, (SetResult(0, digest),), 0, stdout)


def _target(s: FsState, a: FsAction) -> tuple[str, str]:
    """The first path argument, resolved, and its parent."""
    p = a.p0
    if p is None:
        p = resolve(s._cwd, a.args[1] if a.command == "chmod" else a.args[0])
        return p, parent(p)
    q = a.q0
    assert q is not None
    return p, q


def _mkdir(s: FsState, a: FsAction) -> Transition:
    p, q = _target(s, a)
    tree = s._tree
    nodes = tree.nodes
    if p in nodes or type(nodes.get(q)) is not Dir:
        return _fail(s)
    return Transition(
        FsState(tree.with_new(p, DEFAULT_DIR), s._cwd, s._env, LAST_OK),
        (Create(p, DEFAULT_DIR), RESULT_OK),
        0,
        "",
    )


def _touch(s: FsState, a: FsAction) -> Transition:
    p, q = _target(s, a)
    tree = s._tree
    nodes = tree.nodes
    if p in nodes:
        return _ok_unchanged(s)
    if type(nodes.get(q)) is not Dir:
        return _fail(s)
    return Transition(
        FsState(tree.with_new(p, EMPTY_FILE), s._cwd, s._env, LAST_OK),
        (Create(p, EMPTY_FILE), RESULT_OK),
        0,
        "",
    )


def _write_or_append(s: FsState, a: FsAction, appending: bool) -> Transition:
    p, q = _target(s, a)
    tree = s._tree
    nodes = tree.nodes
    token = a.args[1]
    node = nodes.get(p)
    if type(node) is Dir:
        return _fail(s)
    if type(node) is File:
        content = node.content + token if appending else token
        if content != node.content:
            tree = tree.with_replaced(p, node, File(content, node.mode))
        return Transition(
            FsState(tree, s._cwd, s._env, LAST_OK), (Modify(p, content), RESULT_OK), 0, ""
        )
    if type(nodes.get(q)) is not Dir:
        return _fail(s)
    new = File(token)
    return Transition(
        FsState(tree.with_new(p, new), s._cwd, s._env, LAST_OK), (Create(p, new), RESULT_OK), 0, ""
    )


def _write(s: FsState, a: FsAction) -> Transition:
    return _write_or_append(s, a, False)


def _append(s: FsState, a: FsAction) -> Transition:
    return _write_or_append(s, a, True)


def _rm(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    tree = s._tree
    node = tree.nodes.get(p)
    if p == "/" or node is None or type(node) is Dir:
        return _fail(s)
    return Transition(
        FsState(tree.without(p), s._cwd, s._env, LAST_OK), (Delete(p), RESULT_OK), 0, ""
    )


def _rm_r(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    tree = s._tree
    if p == "/" or p not in tree.nodes:
        return _fail(s)
    if tree.kids is not None and not tree.has_below(p):  # a file or an empty directory
        return Transition(
            FsState(tree.without(p), s._cwd, s._env, LAST_OK), (Delete(p), RESULT_OK), 0, ""
        )
    edit = TreeEdit(tree)
    doomed = sorted(edit.cut(p)[0])
    delta = (*map(Delete, doomed), RESULT_OK)
    return Transition(FsState(edit.finish(), s._cwd, s._env, LAST_OK), delta, 0, "")


def _rmdir(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    tree = s._tree
    if p == "/" or type(tree.nodes.get(p)) is not Dir or tree.has_below(p):
        return _fail(s)
    return Transition(
        FsState(tree.without(p), s._cwd, s._env, LAST_OK), (Delete(p), RESULT_OK), 0, ""
    )


def _chmod(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    tree = s._tree
    node = tree.nodes.get(p)
    if node is None:
        return _fail(s)
    mode = a.mode
    if node.mode != mode:
        tree = tree.with_replaced(
            p, node, File(node.content, mode) if type(node) is File else Dir(mode)
        )
    return Transition(FsState(tree, s._cwd, s._env, LAST_OK), (Chmod(p, mode), RESULT_OK), 0, "")


def _cd(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    if type(s._tree.nodes.get(p)) is not Dir:
        return _fail(s)
    return Transition(FsState(s._tree, p, s._env, LAST_OK), (SetCwd(p), RESULT_OK), 0, "")


def _cat(s: FsState, a: FsAction) -> Transition:
    node = s._tree.nodes.get(_target(s, a)[0])
    if type(node) is not File:
        return _fail(s)
    return _printed(s, node.content, node.content_hash)


def _ls(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    tree = s._tree
    node = tree.nodes.get(p)
    if node is None:
        return _fail(s)
    if type(node) is File:
        out = basename(p)
    elif p == "/":
        # "/name" hangs under the prefix "" (as does "/" itself, which ls does not list)
        out = "\n".join(sorted(q[1:] for q in tree.children("") if q != "/"))
    else:
        cut = len(p) + 1
        out = "\n".join(sorted(q[cut:] for q in tree.children(p)))
    return _printed(s, out, sha256_hex(out))


def _export(s: FsState, a: FsAction) -> Transition:
    key, token = a.args
    env = s._env.copy()
    env[key] = token
    return Transition(
        FsState(s._tree, s._cwd, env, LAST_OK), (SetEnv(key, token), RESULT_OK), 0, ""
    )


def _mv_or_cp(s: FsState, a: FsAction, move: bool, recursive: bool) -> Transition:
    """The seed's rules, in the seed's order (fs-world.md §1, mv / cp 1-8)."""
    tree = s._tree
    nodes = tree.nodes
    src = _target(s, a)[0]
    dst = a.p1
    if dst is None:
        dst = resolve(s._cwd, a.args[1])
        dst_parent = parent(dst)
    else:
        dst_parent = a.q1 if a.q1 is not None else parent(dst)
    src_node = nodes.get(src)
    if src == "/" or src_node is None:
        return _fail(s)
    src_is_dir = type(src_node) is Dir
    if src_is_dir and not recursive:
        return _fail(s)
    if type(nodes.get(dst)) is Dir:
        final = join(dst, basename(src))
    else:
        final = dst
        if type(nodes.get(dst_parent)) is not Dir:
            return _fail(s)
    if final == src:
        return _ok_unchanged(s)
    if src_is_dir and final.startswith(src + "/"):
        return _fail(s)
    if move:
        if final in nodes:
            return _fail(s)
        if tree.kids is None or tree.has_below(src) or tree.has_below(final):
            edit = TreeEdit(tree)
            edit.move(src, final)
            tree = edit.finish()
        else:  # a file or an empty directory, landing where nothing hangs
            tree = tree.with_moved(src, final)
        delta: tuple[object, ...] = (Move(src, final), RESULT_OK)
    elif type(src_node) is File:
        existing = nodes.get(final)
        if type(existing) is Dir:
            return _fail(s)  # the documented deviation: never clobber a directory with a file
        if existing is None:
            tree = tree.with_new(final, src_node)
            delta = (Create(final, src_node), RESULT_OK)
        else:
            tree = tree.with_replaced(final, existing, File(src_node.content, existing.mode))
            delta = (Modify(final, src_node.content), RESULT_OK)
    else:
        if final in nodes:
            return _fail(s)
        edit = TreeEdit(tree)
        names, copied = edit.copy(src, final)  # appended in sorted order, as the seed's loop
        tree = edit.finish()
        delta = (*map(Create, names, copied), RESULT_OK)
    return Transition(FsState(tree, s._cwd, s._env, LAST_OK), delta, 0, "")


def _mv(s: FsState, a: FsAction) -> Transition:
    return _mv_or_cp(s, a, True, True)


def _cp(s: FsState, a: FsAction) -> Transition:
    return _mv_or_cp(s, a, False, False)


def _cp_r(s: FsState, a: FsAction) -> Transition:
    return _mv_or_cp(s, a, False, True)


HANDLERS: dict[str, Handler] = {
    "mkdir": _mkdir,
    "touch": _touch,
    "write": _write,
    "append": _append,
    "cp": _cp,
    "cp_r": _cp_r,
    "mv": _mv,
    "rm": _rm,
    "rm_r": _rm_r,
    "rmdir": _rmdir,
    "chmod": _chmod,
    "cd": _cd,
    "cat": _cat,
    "ls": _ls,
    "export": _export,
}

# The seed's oracle is "ref-1"; ours is ref-1 plus the cp-onto-directory fix, and says so, so a
# manifest never claims the seed's exact semantics for data made here.
ORACLE_VERSION = "ref-1+cpdir"


def step(state: FsState, action: FsAction) -> Transition:
    """`O(state, action)`: the successor, its delta (ending in SetResult), exit code, stdout."""
    return HANDLERS[action.command](state, action)
