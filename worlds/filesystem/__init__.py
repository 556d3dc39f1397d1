"""The v0 shell/filesystem world: a path-keyed tree, a fifteen-command grammar, an exact oracle.

Public surface: `FilesystemWorld` (the `worlds.base.World` implementation), the value types
(`FsState`, `File`, `Dir`, `Last`, `FsAction`, the edit types) and the pure functions the world
composes (`parse_action`, `step`, `apply`). Semantics are the seed's, with one documented
deviation in the oracle (`cp` of a file onto an existing directory fails); see `oracle.py`.
"""

from __future__ import annotations

from worlds.filesystem.actions import COMMANDS, FsAction, parse_action
from worlds.filesystem.apply import apply
from worlds.filesystem.drivers import DRIVER_NAMES, FsDriver, UnknownDriverError
from worlds.filesystem.edits import (
    Chmod,
    Create,
    Delete,
    Edit,
    Modify,
    Move,
    SetCwd,
    SetEnv,
    SetResult,
)
from worlds.filesystem.oracle import ORACLE_VERSION, step
from worlds.filesystem.state import EMPTY_HASH, Dir, File, FsState, Last, Node
from worlds.filesystem.vocab import FsVocab
from worlds.filesystem.world import FilesystemWorld

__all__ = [
    "COMMANDS",
    "DRIVER_NAMES",
    "EMPTY_HASH",
    "ORACLE_VERSION",
    "Chmod",
    "Create",
    "Delete",
    "Dir",
    "Edit",
    "File",
    "FilesystemWorld",
    "FsAction",
    "FsDriver",
    "FsState",
    "FsVocab",
    "Last",
    "Modify",
    "Move",
    "Node",
    "SetCwd",
    "SetEnv",
    "SetResult",
    "UnknownDriverError",
    "apply",
    "parse_action",
    "step",
]
