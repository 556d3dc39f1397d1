"""Tiny model sizes and shared data for the learned-proposer tests (seconds, not minutes)."""

from __future__ import annotations

from functools import cache
from typing import Any

from worlds import get_world

TINY_FLAT: dict[str, Any] = {"d_model": 16, "n_layer": 1, "n_head": 2, "train_iters": 4}
TINY_GRAPH: dict[str, Any] = {
    "d_model": 16,
    "n_layer": 1,
    "n_head": 2,
    "mp_rounds": 2,
    "stoch_dim": 4,
    "train_iters": 4,
    "batch_size": 8,
}


@cache
def world(name: str) -> Any:
    return get_world(name)


@cache
def trajectories(name: str, seeds: tuple[int, ...] = (0, 1), steps: int = 12) -> list[Any]:
    w = world(name)
    return [w.trajectory("weighted", s, steps) for s in seeds]
