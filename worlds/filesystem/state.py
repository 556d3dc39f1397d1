"""The filesystem world's state: a path-keyed tree, the cwd, the environment and `last`.

Why it looks the way it does:

* A state owns plain dicts that are never mutated after construction. A successor that changes
  the tree gets a shallow copy of the parent's dict (nodes are shared, they are immutable); a
  successor that does not (a failure, `cat`, `ls`, `cd`, `export`) shares the parent's dict
  outright. At the sizes drivers produce (tens to a few hundred paths) one C-level dict copy is
  cheaper than any pure-Python persistent map, which is what the oracle's speed budget needs.
* The dict's insertion order is not part of equality, but it is observable to the drivers (they
  pick `rng.choice` over paths in that order), so it follows the seed's rules exactly: a new
  path is appended, an overwritten path keeps its slot, a moved subtree is re-appended.
* Hash and fact set are computed once, on first use, and cached on the (immutable) state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


def sha256_hex(text: str) -> str:
    """The seed's content / stdout hash: sha256 of the UTF-8 bytes (surrogates kept verbatim)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


EMPTY_HASH = sha256_hex("")
FILE_MODE = 0o644
DIR_MODE = 0o755


@dataclass(frozen=True, slots=True)
class File:
    """A regular file; its hash and size derive from the inline content (computed once)."""

    content: str = ""
    mode: int = FILE_MODE
    _digest: str | None = field(default=None, init=False, compare=False, repr=False, hash=False)

    @property
    def content_hash(self) -> str:
        digest = self._digest
        if digest is None:
            digest = sha256_hex(self.content)
            object.__setattr__(self, "_digest", digest)
        return digest

    @property
    def size(self) -> int:
        return len(self.content.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True, slots=True)
class Dir:
    """A directory; it holds no children itself (they are the paths below it)."""

    mode: int = DIR_MODE


Node = File | Dir

EMPTY_FILE = File()
DEFAULT_DIR = Dir()


@dataclass(frozen=True, slots=True)
class Last:
    """What the previous command left behind: its exit code and the hash of its stdout."""

    exit_code: int = 0
    stdout_hash: str = EMPTY_HASH


LAST_OK = Last(0, EMPTY_HASH)
LAST_FAIL = Last(1, EMPTY_HASH)

_EMPTY_ENV: dict[str, str] = {}


class FsState:
    """An immutable snapshot. Construct through `FsState.initial()`, the oracle, or the codec.

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
    def initial() -> FsState:
        """The empty world: a root directory, cwd `/`, no environment, last = (0, sha256(""))."""
        return FsState({"/": DEFAULT_DIR}, "/", _EMPTY_ENV, LAST_OK)

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
        if type(other) is not FsState:
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
            f"FsState(paths={len(self._fs)}, cwd={self._cwd!r}, env={self._env!r}, "
            f"last=({self._last.exit_code}, {self._last.stdout_hash[:8]}))"
        )
