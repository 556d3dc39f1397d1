"""The seed's action grammar: whitespace-split tokens, the first is the command.

    advance                      host_up H      host_down H
    link_up A B    link_down A B fw_deny H SRC  fw_allow H SRC
    svc_up H PORT  svc_down H PORT
    connect SRC DST PORT         close SRC DST PORT

The parser checks only shape: arity, and that a port token is an integer (negatives and any
other spelling Python's `int()` accepts, as in the seed). Whether hosts exist is the oracle's
question (it answers with exit code 2), so a model may name a host the world does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from worlds.base import ActionParseError

ARITY: dict[str, int] = {
    "host_up": 1,
    "host_down": 1,
    "link_up": 2,
    "link_down": 2,
    "svc_up": 2,
    "svc_down": 2,
    "fw_deny": 2,
    "fw_allow": 2,
    "connect": 3,
    "close": 3,
    "advance": 0,
}
COMMANDS: tuple[str, ...] = tuple(ARITY)
_WITH_PORT = frozenset({"svc_up", "svc_down", "connect", "close"})
_USAGE: dict[str, str] = {
    "host_up": "host_up <host>",
    "host_down": "host_down <host>",
    "link_up": "link_up <a> <b>",
    "link_down": "link_down <a> <b>",
    "svc_up": "svc_up <host> <port>",
    "svc_down": "svc_down <host> <port>",
    "fw_deny": "fw_deny <host> <src>",
    "fw_allow": "fw_allow <host> <src>",
    "connect": "connect <src> <dst> <port>",
    "close": "close <src> <dst> <port>",
    "advance": "advance",
}


@dataclass(frozen=True, slots=True)
class NetAction:
    """A parsed command. `args` are the tokens as written; `port` is the port token's int.

    `port` is None for commands without a port. It is derived from `args`, so two actions
    are equal exactly when their canonical texts are.
    """

    command: str
    args: tuple[str, ...]
    port: int | None = None

    @property
    def text(self) -> str:
        """Canonical text: tokens joined by single spaces; parses back to this action."""
        return " ".join((self.command, *self.args)) if self.args else self.command


def parse_action(text: str) -> NetAction:
    """Parse one command, or raise `ActionParseError(text, reason)` (and nothing else)."""
    if not isinstance(text, str):
        raise ActionParseError(repr(text), f"action text must be a str, not {type(text).__name__}")
    tokens = text.split()
    if not tokens:
        raise ActionParseError(text, "empty command")
    command, args = tokens[0], tuple(tokens[1:])
    arity = ARITY.get(command)
    if arity is None:
        raise ActionParseError(text, f"unknown command {command!r}; known: {', '.join(COMMANDS)}")
    if len(args) != arity:
        raise ActionParseError(
            text, f"{command} takes {arity} argument(s), got {len(args)}; usage: {_USAGE[command]}"
        )
    if command not in _WITH_PORT:
        return NetAction(command, args)
    try:
        port = int(args[-1])
    except ValueError:
        raise ActionParseError(text, f"port {args[-1]!r} is not an integer") from None
    return NetAction(command, args, port)
