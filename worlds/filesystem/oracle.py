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
handler builds the successor directly (copying the tree dict only when the tree changes, and
sharing it otherwise) and returns the delta that produces it. `apply(s, step(s, a).delta) ==
step(s, a).state`, including the dict insertion order the drivers observe, is the invariant the
property tests and the invariant sweep hold this module to.
"""

from __future__ import annotations

from collections.abc import Callable

from worlds.base import Transition
from worlds.filesystem.actions import FsAction
from worlds.filesystem.apply import move_subtree, subtree
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

_FAIL_DELTA = (RESULT_FAIL,)
_OK_DELTA = (RESULT_OK,)

Handler = Callable[[FsState, FsAction], Transition]


def _fail(s: FsState) -> Transition:
    nxt = s if s._last is LAST_FAIL else FsState(s._fs, s._cwd, s._env, LAST_FAIL)
    return Transition(nxt, _FAIL_DELTA, 1, "")


def _ok_unchanged(s: FsState) -> Transition:
    nxt = s if s._last is LAST_OK else FsState(s._fs, s._cwd, s._env, LAST_OK)
    return Transition(nxt, _OK_DELTA, 0, "")


def _printed(s: FsState, stdout: str, digest: str) -> Transition:
    """A read-only success that printed `stdout` (hash `digest`)."""
    if digest == EMPTY_HASH:
        return _ok_unchanged(s)
    nxt = FsState(s._fs, s._cwd, s._env, Last(0, digest))
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
    fs = s._fs
    if p in fs or type(fs.get(q)) is not Dir:
        return _fail(s)
    nfs = fs.copy()
    nfs[p] = DEFAULT_DIR
    return Transition(
        FsState(nfs, s._cwd, s._env, LAST_OK), (Create(p, DEFAULT_DIR), RESULT_OK), 0, ""
    )


def _touch(s: FsState, a: FsAction) -> Transition:
    p, q = _target(s, a)
    fs = s._fs
    if p in fs:
        return _ok_unchanged(s)
    if type(fs.get(q)) is not Dir:
        return _fail(s)
    nfs = fs.copy()
    nfs[p] = EMPTY_FILE
    return Transition(
        FsState(nfs, s._cwd, s._env, LAST_OK), (Create(p, EMPTY_FILE), RESULT_OK), 0, ""
    )


def _write_or_append(s: FsState, a: FsAction, appending: bool) -> Transition:
    p, q = _target(s, a)
    fs = s._fs
    token = a.args[1]
    node = fs.get(p)
    if type(node) is Dir:
        return _fail(s)
    if type(node) is File:
        content = node.content + token if appending else token
        if content == node.content:
            nfs = fs
        else:
            nfs = fs.copy()
            nfs[p] = File(content, node.mode)
        return Transition(
            FsState(nfs, s._cwd, s._env, LAST_OK), (Modify(p, content), RESULT_OK), 0, ""
        )
    if type(fs.get(q)) is not Dir:
        return _fail(s)
    new = File(token)
    nfs = fs.copy()
    nfs[p] = new
    return Transition(FsState(nfs, s._cwd, s._env, LAST_OK), (Create(p, new), RESULT_OK), 0, "")


def _write(s: FsState, a: FsAction) -> Transition:
    return _write_or_append(s, a, False)


def _append(s: FsState, a: FsAction) -> Transition:
    return _write_or_append(s, a, True)


def _rm(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    fs = s._fs
    if p == "/" or p not in fs or type(fs[p]) is Dir:
        return _fail(s)
    nfs = fs.copy()
    del nfs[p]
    return Transition(FsState(nfs, s._cwd, s._env, LAST_OK), (Delete(p), RESULT_OK), 0, "")


def _rm_r(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    fs = s._fs
    if p == "/" or p not in fs:
        return _fail(s)
    doomed = sorted(subtree(fs, p))
    nfs = fs.copy()
    for path in doomed:
        del nfs[path]
    delta = (*[Delete(path) for path in doomed], RESULT_OK)
    return Transition(FsState(nfs, s._cwd, s._env, LAST_OK), delta, 0, "")


def _rmdir(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    fs = s._fs
    if p == "/" or type(fs.get(p)) is not Dir:
        return _fail(s)
    prefix = p + "/"
    for path in fs:
        if path.startswith(prefix):
            return _fail(s)
    nfs = fs.copy()
    del nfs[p]
    return Transition(FsState(nfs, s._cwd, s._env, LAST_OK), (Delete(p), RESULT_OK), 0, "")


def _chmod(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    fs = s._fs
    node = fs.get(p)
    if node is None:
        return _fail(s)
    mode = a.mode
    nfs = fs
    if node.mode != mode:
        nfs = fs.copy()
        if type(node) is File:
            nfs[p] = File(node.content, mode)
        elif type(node) is Dir:
            nfs[p] = Dir(mode)
    return Transition(FsState(nfs, s._cwd, s._env, LAST_OK), (Chmod(p, mode), RESULT_OK), 0, "")


def _cd(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    if type(s._fs.get(p)) is not Dir:
        return _fail(s)
    return Transition(FsState(s._fs, p, s._env, LAST_OK), (SetCwd(p), RESULT_OK), 0, "")


def _cat(s: FsState, a: FsAction) -> Transition:
    node = s._fs.get(_target(s, a)[0])
    if type(node) is not File:
        return _fail(s)
    return _printed(s, node.content, node.content_hash)


def _ls(s: FsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    fs = s._fs
    node = fs.get(p)
    if node is None:
        return _fail(s)
    if type(node) is File:
        out = basename(p)
    else:
        prefix = "/" if p == "/" else p + "/"
        cut = len(prefix)
        out = "\n".join(
            sorted(q[cut:] for q in fs if q != p and q.startswith(prefix) and "/" not in q[cut:])
        )
    return _printed(s, out, sha256_hex(out))


def _export(s: FsState, a: FsAction) -> Transition:
    key, token = a.args
    env = s._env.copy()
    env[key] = token
    return Transition(FsState(s._fs, s._cwd, env, LAST_OK), (SetEnv(key, token), RESULT_OK), 0, "")


def _mv_or_cp(s: FsState, a: FsAction, move: bool, recursive: bool) -> Transition:
    """The seed's rules, in the seed's order (fs-world.md §1, mv / cp 1-8)."""
    fs = s._fs
    src = _target(s, a)[0]
    dst = a.p1
    if dst is None:
        dst = resolve(s._cwd, a.args[1])
        dst_parent = parent(dst)
    else:
        dst_parent = a.q1 if a.q1 is not None else parent(dst)
    if src == "/" or src not in fs:
        return _fail(s)
    src_node = fs[src]
    src_is_dir = type(src_node) is Dir
    if src_is_dir and not recursive:
        return _fail(s)
    if type(fs.get(dst)) is Dir:
        final = join(dst, basename(src))
    else:
        final = dst
        if type(fs.get(dst_parent)) is not Dir:
            return _fail(s)
    if final == src:
        return _ok_unchanged(s)
    if src_is_dir and final.startswith(src + "/"):
        return _fail(s)
    if move:
        if final in fs:
            return _fail(s)
        nfs = fs.copy()
        move_subtree(nfs, src, final)
        delta: tuple[object, ...] = (Move(src, final), RESULT_OK)
    elif type(src_node) is File:
        existing = fs.get(final)
        if type(existing) is Dir:
            return _fail(s)  # the documented deviation: never clobber a directory with a file
        nfs = fs.copy()
        if type(existing) is File:
            nfs[final] = File(src_node.content, existing.mode)
            delta = (Modify(final, src_node.content), RESULT_OK)
        else:
            nfs[final] = src_node
            delta = (Create(final, src_node), RESULT_OK)
    else:
        if final in fs:
            return _fail(s)
        cut = len(src)
        creates = [Create(final + q[cut:], fs[q]) for q in sorted(subtree(fs, src))]
        nfs = fs.copy()
        for edit in creates:
            nfs[edit.path] = edit.node
        delta = (*creates, RESULT_OK)
    return Transition(FsState(nfs, s._cwd, s._env, LAST_OK), delta, 0, "")


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
