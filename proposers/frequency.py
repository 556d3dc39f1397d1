"""The frequency proposer (the seed's baseline b3, named but never built upstream).

Per action command it predicts the delta *shape* seen most often in training, instantiated with
the current action's arguments. A shape is the delta's tagged edit dicts with every value that
came from an action argument replaced by a placeholder:

- a string field equal to argument i -> `{arg i}`; a string field that is a path *under*
  argument i (`/a/b` under `/a`, the subtree of `rm -r /a`) -> `{arg i}` + the suffix; the
  longest matching argument wins, then the lowest index;
- an integer field equal to the integer value of argument i (a port) -> `{int i}`.

Ties between equally frequent shapes break on the shape's canonical JSON, so the model depends
only on the multiset of training transitions, never on their order. The signal is the
empirical probability that the chosen shape is *not* the one that happens (1 - share of the top
shape for the command; 1.0 for an unseen command), so the triggered policies have something to
read. With `online_update` (the loop's `online=True`) each consulted transition is counted as
one more training example, so the chosen shapes can change during a rollout; `online_reset`
returns to the fitted counts.

An unseen command predicts the empty delta, and so does a shape that cannot be instantiated
(a placeholder for an argument the action lacks, an integer placeholder over a non-integer
argument, or dicts the world rejects): the baseline is never malformed, only wrong.

One piece of world knowledge: a filesystem node dict carries `content_hash` and `size`,
derived from `content`. When a placeholder was substituted inside a dict, those derived keys
are dropped so the world recomputes them from the new content (the codec accepts their
absence), instead of rejecting a stale hash.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any, Generic

from proposers.base import Prediction, ProposerError
from proposers.registry import register_proposer, reject_params
from worlds.base import A, DeltaFormatError, S, StepRecord, World

_ARG = "\x00arg:"
_INT = "\x00int:"
_DERIVED = ("content_hash", "size")


class _Unfit(ValueError):
    """A shape that cannot be instantiated with the current action's arguments."""


def _match_arg(value: str, args: Sequence[str]) -> str | None:
    best: tuple[int, int] | None = None  # (-len(arg), index)
    for i, arg in enumerate(args):
        if not arg:
            continue
        under = arg.startswith("/") and value.startswith(arg.rstrip("/") + "/")
        if value == arg or under:
            key = (-len(arg), i)
            if best is None or key < best:
                best = key
    if best is None:
        return None
    i = best[1]
    return f"{_ARG}{i}:{value[len(args[i]) :]}"


def _int_args(args: Sequence[str]) -> dict[int, int]:
    """Index of the first argument with each integer value."""
    found: dict[int, int] = {}
    for i, arg in enumerate(args):
        try:
            value = int(arg, 10)
        except ValueError:
            continue
        found.setdefault(value, i)
    return found


def abstract(value: Any, args: Sequence[str], ints: dict[int, int] | None = None) -> Any:
    """Replace argument-derived values in an edit dict (recursively) with placeholders."""
    ints = _int_args(args) if ints is None else ints
    if isinstance(value, dict):
        return {k: abstract(v, args, ints) for k, v in value.items()}
    if isinstance(value, list):
        return [abstract(v, args, ints) for v in value]
    if isinstance(value, str):
        match = _match_arg(value, args)
        return value if match is None else match
    if isinstance(value, int) and not isinstance(value, bool) and value in ints:
        return f"{_INT}{ints[value]}"
    return value


