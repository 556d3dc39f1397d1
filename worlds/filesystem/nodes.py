"""The filesystem world's value types: file and directory nodes, and `last`.

They live apart from `state.py` so the path tree (`tree.py`) and the state can both build on
them without an import cycle; `worlds.filesystem.state` re-exports every name here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def sha256_hex(text: str) -> str:
    """The seed's content / stdout hash: sha256 of the UTF-8 bytes (surrogates kept verbatim)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


EMPTY_HASH = sha256_hex("")
FILE_MODE = 0o644
DIR_MODE = 0o755


@dataclass(frozen=True, slots=True, init=False)
class File:
    """A regular file; its hash and size derive from the inline content (computed once)."""

    content: str = ""
    mode: int = FILE_MODE
    _digest: str | None = field(default=None, init=False, compare=False, repr=False, hash=False)

    def __init__(self, content: str = "", mode: int = FILE_MODE) -> None:
        # Written out (see `worlds.base.Transition`): write, append, chmod and cp build one per
        # step, and the generated frozen __init__ sets each slot through object.__setattr__.
        _FILE_CONTENT(self, content)
        _FILE_MODE(self, mode)
        _FILE_DIGEST(self, None)

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


_FILE_CONTENT = File.__dict__["content"].__set__
_FILE_MODE = File.__dict__["mode"].__set__
_FILE_DIGEST = File.__dict__["_digest"].__set__


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
