"""The path tree behind a filesystem state: persistent, so a step costs O(paths it touches).

Before issue 10 a state owned a plain dict and every tree-changing step copied it, and the
subtree queries (`rm -r`, `mv`, `cp -r`, `rmdir`, `ls`) scanned every path with `startswith`:
a 5,000-step weighted trajectory slowed from ~143k to ~26k steps/s as it grew to ~1,400 paths.
A `Tree` is instead built from persistent hash-array-mapped tries (`immutables.Map`, a C HAMT:
~0.1 us lookups and ~0.3 us updates that share all untouched structure, ~0.2 us in a batch
through `Map.mutate()`; pyrsistent's PMap measured ~10x slower per update here). It holds:

* `nodes`: path -> node, the tree itself.
* `kids`: the prefix index that answers the seed's *path-prefix* queries exactly, and holds the
  insertion order. Every path `q` hangs under `q[:q.rfind("/")]` (under `None` when it has no
  `/`), mapped to its insertion stamp; a prefix that is not itself a path (an orphan's missing
  parent, reachable through a model's delta or a hand-written JSON) is a virtual entry (stamp
  -1) that lives exactly as long as something hangs below it. The entries at or below `r` are
  precisely the paths equal to `r` or starting with `r + "/"`, which is what the seed's
  `subtree`, `ls` and `rmdir` ask, so their cost is the size of the answer, not of the state.
  The outer map is a HAMT; each prefix's own child map is a plain dict, never mutated once
  stored and copied whole on a change. A directory has few children (the drivers' name pool
  has eight names), and building or iterating a small dict measured ~5x cheaper than an
  `immutables.Map` (which `cp -r` and `mv` rebuild one per moved directory); the price is that
  one edit costs O(children of its one parent) there, not O(log).
* The insertion order the drivers observe (`rng.choice` over paths in the seed's dict order):
  an append-only log of paths, position = stamp, cut into immutable 32-slot chunks (`chunks`
  keyed by chunk number, plus the open `tail`). A new path is appended, an overwritten one
  keeps its slot, a removed one leaves a `None` tombstone; once tombstones outnumber live paths
  the log is compacted (stamps renumbered, order kept), so its length stays O(paths) at an
  amortized O(1) per removal. Iterating in order walks the chunks at C speed: no sort, no
  per-path lookup.
* `fold`: the sum of the item hashes, updated per edit, so hashing a state is O(1) and
  unequal trees are told apart in O(1) before any structural comparison (a small tree computes
  it on first use instead: `fold_of`).

Small trees stay plain dicts. Below `SMALL_MAX` paths, copying a dict (one C call) and
scanning it is cheaper than any Python-level bookkeeping, which is what the short rollouts
(tens of paths) need; so a tree holds a plain, never-mutated dict (`kids is None`: no index, no
log; the dict's own order is the insertion order) until an edit takes it past `SMALL_MAX`, and
goes back below `SMALL_MIN` (the gap keeps a state hovering at the boundary from converting
back and forth). Both forms behave identically; only the cost model differs. The threshold is
measured, not guessed: with `bench/oracle_speed_fs.py`'s ratios, a 356-path state steps about
as fast in either form, and moving it from 96 to 256 took the first 500 steps of a weighted
trajectory (which reach ~140 paths) from x0.74 to x0.85 of the frozen dict baseline.

Each tree also records its lineage: a unique `uid`, the `base` uid it was edited from, and the
paths it `touched` relative to that base (every other path holds the same node as in the
base). That is what lets `diff` (and so `metrics.divergence` and state equality) compare a state
with its successor, with a sibling, or with the partner it was last compared with, in
O(paths touched).

Trees are never mutated once a constructor or `TreeEdit.finish` has returned them.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import count
from typing import Any

import immutables

from worlds.filesystem.nodes import File, Node

CHUNK = 32
_COMPACT_SLACK = 64  # tombstones tolerated beyond the live count before the log is compacted
VIRTUAL = -1  # the stamp of a prefix that is not itself a path

_uids = count(1)

Below = dict[str, int]  # child path -> stamp (VIRTUAL for a bare prefix); never mutated
PathMap = immutables.Map[str, Node]
Kids = immutables.Map[str | None, Below]
Chunks = immutables.Map[int, tuple[str | None, ...]]


def item_hash(path: str, node: Node) -> int:
    """The hash one (path, node) pair adds to a tree's fold. Strings cache their hashes, so
    this is C work only (the nodes' dataclass `__hash__` runs Python code and is slower)."""
    if type(node) is File:
        return hash((path, node.content, node.mode))
    return hash((path, node.mode))


def prefix_parent(path: str) -> str | None:
    """Where `path` hangs in the prefix index: everything before its last `/` (None without
    one)."""
    i = path.rfind("/")
    return None if i < 0 else path[:i]


SMALL_MAX = 256  # a plain dict up to this many paths ...
SMALL_MIN = 128  # ... and again once an edit leaves fewer than this


class Tree:
    """An immutable path tree (see the module docstring for the fields and why).

    `nodes` is a `dict[str, Node]` while the tree is small (`kids is None`) and an
    `immutables.Map[str, Node]` once it is large; read it only through the Mapping methods
    both share (`get`, `in`, `[]`, `items`, `len`).
    """

    __slots__ = (
        "base",
        "chunks",
        "dead",
        "fold",
        "kids",
        "nfull",
        "nodes",
        "tail",
        "touched",
        "uid",
    )

    nodes: Any
    kids: Kids | None
    chunks: Chunks
    tail: tuple[str | None, ...]
    nfull: int
    dead: int
    fold: int | None  # None: a small tree that has not needed it yet (see fold_of)
    uid: int
    base: int
    touched: tuple[str, ...]

    def __init__(
        self,
        nodes: Any,
        kids: Kids | None,
        chunks: Chunks,
        tail: tuple[str | None, ...],
        nfull: int,
        dead: int,
        fold: int | None,
        base: int,
        touched: tuple[str, ...],
    ) -> None:
        self.nodes = nodes
        self.kids = kids
        self.chunks = chunks
        self.tail = tail
        self.nfull = nfull
        self.dead = dead
        self.fold = fold
        self.uid = next(_uids)
        self.base = base
        self.touched = touched

    @staticmethod
    def from_items(items: Iterable[tuple[str, Node]]) -> Tree:
        """A tree holding `items` in the given order (a repeated path keeps its first slot)."""
        edit = TreeEdit(EMPTY_TREE)
        for path, node in items:
            edit.put(path, node)
        tree = edit.finish()
        if tree is not EMPTY_TREE:
            tree.base = 0  # a fresh value: no lineage worth keeping (0 is no tree's uid)
            tree.touched = ()
        return tree

    # -- queries -------------------------------------------------------------------------------

    def ordered(self) -> list[str]:
        """Paths in insertion order (the order the drivers sample from)."""
        if self.kids is None:
            return list(self.nodes)
        chunks = self.chunks
        out = [p for k in range(self.nfull) for p in chunks[k] if p is not None]
        out.extend([p for p in self.tail if p is not None])
        return out

    def has_below(self, path: str) -> bool:
        """Whether some path starts with `path + "/"`."""
        kids = self.kids
        if kids is None:
            prefix = path + "/"
            return any(q.startswith(prefix) for q in self.nodes)
        return path in kids

    def children(self, path: str) -> list[str]:
        """The paths `path + "/" + name` (no `/` in name), in no particular order."""
        kids = self.kids
        if kids is None:
            prefix = path + "/"
            cut = len(prefix)
            return [q for q in self.nodes if q.startswith(prefix) and q.find("/", cut) < 0]
        below = kids.get(path)
        if below is None:
            return []
        return [c for c, stamp in below.items() if stamp >= 0]

    def subtree(self, root: str) -> list[str]:
        """`root` (if present) and every path starting with `root + "/"`, in insertion order."""
        kids = self.kids
        if kids is None:
            return _scan(self.nodes, root)
        return _in_order(*_gather(self.nodes, kids, root)[1:])

    # -- single-edit successors (the oracle's hot paths) ---------------------------------------

    def with_new(self, path: str, node: Node) -> Tree:
        """This tree plus `path` -> `node`, for a `path` known to be absent."""
        kids = self.kids
        if kids is None:
            small = self.nodes.copy()
            small[path] = node
            if len(small) > SMALL_MAX:
                return _large(small, self.uid, (path,))
            return Tree(small, None, _NO_CHUNKS, (), 0, 0, None, self.uid, (path,))
        h = hash((path, node.content, node.mode)) if type(node) is File else hash((path, node.mode))
        # `_appended`, written out: this is the commonest edit, and the call would cost it ~2%
        # (bench/oracle_instructions_fs.py --only touch)
        tail = (*self.tail, path)
        nfull = self.nfull
        stamp = nfull * CHUNK + len(tail) - 1
        chunks = self.chunks
        if len(tail) == CHUNK:
            chunks = chunks.set(nfull, tail)
            nfull += 1
            tail = ()
        nodes = self.nodes
        i = path.rfind("/")
        up = None if i < 0 else path[:i]
        below = kids.get(up)
        if below is not None:
            kids = kids.set(up, {**below, path: stamp})
        else:
            mutation = kids.mutate()
            _link(mutation, nodes, path, stamp)
            kids = mutation.finish()
        return Tree(
            nodes.set(path, node),
            kids,
            chunks,
            tail,
            nfull,
            self.dead,
            fold_of(self) + h,
            self.uid,
            (path,),
        )

    def with_replaced(self, path: str, old: Node, node: Node) -> Tree:
        """This tree with present `path` (holding `old`) re-pointed at `node`; slot kept."""
        if self.kids is None:
            small = self.nodes.copy()
            small[path] = node
            return Tree(small, None, _NO_CHUNKS, (), 0, 0, None, self.uid, (path,))
        return Tree(
            self.nodes.set(path, node),
            self.kids,
            self.chunks,
            self.tail,
            self.nfull,
            self.dead,
            fold_of(self) - item_hash(path, old) + item_hash(path, node),
            self.uid,
            (path,),
        )

    def without(self, path: str) -> Tree:
        """This tree less the present `path` (only that path)."""
        if self.kids is None:
            small = self.nodes.copy()
            del small[path]
            return Tree(small, None, _NO_CHUNKS, (), 0, 0, None, self.uid, (path,))
        old = self.nodes[path]
        nodes = self.nodes.delete(path)
        mutation = self.kids.mutate()
        stamp = _unlink(mutation, nodes, path)
        chunks, tail = _tombstoned(self.chunks, self.tail, self.nfull, stamp)
        fold = fold_of(self) - item_hash(path, old)
        kids = mutation.finish()
        dead = self.dead + 1
        return _sealed(nodes, kids, chunks, tail, self.nfull, dead, fold, self.uid, (path,))

    def with_moved(self, src: str, dst: str) -> Tree:
        """(Large trees.) This tree with present `src`, which has nothing below it, renamed
        `dst` and re-appended. `dst` must be absent with nothing below it, and not below `src`.

        The oracle's `mv` of a file or an empty directory (most `mv`s): one removal and one
        insertion on the persistent maps, where a `TreeEdit` cut-and-graft costs several
        times as much in fixed set-up (`bench/oracle_speed_fs.py --by-command`)."""
        kids = self.kids
        assert kids is not None, "with_moved is for large trees (a small one edits a dict copy)"
        node = self.nodes[src]
        mutation = self.nodes.mutate()
        del mutation[src]
        mutation[dst] = node
        nodes = mutation.finish()
        index = kids.mutate()
        chunks, tail = _tombstoned(self.chunks, self.tail, self.nfull, _unlink(index, nodes, src))
        chunks, tail, nfull, stamp = _appended(chunks, tail, self.nfull, dst)
        _link(index, nodes, dst, stamp)
        fold = fold_of(self) - item_hash(src, node) + item_hash(dst, node)
        return _sealed(
            nodes, index.finish(), chunks, tail, nfull, self.dead + 1, fold, self.uid, (src, dst)
        )


def _appended(
    chunks: Chunks, tail: tuple[str | None, ...], nfull: int, path: str
) -> tuple[Chunks, tuple[str | None, ...], int, int]:
    """The order log with `path` appended: (chunks, tail, full chunks, `path`'s stamp). A tail
    that fills up is sealed as the next chunk."""
    stamp = nfull * CHUNK + len(tail)
    tail = (*tail, path)
    if len(tail) == CHUNK:
        return chunks.set(nfull, tail), (), nfull + 1, stamp
    return chunks, tail, nfull, stamp


def _tombstoned(
    chunks: Chunks, tail: tuple[str | None, ...], nfull: int, stamp: int
) -> tuple[Chunks, tuple[str | None, ...]]:
    """The order log with slot `stamp` blanked (a sealed chunk is copied, never edited)."""
    k, i = divmod(stamp, CHUNK)
    if k >= nfull:
        return chunks, (*tail[:i], None, *tail[i + 1 :])
    chunk = chunks[k]
    return chunks.set(k, (*chunk[:i], None, *chunk[i + 1 :])), tail


def fold_of(tree: Tree) -> int:
    """The tree's fold (sum of item hashes), computed once for a small tree."""
    fold = tree.fold
    if fold is None:
        fold = sum(item_hash(p, n) for p, n in tree.nodes.items())
        tree.fold = fold
    return fold


_NO_CHUNKS: Chunks = immutables.Map()
EMPTY_TREE = Tree({}, None, _NO_CHUNKS, (), 0, 0, 0, 0, ())
_EMPTY_LARGE = Tree(immutables.Map(), immutables.Map(), _NO_CHUNKS, (), 0, 0, 0, 0, ())


def _scan(nodes: Any, root: str) -> list[str]:
    """`root` and every path below it in a small tree, in insertion order."""
    prefix = root + "/"
    return [p for p in nodes if p == root or p.startswith(prefix)]


def _large(small: dict[str, Node], base: int, touched: tuple[str, ...]) -> Tree:
    """The large form of the paths in `small` (in its order), with the given lineage."""
    edit = TreeEdit(_EMPTY_LARGE)
    for path, node in small.items():
        edit.put(path, node)
    grown = edit.finish()
    return Tree(
        grown.nodes,
        grown.kids,
        grown.chunks,
        grown.tail,
        grown.nfull,
        grown.dead,
        grown.fold,
        base,
        touched,
    )


Gathered = tuple[list[tuple[str, Below]], list[str], list[int]]


def _gather(nodes: Any, kids: Any, root: str) -> Gathered:
    """One walk of the prefix index below `root` (a tree's or a mutation's): the index entries
    at or below it, then `root` (if present) and every path below it with their stamps, in no
    particular order (callers sort by stamp for insertion order, or by name).

    The paths and stamps are two parallel lists filled by C-level `extend`s of each child map
    (its keys, its values); only a map holding a virtual prefix (there only once orphans came
    in through a model's delta or a hand-written JSON) is filtered entry by entry. That keeps
    `mv`, `cp -r` and `rm -r` at a few C calls per directory rather than a tuple per path."""
    index: list[tuple[str, Below]] = []
    paths: list[str] = []
    stamps: list[int] = []
    if root in nodes:
        paths.append(root)
        stamps.append(kids[prefix_parent(root)][root])
    stack = [root]
    pop = stack.pop
    push = stack.extend
    get = kids.get
    while stack:
        x = pop()
        below = get(x)
        if below is not None:
            index.append((x, below))
            if VIRTUAL in below.values():
                real = [c for c, stamp in below.items() if stamp >= 0]
                paths.extend(real)
                stamps.extend([below[c] for c in real])
            else:
                paths.extend(below)
                stamps.extend(below.values())
            push(below)
    return index, paths, stamps


def _in_order(paths: list[str], stamps: list[int]) -> list[str]:
    """`paths` sorted by their `stamps` (insertion order)."""
    by_stamp = dict(zip(stamps, paths, strict=True))
    return list(map(by_stamp.__getitem__, sorted(stamps)))


def _fold_sum(paths: Iterable[str], nodes: Iterable[Node]) -> int:
    """The sum of `item_hash` over parallel paths and nodes (inlined: it runs once per path of
    every moved, copied or removed subtree)."""
    file = File
    return sum(
        [
            hash((p, n.content, n.mode)) if type(n) is file else hash((p, n.mode))
            for p, n in zip(paths, nodes, strict=True)
        ]
    )


def _link(kids: Any, nodes: Any, path: str, stamp: int) -> None:
    """Hang the newly present `path` (stamp `stamp`) in the mutable prefix index `kids`,
    creating virtual prefixes up the chain as needed. `path` may already be virtual."""
    up = prefix_parent(path)
    below = kids.get(up)
    if below is not None:
        kids[up] = {**below, path: stamp}
        return
    kids[up] = {path: stamp}
    # `up` was in no one's index: unless it is a path itself, it is a new virtual prefix.
    while up is not None and up not in nodes:
        child = up
        up = prefix_parent(child)
        below = kids.get(up)
        if below is not None:
            kids[up] = {**below, child: VIRTUAL}
            return
        kids[up] = {child: VIRTUAL}


def _unlink(kids: Any, nodes: Any, path: str) -> int:
    """Take the just-removed `path` out of the mutable prefix index `kids` (and any virtual
    prefix it leaves empty); return its stamp. `nodes` no longer holds `path`."""
    up = prefix_parent(path)
    below = kids[up]
    stamp: int = below[path]
    if path in kids:  # paths still hang below it: it stays, as a virtual prefix
        kids[up] = {**below, path: VIRTUAL}
        return stamp
    child = path
    while True:
        below = {c: x for c, x in below.items() if c != child}
        if below:
            kids[up] = below
            return stamp
        del kids[up]
        if up is None or up in nodes:
            return stamp
        child = up  # a virtual prefix with nothing left below it: unhang it too
        up = prefix_parent(child)
        below = kids[up]


class TreeEdit:
    """A private working copy of a tree: edits accumulate in place, `finish()` freezes them.

    Used for multi-edit work (`apply`, `rm`, `rm -r`, `mv`, `cp -r`). A small tree is edited as
    a copied dict; a large one through batch mutations (`Map.mutate()`) and a list for the
    order log. Every touched path is recorded so the finished tree's lineage is exact.
    """

    __slots__ = ("dead", "dirty", "fold", "kids", "log", "nfull", "nodes", "origin", "touched")

    def __init__(self, tree: Tree) -> None:
        self.origin = tree
        self.fold = 0 if tree.kids is None else fold_of(tree)  # small trees keep no fold
        self.touched: list[str] = []
        self.nfull = tree.nfull
        self.dead = tree.dead
        self.dirty: dict[int, list[str | None]] = {}  # chunk number -> chunk being tombstoned
        self.nodes: Any
        self.kids: Any
        if tree.kids is None:
            self.nodes = tree.nodes.copy()
            self.kids = None
            self.log: list[str | None] = []
        else:
            self.nodes = tree.nodes.mutate()
            self.kids = tree.kids.mutate()
            self.log = list(tree.tail)

    def get(self, path: str) -> Node | None:
        node: Node | None = self.nodes.get(path)
        return node

    def put(self, path: str, node: Node) -> None:
        """Set `path` to `node`: a new path is appended, an existing one keeps its slot."""
        nodes = self.nodes
        self.touched.append(path)
        if self.kids is None:
            nodes[path] = node  # a dict keeps an existing key's slot by itself
            return
        old = nodes.get(path)
        nodes[path] = node
        if old is not None:
            self.fold += item_hash(path, node) - item_hash(path, old)
            return
        self.fold += item_hash(path, node)
        log = self.log
        _link(self.kids, nodes, path, self.nfull * CHUNK + len(log))
        log.append(path)

    def remove(self, path: str) -> None:
        """Remove `path` alone, if present."""
        nodes = self.nodes
        old = nodes.get(path)
        if old is None:
            return
        self.touched.append(path)
        del nodes[path]
        if self.kids is not None:
            self.fold -= item_hash(path, old)
            self._tombstones((_unlink(self.kids, nodes, path),))

    def _tombstones(self, stamps: Iterable[int]) -> None:
        """Blank the order-log slots `stamps` (chunks of the origin are copied once each)."""
        nfull = self.nfull
        log = self.log
        dirty = self.dirty
        chunks = self.origin.chunks
        dead = 0
        for stamp in stamps:
            k, i = divmod(stamp, CHUNK)
            if k >= nfull:
                log[(k - nfull) * CHUNK + i] = None
            else:
                chunk = dirty.get(k)
                if chunk is None:
                    chunk = dirty[k] = list(chunks[k])
                chunk[i] = None
            dead += 1
        self.dead += dead

    def subtree(self, root: str) -> list[str]:
        """As `Tree.subtree`, on the current contents."""
        if self.kids is None:
            return _scan(self.nodes, root)
        return _in_order(*_gather(self.nodes, self.kids, root)[1:])

    def move(self, src: str, dst: str) -> None:
        """Relocate every path at or under `src` (in insertion order) to `dst` + suffix, re-
        appending them; an overwritten path outside the moved set keeps its slot."""
        kids = self.kids
        nodes = self.nodes
        if (
            kids is not None
            and dst not in nodes
            and dst not in kids
            and dst != src
            and not dst.startswith(src + "/")
        ):
            # The common case (always the oracle's): nothing exists at or below `dst`, so the
            # subtree is cut out and grafted back whole, index entries and all.
            paths, nodes_, index = self.cut(src)
            if paths:
                self.graft(src, dst, paths, nodes_, index)
            return
        # A small tree, or landing on or among existing paths: edit by edit, exactly as the
        # seed's dict does.
        paths = self.subtree(src)
        if not paths:
            return
        cut = len(src)
        relocated = [(dst + p[cut:], nodes[p]) for p in paths]
        for p in paths:
            self.remove(p)
        for p, node in relocated:
            self.put(p, node)

    def copy(self, src: str, dst: str) -> tuple[list[str], list[Node]]:
        """Put a copy of `src` and every path below it at `dst` + suffix, appended in sorted
        path order (the seed's loop); return the new paths and their nodes in that order."""
        nodes = self.nodes
        kids = self.kids
        if kids is None:
            paths = sorted(_scan(nodes, src))
            index: list[tuple[str, Below]] = []
        else:
            index, paths, _ = _gather(nodes, kids, src)
            paths.sort()
        copied = list(map(nodes.__getitem__, paths))
        if kids is not None and dst not in nodes and dst not in kids:
            return self.graft(src, dst, paths, copied, index)
        cut = len(src)
        names = [dst + p[cut:] for p in paths]
        for q, node in zip(names, copied, strict=True):
            self.put(q, node)
        return names, copied

    def cut(self, root: str) -> tuple[list[str], list[Node], list[tuple[str, Below]]]:
        """Remove `root` and everything below it; return the removed paths in insertion order,
        their nodes, and (large trees) the removed prefix-index entries, for `graft`."""
        nodes = self.nodes
        kids = self.kids
        if kids is None:
            paths = _scan(nodes, root)
            removed = list(map(nodes.__getitem__, paths))
            for p in paths:
                self.remove(p)
            return paths, removed, []
        index, paths, stamps = _gather(nodes, kids, root)
        if not paths:
            return [], [], []  # (a virtual prefix always has a path below it)
        paths = _in_order(paths, stamps)
        for x, _ in index:
            del kids[x]
        removed = list(map(nodes.__getitem__, paths))
        for p in paths:
            del nodes[p]
        self.fold -= _fold_sum(paths, removed)
        self.touched.extend(paths)
        self._tombstones(stamps)
        _unlink(kids, nodes, root)  # root's own entry is gone: unhang it from its parent
        return paths, removed, index

    def graft(
        self,
        src: str,
        dst: str,
        paths: list[str],
        moved: list[Node],
        index: list[tuple[str, Below]],
    ) -> tuple[list[str], list[Node]]:
        """(Large trees.) Add `paths` (at or below `src`, in the order to append them, holding
        `moved`) relocated to `dst`, with `index` (the prefix-index entries at or below `src`)
        relocated alongside; return the new paths and their nodes. Nothing may exist at or
        below `dst`."""
        kids = self.kids
        log = self.log
        cut = len(src)
        start = self.nfull * CHUNK + len(log)
        names = [dst + p[cut:] for p in paths]
        self.nodes.update(zip(names, moved, strict=True))
        self.fold += _fold_sum(names, moved)
        self.touched.extend(names)
        log.extend(names)
        stamp = dict(zip(paths, range(start, start + len(paths)), strict=True)).get
        for x, below in index:
            kids[dst + x[cut:]] = {dst + c[cut:]: stamp(c, VIRTUAL) for c in below}
        _link(kids, self.nodes, dst, stamp(src, VIRTUAL))
        return names, moved

    def finish(self) -> Tree:
        """The edited tree (the origin itself when nothing was touched)."""
        origin = self.origin
        if not self.touched:
            return origin
        touched = tuple(self.touched)
        if self.kids is None:
            small: dict[str, Node] = self.nodes
            if len(small) > SMALL_MAX:
                return _large(small, origin.uid, touched)
            return Tree(small, None, _NO_CHUNKS, (), 0, 0, None, origin.uid, touched)
        nodes = self.nodes.finish()
        kids = self.kids.finish()
        chunks = origin.chunks
        nfull = self.nfull
        log = self.log
        full = len(log) // CHUNK
        if self.dirty or full:
            mutation = chunks.mutate()
            for k, chunk in self.dirty.items():
                mutation[k] = tuple(chunk)
            for j in range(full):
                mutation[nfull + j] = tuple(log[j * CHUNK : (j + 1) * CHUNK])
            chunks = mutation.finish()
        tail = tuple(log[full * CHUNK :])
        return _sealed(
            nodes, kids, chunks, tail, nfull + full, self.dead, self.fold, origin.uid, touched
        )


def _sealed(
    nodes: PathMap,
    kids: Kids,
    chunks: Chunks,
    tail: tuple[str | None, ...],
    nfull: int,
    dead: int,
    fold: int,
    base: int,
    touched: tuple[str, ...],
) -> Tree:
    """A large tree's edited parts as a tree: the small form again once below `SMALL_MIN`, the
    order log compacted once its tombstones outnumber the live paths (plus slack)."""
    if len(nodes) < SMALL_MIN:
        order = [p for k in range(nfull) for p in chunks[k] if p is not None]
        order.extend([p for p in tail if p is not None])
        shrunk = {p: nodes[p] for p in order}
        return Tree(shrunk, None, _NO_CHUNKS, (), 0, 0, fold, base, touched)
    if dead > len(nodes) + _COMPACT_SLACK:
        kids, chunks, tail, nfull = _compact(nodes, kids, chunks, tail, nfull)
        dead = 0
    return Tree(nodes, kids, chunks, tail, nfull, dead, fold, base, touched)


def _compact(
    nodes: PathMap, kids: Kids, chunks: Chunks, tail: tuple[str | None, ...], nfull: int
) -> tuple[Kids, Chunks, tuple[str | None, ...], int]:
    """The order log without tombstones: same order, stamps renumbered 0.. (O(paths), run
    only after as many removals, so amortized O(1) each)."""
    order = [p for k in range(nfull) for p in chunks[k] if p is not None]
    order.extend([p for p in tail if p is not None])
    mutation = kids.mutate()
    fresh: dict[str | None, Below] = {}  # each touched child map copied once, then filled
    for stamp, path in enumerate(order):
        up = prefix_parent(path)
        below = fresh.get(up)
        if below is None:
            below = fresh[up] = dict(mutation[up])
        below[path] = stamp
    mutation.update(fresh)
    full = len(order) // CHUNK
    new_chunks: Chunks = immutables.Map(
        (k, tuple(order[k * CHUNK : (k + 1) * CHUNK])) for k in range(full)
    )
    return mutation.finish(), new_chunks, tuple(order[full * CHUNK :]), full


# -- comparing trees ---------------------------------------------------------------------------

_NO_PATHS: frozenset[str] = frozenset()
# Exact diffs already computed, keyed by the (smaller, larger) uid pair, so the next comparison
# of the two trees' successors only re-examines the old diff plus what each side touched (the
# engine compares the true trajectory with the coupled one step after step). Uids are never
# reused, so an entry can never be applied to the wrong pair; the cache is dropped whole when
# it holds more than _DIFF_BUDGET paths, which bounds its memory.
_DIFFS: dict[tuple[int, int], frozenset[str]] = {}
_DIFF_BUDGET = 1 << 20
_diff_held = 0


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _candidates(ta: Tree, tb: Tree) -> Iterable[str] | None:
    """A superset of the paths where `ta` and `tb` differ, from lineage alone; None when the
    two trees are not related closely enough to say."""
    if tb.base == ta.uid:
        return tb.touched
    if ta.base == tb.uid:
        return ta.touched
    if ta.base and ta.base == tb.base:
        return {*ta.touched, *tb.touched}
    prev = _DIFFS.get(_pair(ta.base, tb.base))
    if prev is not None:
        return prev.union(ta.touched, tb.touched)
    prev = _DIFFS.get(_pair(ta.uid, tb.base))
    if prev is not None:
        return prev.union(tb.touched)
    prev = _DIFFS.get(_pair(ta.base, tb.uid))
    if prev is not None:
        return prev.union(ta.touched)
    return None


def related(ta: Tree, tb: Tree) -> bool:
    """Whether `diff(ta, tb)` is O(paths touched) rather than O(paths)."""
    return ta is tb or _candidates(ta, tb) is not None


def diff(ta: Tree, tb: Tree) -> frozenset[str]:
    """Exactly the paths whose node (or presence) differs between `ta` and `tb`.

    O(paths touched) when the trees are related by lineage (parent and child, siblings, or
    successors of a pair compared before); O(paths) otherwise, and then remembered.
    """
    global _diff_held
    if ta is tb:
        return _NO_PATHS
    known = _DIFFS.get(_pair(ta.uid, tb.uid))
    if known is not None:  # this very pair again (trees are immutable, so it still holds)
        return known
    na = ta.nodes
    nb = tb.nodes
    candidates = _candidates(ta, tb)
    if candidates is None:
        out = [p for p, x in na.items() if (y := nb.get(p)) is not x and x != y]
        out.extend(p for p in nb if p not in na)
        found = frozenset(out)
    else:
        found = frozenset(
            p for p in candidates if (x := na.get(p)) is not (y := nb.get(p)) and x != y
        )
    if _diff_held > _DIFF_BUDGET:
        _DIFFS.clear()
        _diff_held = 0
    _DIFFS[_pair(ta.uid, tb.uid)] = found
    _diff_held += len(found) + 1
    return found


def equal(ta: Tree, tb: Tree) -> bool:
    """Structural equality of two trees (insertion order is not part of it)."""
    if ta is tb:
        return True
    if len(ta.nodes) != len(tb.nodes) or fold_of(ta) != fold_of(tb):
        return False
    if related(ta, tb):
        return not diff(ta, tb)
    na = ta.nodes
    nb = tb.nodes
    if type(na) is type(nb):
        return bool(na == nb)
    get = nb.get  # a small tree against a large one: same lengths, so one direction suffices
    return all(get(p) == node for p, node in na.items())
