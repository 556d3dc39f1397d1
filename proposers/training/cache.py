"""Trained weights cached on disk by content key: arms and trials sharing a model train it once.

The key is a digest of everything the weights depend on: the training data's content (states,
actions and deltas as canonical JSON), the hyper-parameters, the seed, the vocabulary and a
digest of the model/training source code. Writes go to a temporary file in the same directory
and are published with an atomic rename, so concurrent processes can race on one key safely:
the loser's rename replaces an identical file, and a reader never sees a half-written one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

CACHE_ENV = "VERISIM_CACHE_DIR"
HOME_ENV = "VERISIM_HOME"  # the engine's data directory (default ./.verisim)

# The sources whose change must invalidate cached weights (relative to the `proposers` package).
_CODE_PATHS: tuple[str, ...] = (
    "tokenize",
    "flat_transformer",
    "graph_rssm",
    "training",
    "decoding.py",
    "device.py",
)


def cache_dir() -> Path:
    """`VERISIM_CACHE_DIR`, else `cache/` under the engine data dir (`VERISIM_HOME`, `.verisim`)."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(HOME_ENV) or ".verisim") / "cache"


@lru_cache(maxsize=1)
def code_version() -> str:
    """Digest of the proposer source that shapes trained weights."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for rel in _CODE_PATHS:
        path = root / rel
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def digest(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def content_key(spec: Mapping[str, Any]) -> str:
    """The cache key of a training spec (plain JSON values only)."""
    blob = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class WeightCache:
    """A directory of `<kind>/<key>.pt` files: a state dict plus JSON-able training info."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else cache_dir()

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / f"{key}.pt"

    @contextlib.contextmanager
    def lock(self, kind: str, key: str) -> Iterator[None]:
        """Hold the key's lock while checking the cache and, on a miss, fitting and storing."""
        path = self.path(kind, key).with_suffix(".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # no flock on this platform: the atomic rename alone keeps it safe
            yield
            return
        with open(path, "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def load(self, kind: str, key: str) -> dict[str, Any] | None:
        path = self.path(kind, key)
        if not path.exists():
            return None
        try:
            payload: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # any unreadable entry (truncated, foreign): retrain, overwrite it
            return None
        return payload

    def store(self, kind: str, key: str, payload: Mapping[str, Any]) -> Path:
        path = self.path(kind, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                torch.save(dict(payload), fh)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path
