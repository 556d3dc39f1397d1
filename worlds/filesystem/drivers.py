"""Seeded action policies: where ALL the randomness of data generation lives.

Each driver owns a `random.Random(seed)` and draws from it in exactly the seed's order, so a
(driver, seed) pair yields the seed's trajectory bit for bit on CPython: one weighted
`rng.choices` over the fifteen command shapes, then `rng.choice` / `rng.shuffle` over the
vocabulary and over the state's paths *in insertion order* (which is why the state keeps the
seed's dict-order rules). Argument sampling is deliberately untyped (a file may be `cd`'d, a
directory `cat`'d), so failure cases arise naturally.

Drivers: `uniform`, `weighted`, `adversarial` (the seed's presets), and the two additive
difficulty dials `trivial` (fresh depth-1 creates) and `structural` (fresh creates at any depth,
or under directories shallower than `max_depth` when it is given).
"""

from __future__ import annotations

import random
from itertools import accumulate

from worlds.filesystem.actions import COMMANDS, FsAction, parse_action
from worlds.filesystem.paths import depth, join
from worlds.filesystem.state import Dir, File, FsState
from worlds.filesystem.vocab import FsVocab

_ADDITIVE = {"mkdir": 3.0, "touch": 2.0, "write": 3.0}

# fmt: off
WEIGHTS: dict[str, dict[str, float]] = {
    "uniform": dict.fromkeys(COMMANDS, 1.0),
    "weighted": {
        "mkdir": 3.0, "touch": 3.0, "write": 3.0, "append": 2.0, "cp": 1.5, "cp_r": 1.0,
        "mv": 1.5, "rm": 1.0, "rm_r": 0.5, "rmdir": 1.0, "chmod": 1.0, "cd": 1.0, "cat": 1.0,
        "ls": 1.0, "export": 1.0,
    },
    "adversarial": {
        "mkdir": 1.0, "touch": 1.0, "write": 1.0, "append": 1.0, "cp": 1.0, "cp_r": 1.5,
        "mv": 3.0, "rm": 2.0, "rm_r": 4.0, "rmdir": 3.0, "chmod": 1.0, "cd": 1.0, "cat": 0.5,
        "ls": 0.5, "export": 0.5,
    },
    "trivial": {c: _ADDITIVE.get(c, 0.0) for c in COMMANDS},
    "structural": {c: _ADDITIVE.get(c, 0.0) for c in COMMANDS},
}
# fmt: on

DRIVER_NAMES: tuple[str, ...] = ("uniform", "weighted", "adversarial", "trivial", "structural")


class UnknownDriverError(ValueError):
    """A driver name this world does not have (the message lists the known ones)."""


class FsDriver:
    """A seeded policy; `sample(state)` returns the next action and advances the RNG."""

    def __init__(self, name: str, seed: int, vocab: FsVocab, max_depth: int | None = None) -> None:
        if name not in WEIGHTS:
            raise UnknownDriverError(
                f"unknown filesystem driver {name!r}; known: {', '.join(DRIVER_NAMES)}"
            )
        if max_depth is not None and (type(max_depth) is not int or max_depth < 1):
            raise ValueError(f"max_depth must be a positive int or None, got {max_depth!r}")
        self.name = name
        self.seed = seed
        self.max_depth = max_depth
        self._vocab = vocab
        self._rng = random.Random(seed)
        weights = WEIGHTS[name]
        # `choices(pop, weights=w)` accumulates w internally; passing the same accumulation
        # as cum_weights draws identically and saves the work per call.
        self._cum_weights = list(accumulate(weights[c] for c in COMMANDS))

    # -- state views, in insertion order -------------------------------------------------------

    @staticmethod
    def _dirs(state: FsState) -> list[str]:
        nodes = state._tree.nodes
        return [p for p in state._tree.ordered() if type(nodes[p]) is Dir]

    @staticmethod
    def _files(state: FsState) -> list[str]:
        nodes = state._tree.nodes
        return [p for p in state._tree.ordered() if type(nodes[p]) is File]

    @staticmethod
    def _paths(state: FsState) -> list[str]:
        return state._tree.ordered()

    # -- argument builders ---------------------------------------------------------------------

    def _new_path(self, state: FsState) -> str:
        """A random directory plus a random name (may collide: that is the difficulty)."""
        directory = self._rng.choice(self._dirs(state))
        return join(directory, self._rng.choice(self._vocab.name_pool))

    def _unused_path(self, state: FsState, parents: list[str]) -> str:
        """The first free (parent, name) in seeded order; when every candidate parent is full,
        a random candidate parent plus a random name (which then collides).

        The fallback draws from the candidate parents (as shuffled), not from all directories:
        that is what reproduces the seed's trivial-driver vector (fs-world.md §10: after eight
        creates, `write /e delta` then `mkdir /d`). Only `structural` with a `max_depth` can
        reach the fallback with more than one candidate; there the shuffled order is our
        reading of the seed, unverified by a vector.
        """
        rng = self._rng
        rng.shuffle(parents)
        fs = state._tree.nodes
        for directory in parents:
            names = list(self._vocab.name_pool)
            rng.shuffle(names)
            for name in names:
                candidate = join(directory, name)
                if candidate not in fs:
                    return candidate
        return join(rng.choice(parents), rng.choice(self._vocab.name_pool))

    def _fresh(self, state: FsState) -> str:
        if self.name == "trivial":
            return self._unused_path(state, ["/"])
        if self.name == "structural":
            dirs = self._dirs(state)
            if self.max_depth is not None:
                limit = self.max_depth
                dirs = [d for d in dirs if depth(d) < limit] or ["/"]
            return self._unused_path(state, dirs)
        return self._new_path(state)

    def _text(self, cmd: str, state: FsState) -> str:
        rng = self._rng
        vocab = self._vocab
        if cmd == "mkdir" or cmd == "touch":
            return f"{cmd} {self._fresh(state)}"
        if cmd == "write":
            target = self._fresh(state)
            return f"write {target} {rng.choice(vocab.content_tokens)}"
        if cmd == "append":
            target = rng.choice(self._files(state) or self._paths(state))
            return f"append {target} {rng.choice(vocab.content_tokens)}"
        if cmd in ("cp", "cp_r", "mv"):
            src = rng.choice(self._paths(state))
            head = {"cp": "cp", "cp_r": "cp -r", "mv": "mv"}[cmd]
            return f"{head} {src} {self._new_path(state)}"
        if cmd in ("rm", "rm_r", "cat", "ls"):
            head = "rm -r" if cmd == "rm_r" else cmd
            return f"{head} {rng.choice(self._paths(state))}"
        if cmd == "rmdir" or cmd == "cd":
            return f"{cmd} {rng.choice(self._dirs(state))}"
        if cmd == "chmod":
            mode = rng.choice(vocab.modes)
            return f"chmod {mode:o} {rng.choice(self._paths(state))}"
        return f"export {rng.choice(vocab.env_keys)}={rng.choice(vocab.content_tokens)}"

    def sample(self, state: FsState) -> FsAction:
        cmd = self._rng.choices(COMMANDS, cum_weights=self._cum_weights)[0]
        return parse_action(self._text(cmd, state))
