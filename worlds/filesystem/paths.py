"""Path arithmetic of the v0 shell: every path the oracle touches is normalized absolute text.

Paths are plain strings rather than objects because the state is keyed by them and the oracle's
speed budget leaves no room for wrapping; these helpers are the one place their rules live.
`..` at the root is clamped (as a kernel treats `/..`), so normalization is total.
"""

from __future__ import annotations

ROOT = "/"


def normalize(path: str) -> str:
    """Drop empty and `.` segments, let `..` pop (clamped at the root), return absolute text."""
    parts: list[str] = []
    for seg in path.split("/"):
        if seg == "" or seg == ".":
            continue
        if seg == "..":
            if parts:
                parts.pop()
            continue
        parts.append(seg)
    return "/" + "/".join(parts)


def is_normal_absolute(path: str) -> bool:
    """True when `normalize(path) == path` (the fast path most driver-made paths take)."""
    if path == "/":
        return True
    if not path.startswith("/") or path.endswith("/") or "//" in path:
        return False
    return all(seg != "." and seg != ".." for seg in path[1:].split("/"))


def resolve(cwd: str, path: str) -> str:
    """An argument as the oracle sees it: absolute paths as given, others under `cwd`."""
    if path.startswith("/"):
        return path if is_normal_absolute(path) else normalize(path)
    return normalize(cwd + "/" + path)


def parent(path: str) -> str:
    """The containing directory of a normalized path; the root is its own parent."""
    idx = path.rfind("/")
    if idx <= 0:
        return "/"
    return path[:idx]


def basename(path: str) -> str:
    """The last segment; the root's is empty."""
    return path[path.rfind("/") + 1 :]


def join(directory: str, name: str) -> str:
    """`directory/name` for a normalized directory and a single plain segment."""
    return "/" + name if directory == "/" else directory + "/" + name


def depth(path: str) -> int:
    """Number of segments of a normalized path (the root has depth 0)."""
    return 0 if path == "/" else path.count("/")
