"""`FilesystemWorld`: the v0 shell world behind the `worlds.base.World` protocol.

The class is a thin composition of the modules that each own one job (grammar, oracle, apply,
codec, metrics, drivers); it adds only configuration (the vocabulary and the structural
driver's depth dial) and `trajectory`, the pure function of (config, driver, seed, steps) that
datasets are made of.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from worlds.base import StepRecord, Transition, World
from worlds.filesystem import codec, metrics
from worlds.filesystem.actions import FsAction, parse_action, resolved_args
from worlds.filesystem.apply import apply
from worlds.filesystem.drivers import DRIVER_NAMES, FsDriver
from worlds.filesystem.edits import Edit
from worlds.filesystem.oracle import HANDLERS, ORACLE_VERSION
from worlds.filesystem.state import FsState
from worlds.filesystem.vocab import (
    DEFAULT_CONTENT_TOKENS,
    DEFAULT_ENV_KEYS,
    DEFAULT_MODES,
    DEFAULT_NAME_POOL,
    FsVocab,
)


class FilesystemWorld(World[FsState, FsAction]):
    """The filesystem world. All config is optional; the defaults are the seed's "v0" vocab.

    `max_depth` only affects the `structural` driver (candidate parents are directories with
    fewer than `max_depth` segments); it is a data-generation dial, not part of the vocabulary,
    so `config_hash` stays the seed's vocabulary hash.
    """

    name = "filesystem"
    oracle_version = ORACLE_VERSION

    def __init__(
        self,
        *,
        vocab_name: str = "v0",
        content_tokens: Sequence[str] = DEFAULT_CONTENT_TOKENS,
        modes: Sequence[int] = DEFAULT_MODES,
        env_keys: Sequence[str] = DEFAULT_ENV_KEYS,
        name_pool: Sequence[str] = DEFAULT_NAME_POOL,
        max_depth: int | None = None,
    ) -> None:
        self.vocab = FsVocab(
            vocab_name, tuple(content_tokens), tuple(modes), tuple(env_keys), tuple(name_pool)
        )
        if max_depth is not None and (type(max_depth) is not int or max_depth < 1):
            raise ValueError(f"max_depth must be a positive int or None, got {max_depth!r}")
        self.max_depth = max_depth
        self._config_hash = self.vocab.config_hash()
        self._initial = FsState.initial()

    @property
    def config_hash(self) -> str:
        return self._config_hash

    # -- states and actions --------------------------------------------------------------------

    def initial_state(self) -> FsState:
        return self._initial

    def parse_action(self, text: str) -> FsAction:
        return parse_action(text)

    def action_text(self, action: FsAction) -> str:
        return action.text

    def action_command(self, action: FsAction) -> str:
        return action.command

    def action_args(self, action: FsAction) -> tuple[str, ...]:
        return resolved_args(action)

    # -- the oracle and apply ------------------------------------------------------------------

    def step(self, state: FsState, action: FsAction) -> Transition[FsState]:
        return HANDLERS[action.command](state, action)

    def apply(self, state: FsState, delta: Sequence[Any]) -> FsState:
        return apply(state, delta)

    # -- metrics -------------------------------------------------------------------------------

    def divergence(self, a: FsState, b: FsState) -> float:
        return metrics.divergence(a, b)

    def delta_exact(self, pred: Sequence[Any], true: Sequence[Any]) -> bool:
        return metrics.delta_exact(pred, true)

    def bits_to_correct(self, pred: Sequence[Any], true: Sequence[Any]) -> float:
        return metrics.bits_to_correct(pred, true)

    def facts(self, state: FsState) -> frozenset[Any]:
        return metrics.facts(state)

    # -- serialization -------------------------------------------------------------------------

    def to_json(self, state: FsState) -> str:
        return codec.state_to_json(state)

    def from_json(self, text: str) -> FsState:
        return codec.state_from_json(text)

    def delta_to_json(self, delta: Sequence[Edit]) -> str:
        return codec.delta_to_json(delta)

    def delta_from_json(self, text: str) -> tuple[Edit, ...]:
        return codec.delta_from_json(text)

    def delta_to_dicts(self, delta: Sequence[Edit]) -> list[dict[str, Any]]:
        return codec.delta_to_dicts(delta)

    def delta_from_dicts(self, dicts: Sequence[dict[str, Any]]) -> tuple[Edit, ...]:
        return codec.delta_from_dicts(dicts)

    # -- data generation -----------------------------------------------------------------------

    def driver(self, name: str, seed: int, *, max_depth: int | None = None) -> FsDriver:
        depth = self.max_depth if max_depth is None else max_depth
        return FsDriver(name, seed, self.vocab, depth)

    def driver_names(self) -> tuple[str, ...]:
        return DRIVER_NAMES

    def trajectory(self, driver: str, seed: int, steps: int) -> list[StepRecord[FsState, FsAction]]:
        if type(steps) is not int or steps < 0:
            raise ValueError(f"steps must be a non-negative int, got {steps!r}")
        policy = self.driver(driver, seed)
        state = self._initial
        records: list[StepRecord[FsState, FsAction]] = []
        for _ in range(steps):
            action = policy.sample(state)
            transition = HANDLERS[action.command](state, action)
            records.append(StepRecord(state, action, transition))
            state = transition.state
        return records
