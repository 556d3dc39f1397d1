"""FROZEN COPY of the filesystem oracle before issue 10, for the benchmarks only.

This is the dict-per-state implementation of `worlds/filesystem/{state,apply,oracle,metrics}.py`
as of commit c083150 (`git show c083150:worlds/filesystem/oracle.py` etc.), vendored so that
`bench/oracle_speed_fs.py` can print new/old ratios measured in one run on the same machine
load. Only the state class (`OldFsState`, renamed `OldOldFsState`), `apply`, the command handlers and
`facts` / `divergence` are copied; the value types that did not change (nodes, edits, actions,
paths) are imported from the package, so both implementations consume the same actions and
produce the same edits. Nothing in the package imports this module, and it is not maintained:
do not fix it, do not use it outside bench/.
"""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

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
    Last,
    Node,
    sha256_hex,
)


# -- state.py --------------------------------------------------------------------------------

_EMPTY_ENV: dict[str, str] = {}


class OldFsState:
    """An immutable snapshot. Construct through `OldFsState.initial()`, the oracle, or the codec.

    `fs`, `env` are read-only views; the underlying dicts must never be mutated (the
    constructor takes ownership of the dicts it is given).
    """

    __slots__ = ("_cwd", "_env", "_facts", "_fs", "_hash", "_last")

    _fs: dict[str, Node]
    _cwd: str
    _env: dict[str, str]
    _last: Last
    _hash: int | None
    _facts: frozenset[tuple[Any, ...]] | None

    def __init__(self, fs: dict[str, Node], cwd: str, env: dict[str, str], last: Last) -> None:
        self._fs = fs
        self._cwd = cwd
        self._env = env
        self._last = last
        self._hash = None
        self._facts = None

    @staticmethod
    def initial() -> OldFsState:
        """The empty world: a root directory, cwd `/`, no environment, last = (0, sha256(""))."""
        return OldFsState({"/": DEFAULT_DIR}, "/", _EMPTY_ENV, LAST_OK)

    # -- read-only surface ---------------------------------------------------------------------

    @property
    def fs(self) -> Mapping[str, Node]:
        return MappingProxyType(self._fs)

    @property
    def cwd(self) -> str:
        return self._cwd

    @property
    def env(self) -> Mapping[str, str]:
        return MappingProxyType(self._env)

    @property
    def last(self) -> Last:
        return self._last

    @property
    def exit_code(self) -> int:
        return self._last.exit_code

    @property
    def stdout_hash(self) -> str:
        return self._last.stdout_hash

    def paths(self) -> Iterator[str]:
        """Paths in insertion order (the order drivers sample from)."""
        return iter(self._fs)

    def node(self, path: str) -> Node | None:
        return self._fs.get(path)

    def __len__(self) -> int:
        return len(self._fs)

    def __contains__(self, path: object) -> bool:
        return path in self._fs

    # -- value semantics -----------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not OldFsState:
            return NotImplemented
        return (
            self._cwd == other._cwd
            and self._last == other._last
            and (self._fs is other._fs or self._fs == other._fs)
            and (self._env is other._env or self._env == other._env)
        )

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        cached = self._hash
        if cached is None:
            cached = hash(
                (
                    frozenset(self._fs.items()),
                    self._cwd,
                    frozenset(self._env.items()),
                    self._last,
                )
            )
            self._hash = cached
        return cached

    def __repr__(self) -> str:
        return (
            f"OldFsState(paths={len(self._fs)}, cwd={self._cwd!r}, env={self._env!r}, "
            f"last=({self._last.exit_code}, {self._last.stdout_hash[:8]}))"
        )


# -- apply.py --------------------------------------------------------------------------------


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


def apply(state: OldFsState, delta: Sequence[object]) -> OldFsState:
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
    return OldFsState(
        src_fs if fs is None else fs,
        cwd,
        state._env if env is None else env,
        last,
    )


# -- oracle.py --------------------------------------------------------------------------------

_FAIL_DELTA = (RESULT_FAIL,)
_OK_DELTA = (RESULT_OK,)

Handler = Callable[[OldFsState, FsAction], Transition]


def _fail(s: OldFsState) -> Transition:
    nxt = s if s._last is LAST_FAIL else OldFsState(s._fs, s._cwd, s._env, LAST_FAIL)
    return Transition(nxt, _FAIL_DELTA, 1, "")


def _ok_unchanged(s: OldFsState) -> Transition:
    nxt = s if s._last is LAST_OK else OldFsState(s._fs, s._cwd, s._env, LAST_OK)
    return Transition(nxt, _OK_DELTA, 0, "")


def _printed(s: OldFsState, stdout: str, digest: str) -> Transition:
    """A read-only success that printed `stdout` (hash `digest`)."""
    if digest == EMPTY_HASH:
        return _ok_unchanged(s)
    nxt = OldFsState(s._fs, s._cwd, s._env, Last(0, digest))
    return Transition(nxt, (SetResult(0, digest),), 0, stdout)


def _target(s: OldFsState, a: FsAction) -> tuple[str, str]:
    """The first path argument, resolved, and its parent."""
    p = a.p0
    if p is None:
        p = resolve(s._cwd, a.args[1] if a.command == "chmod" else a.args[0])
        return p, parent(p)
    q = a.q0
    assert q is not None
    return p, q


