"""Shared helpers for the network-world tests: the world under test and golden-case replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from worlds.network import NetState, NetworkWorld

DATA = Path(__file__).parent / "data"


def load_goldens() -> list[dict[str, Any]]:
    lines = (DATA / "goldens.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def run_actions(world: NetworkWorld, texts: list[str], state: NetState | None = None) -> NetState:
    """Step `texts` in order from `state` (default: the initial state)."""
    s = world.initial_state() if state is None else state
    for text in texts:
        s = world.step(s, world.parse_action(text)).state
    return s
