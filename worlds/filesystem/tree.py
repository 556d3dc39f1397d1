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
* The insertion order the drivers observe (`rng.choice` over paths in the seed's dict order):
  an append-only log of paths, position = stamp, cut into immutable 32-slot chunks (`chunks`
  keyed by chunk number, plus the open `tail`). A new path is appended, an overwritten one
  keeps its slot, a removed one leaves a `None` tombstone; once tombstones outnumber live paths
  the log is compacted (stamps renumbered, order kept), so its length stays O(paths) at an
  amortized O(1) per removal. Iterating in order walks the chunks at C speed: no sort, no
  per-path lookup.
* `fold`: the sum of the item hashes, updated per edit, so hashing a state is O(1) and
  unequal trees are told apart in O(1) before any structural comparison.

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

Below = immutables.Map[str, int]  # child path -> stamp (VIRTUAL for a bare prefix)
PathMap = immutables.Map[str, Node]
Kids = immutables.Map[str | None, Below]
Chunks = immutables.Map[int, tuple[str | None, ...]]

_EMPTY_BELOW: Below = immutables.Map()


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


class Tree:
    """An immutable path tree (see the module docstring for the fields and why)."""

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

    nodes: PathMap
    kids: Kids
    chunks: Chunks
    tail: tuple[str | None, ...]
    nfull: int
    dead: int
    fold: int
    uid: int
    base: int
    touched: tuple[str, ...]

    def __init__(
        self,
        nodes: PathMap,
        kids: Kids,
        chunks: Chunks,
        tail: tuple[str | None, ...],
        nfull: int,
        dead: int,
        fold: int,
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
        chunks = self.chunks
        out = [p for k in range(self.nfull) for p in chunks[k] if p is not None]
        out.extend([p for p in self.tail if p is not None])
        return out

    def has_below(self, path: str) -> bool:
        """Whether some path starts with `path + "/"`."""
        return path in self.kids

    def children(self, path: str) -> list[str]:
        """The paths `path + "/" + name` (no `/` in name), in no particular order."""
        below = self.kids.get(path)
        if below is None:
            return []
        return [c for c, stamp in below.items() if stamp >= 0]

    def subtree(self, root: str) -> list[str]:
        """`root` (if present) and every path starting with `root + "/"`, in insertion order."""
        return [p for _, p in _subtree(self.nodes, self.kids, root)]

    def index_below(self, root: str) -> list[tuple[str, Below]]:
        """The prefix-index entries at or below `root` (what `TreeEdit.graft` relocates)."""
        kids = self.kids
        out: list[tuple[str, Below]] = []
        stack = [root]
        while stack:
            x = stack.pop()
            below = kids.get(x)
            if below is not None:
                out.append((x, below))
                stack.extend(below)
        return out

    # -- single-edit successors (the oracle's hot paths) ---------------------------------------

    def with_new(self, path: str, node: Node) -> Tree:
        """This tree plus `path` -> `node`, for a `path` known to be absent."""
        tail = (*self.tail, path)
        nfull = self.nfull
        stamp = nfull * CHUNK + len(tail) - 1
        chunks = self.chunks
        if len(tail) == CHUNK:
            chunks = chunks.set(nfull, tail)
            nfull += 1
            tail = ()
        nodes = self.nodes
        kids = self.kids
        up = prefix_parent(path)
        below = kids.get(up)
        if below is not None:
            kids = kids.set(up, below.set(path, stamp))
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
            self.fold + item_hash(path, node),
            self.uid,
            (path,),
        )

    def with_replaced(self, path: str, old: Node, node: Node) -> Tree:
        """This tree with present `path` (holding `old`) re-pointed at `node`; slot kept."""
        return Tree(
            self.nodes.set(path, node),
            self.kids,
            self.chunks,
            self.tail,
            self.nfull,
            self.dead,
            self.fold - item_hash(path, old) + item_hash(path, node),
            self.uid,
            (path,),
        )

    def without(self, path: str) -> Tree:
        """This tree less the present `path` (only that path)."""
        edit = TreeEdit(self)
        edit.remove(path)
        return edit.finish()


EMPTY_TREE = Tree(immutables.Map(), immutables.Map(), immutables.Map(), (), 0, 0, 0, 0, ())


def _subtree(nodes: Any, kids: Any, root: str) -> list[tuple[int, str]]:
    """(stamp, path) for `root` (if present) and every path below it, sorted by stamp."""
    found: list[tuple[int, str]] = []
    if root in nodes:
        found.append((kids[prefix_parent(root)][root], root))
    stack = [root]
    while stack:
        below = kids.get(stack.pop())
        if below is not None:
            for c, stamp in below.items():
                if stamp >= 0:
                    found.append((stamp, c))
                stack.append(c)
    found.sort()
    return found


def _link(kids: Any, nodes: Any, path: str, stamp: int) -> None:
    """Hang the newly present `path` (stamp `stamp`) in the mutable prefix index `kids`,
    creating virtual prefixes up the chain as needed. `path` may already be virtual."""
    up = prefix_parent(path)
    below = kids.get(up)
    if below is not None:
        kids[up] = below.set(path, stamp)
        return
    kids[up] = _EMPTY_BELOW.set(path, stamp)
    # `up` was in no one's index: unless it is a path itself, it is a new virtual prefix.
    while up is not None and up not in nodes:
        child = up
        up = prefix_parent(child)
        below = kids.get(up)
        if below is not None:
            kids[up] = below.set(child, VIRTUAL)
            return
        kids[up] = _EMPTY_BELOW.set(child, VIRTUAL)


def _unlink(kids: Any, nodes: Any, path: str) -> int:
    """Take the just-removed `path` out of the mutable prefix index `kids` (and any virtual
    prefix it leaves empty); return its stamp. `nodes` no longer holds `path`."""
    up = prefix_parent(path)
    below = kids[up]
    stamp: int = below[path]
    if path in kids:  # paths still hang below it: it stays, as a virtual prefix
        kids[up] = below.set(path, VIRTUAL)
        return stamp
    child = path
    while True:
        below = below.delete(child)
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

    Used for multi-edit work (`apply`, `rm`, `rm -r`, `mv`, `cp -r`). The maps are batch
    mutations (`Map.mutate()`), the order log a list; every touched path is recorded so the
    finished tree's lineage is exact.
    """

    __slots__ = ("dead", "dirty", "fold", "kids", "log", "nfull", "nodes", "origin", "touched")

    def __init__(self, tree: Tree) -> None:
        self.origin = tree
        self.nodes = tree.nodes.mutate()
        self.kids = tree.kids.mutate()
        self.fold = tree.fold
        self.log: list[str | None] = list(tree.tail)
        self.nfull = tree.nfull
        self.dead = tree.dead
        self.dirty: dict[int, list[str | None]] = {}  # chunk number -> chunk being tombstoned
        self.touched: list[str] = []

    def get(self, path: str) -> Node | None:
        return self.nodes.get(path)

    def put(self, path: str, node: Node) -> None:
        """Set `path` to `node`: a new path is appended, an existing one keeps its slot."""
        nodes = self.nodes
        old = nodes.get(path)
        self.touched.append(path)
        nodes[path] = node
        if old is not None:
            self.fold += item_hash(path, node) - item_hash(path, old)
            return
        log = self.log
        _link(self.kids, nodes, path, self.nfull * CHUNK + len(log))
        log.append(path)
        self.fold += item_hash(path, node)

    def remove(self, path: str) -> None:
        """Remove `path` alone, if present."""
        nodes = self.nodes
        old = nodes.get(path)
        if old is None:
            return
        self.touched.append(path)
        del nodes[path]
        self.fold -= item_hash(path, old)
        k, i = divmod(_unlink(self.kids, nodes, path), CHUNK)
        if k >= self.nfull:
            self.log[(k - self.nfull) * CHUNK + i] = None
        else:
            chunk = self.dirty.get(k)
            if chunk is None:
                chunk = self.dirty[k] = list(self.origin.chunks[k])
            chunk[i] = None
        self.dead += 1

    def subtree(self, root: str) -> list[str]:
        """As `Tree.subtree`, on the current contents."""
        return [p for _, p in _subtree(self.nodes, self.kids, root)]

    def move(self, src: str, dst: str) -> None:
        """Relocate every path at or under `src` (in insertion order) to `dst` + suffix, re-
        appending them; an overwritten path outside the moved set keeps its slot."""
        kids = self.kids
        nodes = self.nodes
        if dst not in nodes and dst not in kids and dst != src and not dst.startswith(src + "/"):
            # The common case (always the oracle's): nothing exists at or below `dst`, so the
            # subtree is cut out and grafted back whole, index entries and all.
            moved, index = self.cut(src)
            if moved:
                self.graft(src, dst, moved, index)
            return
        # Landing on or among existing paths: edit by edit, exactly as the seed's dict does.
        entries = _subtree(nodes, kids, src)
        if not entries:
            return
        cut = len(src)
        relocated = [(dst + p[cut:], nodes[p]) for _, p in entries]
        for _, p in entries:
            self.remove(p)
        for p, node in relocated:
            self.put(p, node)

    def cut(self, root: str) -> tuple[list[tuple[str, Node]], list[tuple[str, Below]]]:
        """Remove `root` and everything below it; return the removed (path, node) pairs in
        insertion order and the removed prefix-index entries (for `graft`)."""
        nodes = self.nodes
        kids = self.kids
        entries: list[tuple[int, str]] = []
        index: list[tuple[str, Below]] = []
        if root in nodes:
            entries.append((kids[prefix_parent(root)][root], root))
        stack = [root]
        while stack:
            x = stack.pop()
            below = kids.get(x)
            if below is not None:
                index.append((x, below))
                for c, stamp in below.items():
                    if stamp >= 0:
                        entries.append((stamp, c))
                    stack.append(c)
        if not entries:
            return [], []
        entries.sort()
        for x, _ in index:
            del kids[x]
        removed: list[tuple[str, Node]] = []
        touched = self.touched
        log = self.log
        nfull = self.nfull
        fold = self.fold
        for stamp, p in entries:
            node = nodes[p]
            del nodes[p]
            removed.append((p, node))
            fold -= item_hash(p, node)
            touched.append(p)
            k, i = divmod(stamp, CHUNK)
            if k >= nfull:
                log[(k - nfull) * CHUNK + i] = None
            else:
                chunk = self.dirty.get(k)
                if chunk is None:
                    chunk = self.dirty[k] = list(self.origin.chunks[k])
                chunk[i] = None
        self.fold = fold
        self.dead += len(entries)
        _unlink(kids, nodes, root)  # root's own entry is gone: unhang it from its parent
        return removed, index

    def graft(
        self,
        src: str,
        dst: str,
        pairs: list[tuple[str, Node]],
        index: list[tuple[str, Below]],
    ) -> None:
        """Add `pairs` (paths at or below `src`, in the order to append them) relocated to
        `dst`, with `index` (the prefix-index entries at or below `src`) relocated alongside.
        Nothing may exist at or below `dst`."""
        nodes = self.nodes
        kids = self.kids
        touched = self.touched
        log = self.log
        cut = len(src)
        stamp = self.nfull * CHUNK + len(log)
        stamps: dict[str, int] = {}
        fold = self.fold
        for p, node in pairs:
            q = dst + p[cut:]
            nodes[q] = node
            fold += item_hash(q, node)
            touched.append(q)
            log.append(q)
            stamps[p] = stamp
            stamp += 1
        self.fold = fold
        for x, below in index:
            kids[dst + x[cut:]] = immutables.Map(
                {dst + c[cut:]: stamps.get(c, VIRTUAL) for c in below}
            )
        _link(kids, nodes, dst, stamps.get(src, VIRTUAL))

    def finish(self) -> Tree:
        """The edited tree (the origin itself when nothing was touched)."""
        origin = self.origin
        if not self.touched:
            return origin
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
        nfull += full
        dead = self.dead
        if dead > len(nodes) + _COMPACT_SLACK:
            kids, chunks, tail, nfull = _compact(nodes, kids, chunks, tail, nfull)
            dead = 0
        return Tree(
            nodes, kids, chunks, tail, nfull, dead, self.fold, origin.uid, tuple(self.touched)
        )


def _compact(
    nodes: PathMap, kids: Kids, chunks: Chunks, tail: tuple[str | None, ...], nfull: int
) -> tuple[Kids, Chunks, tuple[str | None, ...], int]:
    """The order log without tombstones: same order, stamps renumbered 0.. (O(paths), run
    only after as many removals, so amortized O(1) each)."""
    order = [p for k in range(nfull) for p in chunks[k] if p is not None]
    order.extend([p for p in tail if p is not None])
    mutation = kids.mutate()
    for stamp, path in enumerate(order):
        up = prefix_parent(path)
        mutation[up] = mutation[up].set(path, stamp)
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
    if ta.fold != tb.fold or len(ta.nodes) != len(tb.nodes):
        return False
    if related(ta, tb):
        return not diff(ta, tb)
    return ta.nodes == tb.nodes
