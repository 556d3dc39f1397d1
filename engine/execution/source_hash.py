"""The hash of the source a trial's result depends on, so a code change never reuses old results.

A trial is a pure function of its parameters, its seed and *code*. The package version says
little about the code (it does not change between commits), so the trial key also carries a
sha256 over the Python source of everything a trial executes: the worlds (oracles, metrics,
drivers), the proposers, the rollout loop, the experiment kinds, and the module that turns a
stored spec into a call (`engine/execution/trials.py`). Editing any of them gives new trial
keys, so a resumed run re-runs those trials instead of silently mixing results of two codes.

The hash reads file bytes under names relative to each package root, sorted, so it does not
depend on where the checkout lives, on file modification times or on the order the
filesystem lists files. Only `*.py` files count (not `__pycache__`, not data files), and a
change to a docstring or a comment changes the hash too: telling a harmless edit from a
meaningful one would need a parser of intent, and a re-run is the safe side to err on.
Computed once per process (about a hundred files, a few milliseconds).
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import cache
from pathlib import Path

SOURCES: tuple[tuple[str, str], ...] = (
    ("worlds", ""),
    ("proposers", ""),
    ("engine.rollout", ""),
    ("engine.experiments", ""),
    ("engine.execution", "trials.py"),
)
"""(package, file): a whole package when the file is empty, else that one module of it."""


class SourceHashError(RuntimeError):
    """A package the hash covers cannot be found (a broken installation)."""


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SourceHashError(f"cannot locate the source of package {package!r}")
    return Path(next(iter(spec.submodule_search_locations)))


def source_files() -> list[tuple[str, Path]]:
    """(stable name, path) of every file the hash covers, sorted by name."""
    out: list[tuple[str, Path]] = []
    for package, single in SOURCES:
        root = _package_dir(package)
        prefix = package.replace(".", "/")
        if single:
            out.append((f"{prefix}/{single}", root / single))
            continue
        for path in root.rglob("*.py"):
            if "__pycache__" in path.parts:
                continue
            out.append((f"{prefix}/{path.relative_to(root).as_posix()}", path))
    return sorted(out)


def hash_files(files: list[tuple[str, Path]]) -> str:
    """sha256 over (name, length, bytes) of each file, in the given order."""
    digest = hashlib.sha256()
    for name, path in files:
        data = path.read_bytes()
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(str(len(data)).encode("ascii") + b"\0")
        digest.update(data)
    return digest.hexdigest()


@cache
def source_hash() -> str:
    """The code hash of this process's source (64 hex digits; computed once)."""
    return hash_files(source_files())
