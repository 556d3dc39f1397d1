"""The contract every world honours, so the loop, the proposers and the engine never need to
know which world they are driving.

A world is a *deterministic oracle* plus everything needed to score a model against it. The
engine's verdicts are only as trustworthy as this contract: `step` is pure and total, `apply`
replays an oracle delta exactly, and the metrics are the judge that no proposer may touch.

The protocol is generic in the world's state and action types, as Gymnasium's `Env[Obs, Act]`
is: `World[FsState, FsAction]` is the filesystem, `World[NetState, NetAction]` the network, and
code that works on any world says `World[S, A]` (or `World[Any, Any]` where the world is
chosen at run time by name), so a state of one world handed to another is a type error rather
than a wrong verdict. A delta stays a tuple of the world's own edit objects (`Delta`): code
outside the world only passes edits between its methods, never looks inside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

S = TypeVar("S")
"""A world's state type (immutable, hashable, structural equality)."""
A = TypeVar("A")
"""A world's parsed action type."""
S_contra = TypeVar("S_contra", contravariant=True)
A_co = TypeVar("A_co", covariant=True)

Delta = tuple[Any, ...]
"""A delta: the world's own edit objects, in order (opaque outside the world)."""


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


@dataclass(frozen=True, slots=True, init=False)
class Transition(Generic[S]):
    """One oracle step: the exact next state, the delta that produces it, and what was seen.

    `observation` is the command's output (stdout for the filesystem, empty for the network).

    Frozen like every value here, but built once per oracle step, so `__init__` is written out:
    the generated frozen one goes through `object.__setattr__` per field, which measured ~1 us
    of a ~5 us filesystem step; the slot descriptors' own setters do the same in ~0.4 us.
    """

    state: S
    delta: Delta
    exit_code: int
    observation: str

    def __init__(self, state: S, delta: Delta, exit_code: int, observation: str) -> None:
        _SET_STATE(self, state)
        _SET_DELTA(self, delta)
        _SET_EXIT(self, exit_code)
        _SET_OBSERVATION(self, observation)


_SET_STATE = Transition.__dict__["state"].__set__
_SET_DELTA = Transition.__dict__["delta"].__set__
_SET_EXIT = Transition.__dict__["exit_code"].__set__
_SET_OBSERVATION = Transition.__dict__["observation"].__set__


@dataclass(frozen=True, slots=True)
class StepRecord(Generic[S, A]):
    """One step of a generated trajectory, kept as world objects (serialize with the world)."""

    state: S
    action: A
    transition: Transition[S]


@runtime_checkable
class Driver(Protocol[S_contra, A_co]):
    """A seeded action policy: all randomness of data generation lives here."""

    name: str
    seed: int

    def sample(self, state: S_contra) -> A_co:
        """Return the next parsed action for `state` (advances the driver's RNG)."""
        ...


@runtime_checkable
class World(Protocol[S, A]):
    """What the engine needs of a world. Both worlds implement it; see docs/architecture.md."""

    name: str
    oracle_version: str

    @property
    def config_hash(self) -> str: ...

    def initial_state(self) -> S: ...

    def parse_action(self, text: str) -> A: ...

    def action_text(self, action: A) -> str:
        """The canonical text of a parsed action (single spaces; parses back to itself)."""
        ...

    def action_command(self, action: A) -> str:
        """The command name (`mkdir`; `rm -r` is `rm_r`): the key of a delta shape."""
        ...

    def action_args(self, action: A) -> tuple[str, ...]:
        """The action's arguments as text, resolved (absolute paths for the filesystem)."""
        ...

    def step(self, state: S, action: A) -> Transition[S]: ...

    def apply(self, state: S, delta: Sequence[Any]) -> S: ...

    def divergence(self, a: S, b: S) -> float: ...

    def delta_exact(self, pred: Sequence[Any], true: Sequence[Any]) -> bool: ...

    def bits_to_correct(self, pred: Sequence[Any], true: Sequence[Any]) -> float: ...

    def to_json(self, state: S) -> str: ...

    def from_json(self, text: str) -> S: ...

    def delta_to_json(self, delta: Sequence[Any]) -> str: ...

    def delta_from_json(self, text: str) -> tuple[Any, ...]: ...

    def delta_to_dicts(self, delta: Sequence[Any]) -> list[dict[str, Any]]:
        """Edits as the seed's tagged dicts (`{"op": ..., fields}`)."""
        ...

    def delta_from_dicts(self, dicts: Sequence[dict[str, Any]]) -> tuple[Any, ...]:
        """Inverse of `delta_to_dicts`; raises DeltaFormatError on a malformed edit."""
        ...

    def facts(self, state: S) -> frozenset[Any]:
        """The fact set behind `divergence` (d = |F(a) ^ F(b)| / (|F(a)| + |F(b)|))."""
        ...

    def driver(self, name: str, seed: int) -> Driver[S, A]: ...

    def driver_names(self) -> tuple[str, ...]: ...

    def trajectory(self, driver: str, seed: int, steps: int) -> list[StepRecord[S, A]]: ...


class Observation(Protocol):
    """What a probe reveals: one host's local view of the successor, and its oracle-bit cost."""

    @property
    def bits(self) -> int: ...


Obs = TypeVar("Obs", bound=Observation)


@runtime_checkable
class PartiallyObservableWorld(World[S, A], Protocol[S, A, Obs]):
    """A world whose oracle can also be consulted one host at a time (the network world).

    The loop's probe observation needs these two; `isinstance(world, PartiallyObservableWorld)`
    is how it tells such a world from a fully observed one.
    """

    def probe(self, state: S, action: A, host: str) -> Obs:
        """One host's view of the successor of `state` under `action`, with its cost."""
        ...

    def belief_filter(self, pred: S, observation: Obs) -> S:
        """The predicted state corrected by what the observation shows."""
        ...


@runtime_checkable
class ReachabilityWorld(World[S, A], Protocol[S, A]):
    """A world with a control plane: which (src, dst, port) flows its state lets through.

    The experiment kinds add reachability metrics (and the control-plane oracle comparison)
    only for such a world; `isinstance(world, ReachabilityWorld)` is how they tell.
    """

    def reachability_matrix(self, state: S) -> dict[tuple[str, str, int], bool]:
        """Every (src, dst, port) the state could carry, and whether it is reachable."""
        ...

    def reachability_faithfulness(self, a: S, b: S) -> float:
        """The share of reachability entries on which two states agree (1.0 = all)."""
        ...

    def full_bits(self, state: S) -> int:
        """What a full consultation reveals of `state`, in symbols."""
        ...

    def reachability_bits_to_correct(self, pred: S, true: S) -> int:
        """Reachability entries a control-plane oracle must correct in `pred`."""
        ...
