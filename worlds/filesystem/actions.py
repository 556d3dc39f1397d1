"""The v0 command grammar: text in, `FsAction` out, or `ActionParseError` for anything else.

The grammar is the seed's (whitespace-split tokens, canonical text re-rendered with single
spaces): `mkdir|rmdir|touch|cd|cat|ls P`, `rm [-r] P` (`-r` only as the first argument),
`write|append P TOK`, `mv S D`, `cp [-r] S D`, `chmod MODE P` (MODE must parse as
`int(MODE, 8)`), `export K=TOK` (split at the first `=`, K non-empty). Vocabulary is not
enforced here: what a path or token means is the oracle's business, not the parser's.

An action pre-resolves its absolute path arguments (normalized path and parent) at parse time,
so the oracle's hot path never re-normalizes text a driver produced.
"""

from __future__ import annotations

from worlds.base import ActionParseError
from worlds.filesystem.paths import normalize, parent

UNARY = frozenset({"mkdir", "rmdir", "touch", "cd", "cat", "ls"})
PATH_TOKEN = frozenset({"write", "append"})

# The fifteen command names (the keys of delta shapes); `rm -r` and `cp -r` are their own.
COMMANDS: tuple[str, ...] = (
    "mkdir",
    "touch",
    "write",
    "append",
    "cp",
    "cp_r",
    "mv",
    "rm",
    "rm_r",
    "rmdir",
    "chmod",
    "cd",
    "cat",
    "ls",
    "export",
)


def _abs(arg: str) -> str | None:
    return normalize(arg) if arg.startswith("/") else None


class FsAction:
    """A parsed command. Equality is on (command, args); `text` is the canonical rendering.

    `args` are the seed's raw argument tokens: `(path,)`, `(path, token)`, `(src, dst)`,
    `(mode_text, path)` for chmod and `(key, token)` for export. `p0`/`p1` are the normalized
    absolute forms of the path arguments that are absolute (None for relative ones, which
    depend on the cwd), `q0`/`q1` their parents; `mode` is chmod's parsed mode.
    """

    __slots__ = ("args", "command", "mode", "p0", "p1", "q0", "q1", "text")

    command: str
    args: tuple[str, ...]
    text: str
    p0: str | None
    p1: str | None
    q0: str | None
    q1: str | None
    mode: int

    def __init__(self, command: str, args: tuple[str, ...], text: str, mode: int = 0) -> None:
        p0 = p1 = q0 = q1 = None
        if command != "export":
            p0 = _abs(args[1] if command == "chmod" else args[0])
            q0 = None if p0 is None else parent(p0)
            if command in ("mv", "cp", "cp_r"):
                p1 = _abs(args[1])
                q1 = None if p1 is None else parent(p1)
        setter = object.__setattr__
        setter(self, "command", command)
        setter(self, "args", args)
        setter(self, "text", text)
        setter(self, "mode", mode)
        setter(self, "p0", p0)
        setter(self, "p1", p1)
        setter(self, "q0", q0)
        setter(self, "q1", q1)

    def __eq__(self, other: object) -> bool:
        if type(other) is not FsAction:
            return NotImplemented
        return self.command == other.command and self.args == other.args

    def __hash__(self) -> int:
        return hash((self.command, self.args))

    def __repr__(self) -> str:
        return f"FsAction({self.text!r})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"FsAction is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"FsAction is immutable (cannot delete {name!r})")


def parse_action(raw: str) -> FsAction:
    """Parse one command. Total over `str`: returns an action or raises `ActionParseError`."""
    if not isinstance(raw, str):
        raise ActionParseError(repr(raw), "action text must be a str")
    toks = raw.split()
    if not toks:
        raise ActionParseError(raw, "empty command")
    name, rest = toks[0], toks[1:]

    if name in UNARY:
        if len(rest) != 1:
            raise ActionParseError(raw, f"{name} needs exactly one path")
        return FsAction(name, (rest[0],), f"{name} {rest[0]}")

    if name in PATH_TOKEN:
        if len(rest) != 2:
            raise ActionParseError(raw, f"{name} needs <path> <token>")
        return FsAction(name, (rest[0], rest[1]), f"{name} {rest[0]} {rest[1]}")

    if name == "rm" or name == "cp":
        recursive = bool(rest) and rest[0] == "-r"
        if recursive:
            rest = rest[1:]
        want = 1 if name == "rm" else 2
        if len(rest) != want:
            shape = "<path>" if name == "rm" else "<src> <dst>"
            raise ActionParseError(raw, f"{name} needs [-r] {shape}")
        command = name + "_r" if recursive else name
        flag = " -r" if recursive else ""
        return FsAction(command, tuple(rest), f"{name}{flag} {' '.join(rest)}")

    if name == "mv":
        if len(rest) != 2:
            raise ActionParseError(raw, "mv needs <src> <dst>")
        return FsAction("mv", (rest[0], rest[1]), f"mv {rest[0]} {rest[1]}")

    if name == "chmod":
        if len(rest) != 2:
            raise ActionParseError(raw, "chmod needs <mode> <path>")
        try:
            mode = int(rest[0], 8)
        except ValueError:
            raise ActionParseError(raw, f"bad octal mode {rest[0]!r}") from None
        return FsAction("chmod", (rest[0], rest[1]), f"chmod {rest[0]} {rest[1]}", mode)

    if name == "export":
        if len(rest) != 1 or "=" not in rest[0]:
            raise ActionParseError(raw, "export needs exactly one KEY=token")
        key, _, token = rest[0].partition("=")
        if not key:
            raise ActionParseError(raw, "export key is empty")
        return FsAction("export", (key, token), f"export {key}={token}")

    raise ActionParseError(raw, f"unknown command {name!r}")


def resolved_args(action: FsAction) -> tuple[str, ...]:
    """Arguments with absolute paths normalized; relative paths stay as written (they need a
    cwd to resolve, which an action does not carry)."""
    cmd = action.command
    if cmd == "export":
        return action.args
    if cmd == "chmod":
        return (action.args[0], action.p0 if action.p0 is not None else action.args[1])
    first = action.p0 if action.p0 is not None else action.args[0]
    if cmd in ("mv", "cp", "cp_r"):
        return (first, action.p1 if action.p1 is not None else action.args[1])
    if cmd in ("write", "append"):
        return (first, action.args[1])
    return (first,)