def _fill(value: Any, args: Sequence[str]) -> tuple[Any, bool]:
    """(instantiated value, whether a placeholder was substituted inside it)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        touched = False
        for k, v in value.items():
            out[k], hit = _fill(v, args)
            touched = touched or hit
        if touched:
            for key in _DERIVED:
                out.pop(key, None)
        return out, touched
    if isinstance(value, list):
        items = [_fill(v, args) for v in value]
        return [v for v, _ in items], any(hit for _, hit in items)
    if isinstance(value, str) and value.startswith(_ARG):
        index_text, _, suffix = value[len(_ARG) :].partition(":")
        i = int(index_text)
        if i >= len(args):
            raise _Unfit(f"the shape needs argument {i}, the action has {len(args)}")
        return args[i] + suffix, True
    if isinstance(value, str) and value.startswith(_INT):
        i = int(value[len(_INT) :])
        if i >= len(args):
            raise _Unfit(f"the shape needs argument {i}, the action has {len(args)}")
        try:
            return int(args[i], 10), True
        except ValueError:
            raise _Unfit(f"argument {i} ({args[i]!r}) is not an integer") from None
    return value, False


def instantiate(shape: Sequence[dict[str, Any]], args: Sequence[str]) -> list[dict[str, Any]]:
    """The shape's edit dicts with the placeholders filled from `args` (raises _Unfit)."""
    return [_fill(d, args)[0] for d in shape]


class FrequencyProposer(Generic[S, A]):
    name = "frequency"

    def __init__(self, world: World[S, A], **params: Any) -> None:
        reject_params(self.name, params, frozenset())
        self.world = world
        self._fitted_counts: dict[str, Counter[str]] = {}
        self._counts: dict[str, Counter[str]] = {}
        self._shapes: dict[str, tuple[list[dict[str, Any]], float]] = {}
        self._fitted = False

    def fit(self, trajectories: Sequence[Sequence[StepRecord[S, A]]], seed: int) -> None:
        """Count shapes per command. Deterministic, and independent of `seed` and data order."""
        counts: dict[str, Counter[str]] = {}
        for trajectory in trajectories:
            for record in trajectory:
                command, key = self._shape_key(record.action, record.transition.delta)
                counts.setdefault(command, Counter())[key] += 1
        self._fitted_counts = counts
        self._fitted = True
        self.online_reset()

    def _shape_key(self, action: A, delta: Sequence[Any]) -> tuple[str, str]:
        args = self.world.action_args(action)
        dicts = self.world.delta_to_dicts(delta)
        key = json.dumps(abstract(dicts, args), sort_keys=True, separators=(",", ":"))
        return self.world.action_command(action), key

    def _choose(self, command: str) -> None:
        counter = self._counts[command]
        top, n = min(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        self._shapes[command] = (json.loads(top), 1.0 - n / sum(counter.values()))

    def online_reset(self) -> None:
        """Back to the fitted counts (the loop calls this at the start of an online rollout)."""
        self._counts = {c: Counter(counter) for c, counter in self._fitted_counts.items()}
        self._shapes = {}
        for command in sorted(self._counts):
            self._choose(command)

    def online_update(self, state: S, action: A, true_delta: Sequence[Any]) -> None:
        """Count a consulted transition's shape, as if it had been in the training data."""
        if not self._fitted:
            raise ProposerError("frequency: online_update called before fit")
        command, key = self._shape_key(action, true_delta)
        self._counts.setdefault(command, Counter())[key] += 1
        self._choose(command)

    def shape(self, command: str) -> list[dict[str, Any]] | None:
        """The most frequent abstracted shape for `command` (None if unseen)."""
        entry = self._shapes.get(command)
        return None if entry is None else entry[0]

    def predict(self, state: S, action: A) -> Prediction:
        if not self._fitted:
            raise ProposerError("frequency: predict called before fit")
        entry = self._shapes.get(self.world.action_command(action))
        if entry is None:
            return Prediction((), 1.0)
        shape, miss = entry
        try:
            dicts = instantiate(shape, self.world.action_args(action))
            delta = self.world.delta_from_dicts(dicts)
        except (_Unfit, DeltaFormatError, ValueError, TypeError, KeyError):
            return Prediction((), miss)
        return Prediction(tuple(delta), miss)


register_proposer("frequency", FrequencyProposer)