def _mkdir(s: OldFsState, a: FsAction) -> Transition:
    p, q = _target(s, a)
    fs = s._fs
    if p in fs or type(fs.get(q)) is not Dir:
        return _fail(s)
    nfs = fs.copy()
    nfs[p] = DEFAULT_DIR
    return Transition(
        OldFsState(nfs, s._cwd, s._env, LAST_OK), (Create(p, DEFAULT_DIR), RESULT_OK), 0, ""
    )


def _touch(s: OldFsState, a: FsAction) -> Transition:
    p, q = _target(s, a)
    fs = s._fs
    if p in fs:
        return _ok_unchanged(s)
    if type(fs.get(q)) is not Dir:
        return _fail(s)
    nfs = fs.copy()
    nfs[p] = EMPTY_FILE
    return Transition(
        OldFsState(nfs, s._cwd, s._env, LAST_OK), (Create(p, EMPTY_FILE), RESULT_OK), 0, ""
    )


def _write_or_append(s: OldFsState, a: FsAction, appending: bool) -> Transition:
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
            OldFsState(nfs, s._cwd, s._env, LAST_OK), (Modify(p, content), RESULT_OK), 0, ""
        )
    if type(fs.get(q)) is not Dir:
        return _fail(s)
    new = File(token)
    nfs = fs.copy()
    nfs[p] = new
    return Transition(OldFsState(nfs, s._cwd, s._env, LAST_OK), (Create(p, new), RESULT_OK), 0, "")


def _write(s: OldFsState, a: FsAction) -> Transition:
    return _write_or_append(s, a, False)


def _append(s: OldFsState, a: FsAction) -> Transition:
    return _write_or_append(s, a, True)


def _rm(s: OldFsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    fs = s._fs
    if p == "/" or p not in fs or type(fs[p]) is Dir:
        return _fail(s)
    nfs = fs.copy()
    del nfs[p]
    return Transition(OldFsState(nfs, s._cwd, s._env, LAST_OK), (Delete(p), RESULT_OK), 0, "")


def _rm_r(s: OldFsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    fs = s._fs
    if p == "/" or p not in fs:
        return _fail(s)
    doomed = sorted(subtree(fs, p))
    nfs = fs.copy()
    for path in doomed:
        del nfs[path]
    delta = (*[Delete(path) for path in doomed], RESULT_OK)
    return Transition(OldFsState(nfs, s._cwd, s._env, LAST_OK), delta, 0, "")


def _rmdir(s: OldFsState, a: FsAction) -> Transition:
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
    return Transition(OldFsState(nfs, s._cwd, s._env, LAST_OK), (Delete(p), RESULT_OK), 0, "")


def _chmod(s: OldFsState, a: FsAction) -> Transition:
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
    return Transition(OldFsState(nfs, s._cwd, s._env, LAST_OK), (Chmod(p, mode), RESULT_OK), 0, "")


def _cd(s: OldFsState, a: FsAction) -> Transition:
    p = _target(s, a)[0]
    if type(s._fs.get(p)) is not Dir:
        return _fail(s)
    return Transition(OldFsState(s._fs, p, s._env, LAST_OK), (SetCwd(p), RESULT_OK), 0, "")


def _cat(s: OldFsState, a: FsAction) -> Transition:
    node = s._fs.get(_target(s, a)[0])
    if type(node) is not File:
        return _fail(s)
    return _printed(s, node.content, node.content_hash)


def _ls(s: OldFsState, a: FsAction) -> Transition:
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


def _export(s: OldFsState, a: FsAction) -> Transition:
    key, token = a.args
    env = s._env.copy()
    env[key] = token
    return Transition(
        OldFsState(s._fs, s._cwd, env, LAST_OK), (SetEnv(key, token), RESULT_OK), 0, ""
    )


def _mv_or_cp(s: OldFsState, a: FsAction, move: bool, recursive: bool) -> Transition:
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
    return Transition(OldFsState(nfs, s._cwd, s._env, LAST_OK), delta, 0, "")


def _mv(s: OldFsState, a: FsAction) -> Transition:
    return _mv_or_cp(s, a, True, True)


def _cp(s: OldFsState, a: FsAction) -> Transition:
    return _mv_or_cp(s, a, False, False)


def _cp_r(s: OldFsState, a: FsAction) -> Transition:
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


def step(state: OldFsState, action: FsAction) -> Transition:
    """`O(state, action)`: the successor, its delta (ending in SetResult), exit code, stdout."""
    return HANDLERS[action.command](state, action)


# -- metrics.py --------------------------------------------------------------------------------

Fact = tuple[Any, ...]
BITS_PER_SYMBOL = 6.0  # log2(64): the seed's nominal alphabet


def facts(state: OldFsState) -> frozenset[Fact]:
    cached = state._facts
    if cached is None:
        out: list[Fact] = [
            (path, "file", node.content_hash, node.mode)
            if isinstance(node, File)
            else (path, "dir", "", node.mode)
            for path, node in state._fs.items()
        ]
        out.append(("\0cwd", state._cwd))
        out.extend(("\0env", key, value) for key, value in state._env.items())
        out.append(("\0exit", state._last.exit_code))
        out.append(("\0stdout", state._last.stdout_hash))
        cached = frozenset(out)
        state._facts = cached
    return cached


def divergence(a: OldFsState, b: OldFsState) -> float:
    if a is b:
        return 0.0
    fa = facts(a)
    fb = facts(b)
    if fa is fb:
        return 0.0
    return len(fa ^ fb) / (len(fa) + len(fb))
