"""Extra filesystem paths that a drawn trajectory never touches, to grow a world without
changing its steps (`oracle_world_size_fs.py`, `oracle_instructions_fs.py --extra`).

The project's types are imported when called, not at import time, so the instructions bench's
measured process binds whichever checkout it put first on `sys.path`.
"""

from __future__ import annotations

from collections import deque
from typing import Any

ROOT = "/zz"  # not in the drivers' name pool, so no drawn action names a path below it


def background(n: int) -> list[tuple[str, Any]]:
    """`n` paths under ROOT (none for n = 0): breadth-first, four subdirectories and four files
    per directory, so the extra paths form a balanced tree."""
    from worlds.filesystem.state import DEFAULT_DIR, File

    if n <= 0:
        return []
    items: list[tuple[str, Any]] = [(ROOT, DEFAULT_DIR)]
    queue = deque([ROOT])
    while len(items) < n:
        directory = queue.popleft()
        for i in range(8):
            if len(items) >= n:
                break
            if i < 4:
                path = f"{directory}/d{i}"
                items.append((path, DEFAULT_DIR))
                queue.append(path)
            else:
                items.append((f"{directory}/f{i}", File(f"x{i}")))
    return items


def grown(state: Any, n: int) -> Any:
    """A fresh state of `state`'s type: its paths in their order, then `n` extra ones, with the
    same cwd, environment and `last`."""
    fs: dict[str, Any] = dict(state.fs.items())
    fs.update(background(n))
    return type(state)(fs, state.cwd, dict(state.env), state.last)
