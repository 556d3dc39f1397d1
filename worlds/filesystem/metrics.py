"""The judge: fact-set divergence between states, and delta-level exactness and bits.

Divergence (the seed's §7.1): a state is the set of facts `(path, "file", content_hash, mode)` /
`(path, "dir", "", mode)` per node plus `("\\0cwd", cwd)`, `("\\0env", key, value)` per
binding, `("\\0exit", code)` and `("\\0stdout", hash)`; `d = |F(a) ^ F(b)| / (|F(a)| + |F(b)|)`.
Scalar facts are never 4-tuples, so they cannot collide with node facts; every state has at
least three scalar facts, so the denominator is never zero.

`divergence` never builds the fact sets when it can avoid it: |F(s)| is |paths| + |env| + 3,
and |F(a) ^ F(b)| is counted from the paths whose nodes differ (`tree.diff`, O(paths touched)
for a state and its successor, two siblings, or the successors of a pair compared before, which
is what the engine's loop does step after step) plus the few scalar and env facts. Only
unrelated trees cost O(paths), once. `facts` itself must return the whole set, so it is O(paths)
per state (cached).

Delta metrics compare deltas as *multisets* of edits: an oracle delta's edits commute (they
touch distinct paths, and SetResult is independent of the tree), so order carries no meaning
the metric should charge for. `bits_to_correct` is the seed's prefix-code surrogate: the
symmetric multiset difference, each residual edit costed in symbols (path = 1 + segments,
content = 1 + characters, ...), times log2(64) = 6 bits per symbol. Counting the edit objects
themselves is the same identity as the seed's compact-JSON keys, because two edits are equal
exactly when their dicts are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

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
from worlds.filesystem.state import File, FsState, Node
from worlds.filesystem.tree import diff, related

Fact = tuple[Any, ...]
BITS_PER_SYMBOL = 6.0  # log2(64): the seed's nominal alphabet
# Below this many facts in the two states together, XOR-ing two cached fact sets (C, ~20 ns a
# fact) is cheaper than even a lineage diff's fixed cost (~1-2 us), related trees or not; and
# two small unrelated states (nothing to diff by lineage) build their sets, cached for next time.
_XOR_BELOW = 128


def node_fact(path: str, node: Node) -> Fact:
    if type(node) is File:
        return (path, "file", node.content_hash, node.mode)
    return (path, "dir", "", node.mode)


def facts(state: FsState) -> frozenset[Fact]:
    cached = state._facts
    if cached is None:
        out: list[Fact] = [node_fact(path, node) for path, node in state._tree.nodes.items()]
        out.append(("\0cwd", state._cwd))
        out.extend(("\0env", key, value) for key, value in state._env.items())
        out.append(("\0exit", state._last.exit_code))
        out.append(("\0stdout", state._last.stdout_hash))
        cached = frozenset(out)
        state._facts = cached
    return cached


def divergence(a: FsState, b: FsState) -> float:
    if a is b:
        return 0.0
    ta = a._tree
    tb = b._tree
    total = len(ta.nodes) + len(tb.nodes) + len(a._env) + len(b._env) + 6
    fa = a._facts
    fb = b._facts
    small = total < _XOR_BELOW
    if fa is not None and fb is not None and (small or not related(ta, tb)):
        return len(fa ^ fb) / total  # both sets at hand: one C-level pass beats a path diff
    if small and not related(ta, tb):
        return len(facts(a) ^ facts(b)) / total  # a full diff either way: build and keep them
    sym = 0
    if ta is not tb:
        na = ta.nodes
        nb = tb.nodes
        for path in diff(ta, tb):
            x = na.get(path)
            y = nb.get(path)
            if x is None or y is None:
                sym += 1
            elif node_fact(path, x) != node_fact(path, y):
                sym += 2
    if a._env is not b._env and a._env != b._env:
        sym += len(a._env.items() ^ b._env.items())
    if a._cwd != b._cwd:
        sym += 2
    la = a._last
    lb = b._last
    if la is not lb:
        sym += 2 * (la.exit_code != lb.exit_code) + 2 * (la.stdout_hash != lb.stdout_hash)
    return sym / total


def _path_symbols(path: str) -> int:
    return 1 + sum(1 for seg in path.split("/") if seg)


def edit_symbols(edit: object) -> int:
    """Description length of one edit in symbols (the seed's fixed code)."""
    if isinstance(edit, Create):
        node = edit.node
        node_cost = 1 + (1 + len(node.content)) + 1 if isinstance(node, File) else 2
        return 1 + _path_symbols(edit.path) + node_cost
    if isinstance(edit, Delete | SetCwd):
        return 1 + _path_symbols(edit.path)
    if isinstance(edit, Modify):
        return 1 + _path_symbols(edit.path) + 1 + len(edit.content)
    if isinstance(edit, Move):
        return 1 + _path_symbols(edit.src) + _path_symbols(edit.dst)
    if isinstance(edit, Chmod):
        return 1 + _path_symbols(edit.path) + 1
    if isinstance(edit, SetEnv | SetResult):
        return 3
    raise TypeError(f"not a filesystem edit: {edit!r}")


def delta_exact(pred: Sequence[object], true: Sequence[object]) -> bool:
    """Same edits with the same multiplicities (order-free; see the module docstring)."""
    if len(pred) != len(true):
        return False
    return list(pred) == list(true) or Counter(pred) == Counter(true)


def correction_symbols(pred: Sequence[object], true: Sequence[object]) -> int:
    pc = Counter(pred)
    tc = Counter(true)
    total = 0
    for edit in pc.keys() | tc.keys():
        residual = abs(pc[edit] - tc[edit])
        if residual:
            total += residual * edit_symbols(edit)
    return total


def bits_to_correct(pred: Sequence[object], true: Sequence[object]) -> float:
    """0.0 iff `delta_exact(pred, true)`; otherwise strictly positive."""
    if delta_exact(pred, true):
        return 0.0
    return correction_symbols(pred, true) * BITS_PER_SYMBOL
