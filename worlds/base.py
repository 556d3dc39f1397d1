"""The contract every world honours, so the loop, the proposers and the engine never need to
know which world they are driving.

A world is a *deterministic oracle* plus everything needed to score a model against it. The
engine's verdicts are only as trustworthy as this contract: `step` is pure and total, `apply`
replays an oracle delta exactly, and the metrics are the judge that no proposer may touch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class ActionParseError(ValueError):
    """Raised when action text does not parse.

    It carries the offending text and the reason, so a dataset loader or an LLM proposer can
    say exactly which line was malformed and why (and fall back, for a proposer).
    """

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"cannot parse action {text!r}: {reason}")
        self.text = text
        self.reason = reason


class DeltaFormatError(ValueError):
    """Raised when a serialized delta (or state) does not decode into the world's types."""


@dataclass(frozen=True, slots=True)
class Transition:
    """One oracle step: the exact next state, the delta that produces it, and what was seen.

    `observation` is the command's output (stdout for the filesystem, empty for the network).
    """

    state: Any
    delta: tuple[Any, ...]
    exit_code: int
    observation: str


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One step of a generated trajectory, kept as world objects (serialize with the world)."""

    state: Any
    action: Any
    transition: Transition


@runtime_checkable
class Driver(Protocol):
    """A seeded action policy: all randomness of data generation lives here."""

    name: str
    seed: int

    def sample(self, state: Any) -> Any:
        """Return the next parsed action for `state` (advances the driver's RNG)."""
        ...


@runtime_checkable
class World(Protocol):
    """What the engine needs of a world. Both worlds implement it; see worlds/README in docs."""

    name: str
    oracle_version: str

    @property
    def config_hash(self) -> str: ...

    def initial_state(self) -> Any: ...

    def parse_action(self, text: str) -> Any: ...

    def action_text(self, action: Any) -> str:
        """The canonical text of a parsed action (single spaces; parses back to itself)."""
        ...

    def action_command(self, action: Any) -> str:
        """The command name (`mkdir`; `rm -r` is `rm_r`): the key of a delta shape."""
        ...

    def action_args(self, action: Any) -> tuple[str, ...]:
        """The action's arguments as text, resolved (absolute paths for the filesystem)."""
        ...

    def step(self, state: Any, action: Any) -> Transition: ...

    def apply(self, state: Any, delta: Sequence[Any]) -> Any: ...

    def divergence(self, a: Any, b: Any) -> float: ...

    def delta_exact(self, pred: Sequence[Any], true: Sequence[Any]) -> bool: ...

    def bits_to_correct(self, pred: Sequence[Any], true: Sequence[Any]) -> float: ...

    def to_json(self, state: Any) -> str: ...

    def from_json(self, text: str) -> Any: ...

    def delta_to_json(self, delta: Sequence[Any]) -> str: ...

    def delta_from_json(self, text: str) -> tuple[Any, ...]: ...

    def delta_to_dicts(self, delta: Sequence[Any]) -> list[dict[str, Any]]:
        """Edits as the seed's tagged dicts (`{"op": ..., fields}`)."""
        ...

    def delta_from_dicts(self, dicts: Sequence[dict[str, Any]]) -> tuple[Any, ...]:
        """Inverse of `delta_to_dicts`; raises DeltaFormatError on a malformed edit."""
        ...

    def facts(self, state: Any) -> frozenset[Any]:
        """The fact set behind `divergence` (d = |F(a) ^ F(b)| / (|F(a)| + |F(b)|))."""
        ...

    def driver(self, name: str, seed: int) -> Driver: ...

    def driver_names(self) -> tuple[str, ...]: ...

    def trajectory(self, driver: str, seed: int, steps: int) -> list[StepRecord]: ...
