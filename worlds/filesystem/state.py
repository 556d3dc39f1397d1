"""The filesystem world's state: a path tree, the cwd, the environment and `last`.

Why it looks the way it does:

* The tree is a persistent `Tree` (`tree.py`): a successor that changes it shares every part it
  did not touch, so a step, an `apply` and a divergence cost O(paths touched), not O(paths) as
  the dict copy per step did (issue 10). A successor that does not change the tree (a failure,
  `cat`, `ls`, `cd`, `export`) shares the parent's tree object outright.
* Insertion order is not part of equality, but it is observable to the drivers (they pick
  `rng.choice` over paths in that order), so the tree keeps it by the seed's dict rules: a new
  path is appended, an overwritten path keeps its slot, a moved subtree is re-appended.
  `fs` is a read-only mapping view that iterates in that order.
* Hash and fact set are cached on the (immutable) state; the hash is O(1) for a large tree,
  which keeps a running sum of its item hashes (a small one sums them on first use).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from worlds.filesystem.nodes import (
    DEFAULT_DIR,
    DIR_MODE,
    EMPTY_FILE,
    EMPTY_HASH,
    FILE_MODE,
    LAST_FAIL,
    LAST_OK,
    Dir,
    File,
    Last,
    Node,
    sha256_hex,
)
from worlds.filesystem.tree import EMPTY_TREE, Tree, equal, fold_of

__all__ = [
    "DEFAULT_DIR",
    "DIR_MODE",
    "EMPTY_FILE",
    "EMPTY_HASH",
    "FILE_MODE",
    "LAST_FAIL",
    "LAST_OK",
    "Dir",
    "File",
    "FsState",
    "FsView",
    "Last",
    "Node",
    "sha256_hex",
]

_EMPTY_ENV: dict[str, str] = {}
INITIAL_TREE = EMPTY_TREE.with_new("/", DEFAULT_DIR)


class FsView(Mapping[str, Node]):
    """A state's tree as a read-only mapping, iterating in insertion order."""

    __slots__ = ("_tree",)

    def __init__(self, tree: Tree) -> None:
        self._tree = tree

    def __getitem__(self, path: str) -> Node:
        return self._tree.nodes[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tree.ordered())

    def __len__(self) -> int:
        return len(self._tree.nodes)

    def __contains__(self, path: object) -> bool:
        return path in self._tree.nodes

    def get(self, path: str, default: Any = None) -> Any:
        return self._tree.nodes.get(path, default)

    def __repr__(self) -> str:
        return f"FsView({dict(self.items())!r})"


class FsState:
    """An immutable snapshot. Construct through `FsState.initial()`, the oracle, or the codec.

    `fs` may be a `Tree` (shared, never copied) or any mapping of path -> node (copied, in its
    iteration order). `env` is owned: the dict must never be mutated afterwards. `fs` and `env`
    are exposed as read-only views.
    """

    __slots__ = ("_cwd", "_env", "_facts", "_hash", "_last", "_tree")

    _tree: Tree
    _cwd: str
    _env: dict[str, str]
    _last: Last
    _hash: int | None
    _facts: frozenset[tuple[Any, ...]] | None

    def __init__(
        self, fs: Tree | Mapping[str, Node], cwd: str, env: dict[str, str], last: Last
    ) -> None:
        self._tree = fs if type(fs) is Tree else Tree.from_items(fs.items())  # type: ignore[union-attr]
        self._cwd = cwd
        self._env = env
        self._last = last
        self._hash = None
        self._facts = None

    @staticmethod
    def initial() -> FsState:
        """The empty world: a root directory, cwd `/`, no environment, last = (0, sha256(""))."""
        return FsState(INITIAL_TREE, "/", _EMPTY_ENV, LAST_OK)

    # -- read-only surface ---------------------------------------------------------------------

    @property
    def fs(self) -> Mapping[str, Node]:
        return FsView(self._tree)

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
        return iter(self._tree.ordered())

    def node(self, path: str) -> Node | None:
        return self._tree.nodes.get(path)

    def __len__(self) -> int:
        return len(self._tree.nodes)

    def __contains__(self, path: object) -> bool:
        return path in self._tree.nodes

    # -- value semantics -----------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not FsState:
            return NotImplemented
        return (
            self._cwd == other._cwd
            and self._last == other._last
            and (self._env is other._env or self._env == other._env)
            and equal(self._tree, other._tree)
        )

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        cached = self._hash
        if cached is None:
            cached = hash(
                (fold_of(self._tree), self._cwd, frozenset(self._env.items()), self._last)
            )
            self._hash = cached
        return cached

    def __repr__(self) -> str:
        return (
            f"FsState(paths={len(self._tree.nodes)}, cwd={self._cwd!r}, env={self._env!r}, "
            f"last=({self._last.exit_code}, {self._last.stdout_hash[:8]}))"
        )
