"""The knob space of a search, and the refusals that keep a candidate inside it.

A knob is a list of allowed values or a range (`hypotheses.search.Range`). Moving a knob is
what every controller does, so the moves live here once: a list knob steps to a neighbouring
value (or jumps to any other one), a range knob steps by a fixed fraction of its span (in log
space when `log`), clipped to the range. All randomness comes from the `random.Random` a
controller is handed, so a search is a pure function of its seed and its history.

`screen` is the judge's denylist (DD-AR2) applied before anything runs: a candidate may not
name a parameter of the judge, set a knob outside the declared space, or train past the
per-trial compute ceiling.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from hypotheses import canonical_json, content_digest
from hypotheses.search import Range, Search

JUDGE_NAMES: frozenset[str] = frozenset(
    {
        "oracle",
        "oracle_version",
        "metric",
        "metrics",
        "objective",
        "score",
        "gate",
        "seal",
        "seal_digest",
        "eval",
        "eval_seed",
        "eval_seeds",
        "eval_cells",
        "eval_set",
        "evaluation",
        "decision",
        "threshold",
        "direction",
        "max_train_iters",
        "compute_ceiling",
        "train_seeds",
        "train_trajectories",
        "golden",
        "goldens",
        "model_seed",
    }
)
"""Names a candidate may never set: the judge (oracle, metric, evaluation generator, seal,
decision rule, compute ceiling) and the seeds that pick its data or its luck."""

JUDGE_PREFIXES: tuple[str, ...] = ("eval_", "seal", "oracle", "metric", "decision", "golden")

STEP_FRACTION = 0.25
"""A range knob's step: a quarter of its span (log span when `log`)."""


def judge_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in JUDGE_NAMES or lowered.startswith(JUDGE_PREFIXES)


def config_digest(config: Mapping[str, Any]) -> str:
    return content_digest(dict(config))


def in_space(knob: Any, value: Any) -> bool:
    if isinstance(knob, Range):
        return knob.contains(value)
    return any(canonical_json(value) == canonical_json(v) for v in knob)


def screen(search: Search, base: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    """Why a candidate configuration is refused, or None when the gate may score it.

    A candidate is the base with some knobs set: every key that differs from the base must be
    a knob of the space with an allowed value, no key may name the judge, and `train_iters`
    may not exceed the ceiling (whatever the space says).
    """
    for name in sorted(config):
        if judge_name(name):
            return f"names {name!r}, a parameter of the judge (refused before it runs)"
    ceiling = search.ceiling
    iters = config.get("train_iters")
    if ceiling is not None and isinstance(iters, int | float) and iters > ceiling:
        return f"train_iters {iters} exceeds the per-trial compute ceiling {ceiling}"
    for name in sorted(set(config) | set(base)):
        if (
            name in base
            and name in config
            and canonical_json(config[name]) == canonical_json(base[name])
        ):
            continue
        if name not in config:
            return f"drops base parameter {name!r}"
        knob = search.space.get(name)
        if knob is None:
            return f"sets {name!r}, a knob outside the declared space"
        if not in_space(knob, config[name]):
            return f"sets {name}={config[name]!r}, outside its allowed values"
    return None


def _as_knob_type(knob: Range, value: float) -> int | float:
    if knob.integer:
        return int(min(knob.high, max(knob.low, round(value))))
    return float(min(knob.high, max(knob.low, value)))


def step(knob: Any, current: Any, direction: int) -> Any:
    """The value one step from `current` in `direction` (+1 / -1); `current` itself at an end."""
    if isinstance(knob, Range):
        if not knob.contains(current):
            current = knob.low if direction > 0 else knob.high
        if knob.log:
            span = math.log(knob.high) - math.log(knob.low)
            moved = math.exp(math.log(current) + direction * STEP_FRACTION * span)
        else:
            moved = current + direction * STEP_FRACTION * (knob.high - knob.low)
        value = _as_knob_type(knob, moved)
        if value == current and knob.integer:
            value = _as_knob_type(knob, current + direction)
        return value
    values = list(knob)
    texts = [canonical_json(v) for v in values]
    here = canonical_json(current)
    if here not in texts:
        return values[0] if direction > 0 else values[-1]
    i = texts.index(here) + (1 if direction > 0 else -1)
    return values[min(len(values) - 1, max(0, i))]


def sample(knob: Any, rng: random.Random) -> Any:
    """A value drawn from the knob's allowed values (log-uniform for a log range)."""
    if isinstance(knob, Range):
        if knob.log:
            draw = math.exp(rng.uniform(math.log(knob.low), math.log(knob.high)))
        else:
            draw = rng.uniform(float(knob.low), float(knob.high))
        return _as_knob_type(knob, draw)
    return knob[rng.randrange(len(knob))]


def other_value(knob: Any, current: Any, rng: random.Random) -> Any:
    """A value of the knob different from `current` when there is one (coordinate's move)."""
    if isinstance(knob, Range):
        for _ in range(8):
            value = sample(knob, rng)
            if value != current:
                return value
        return step(knob, current, 1 if rng.random() < 0.5 else -1)
    others = [v for v in knob if canonical_json(v) != canonical_json(current)]
    return others[rng.randrange(len(others))] if others else current


def describe(knob: Any) -> str:
    """A knob's allowed values in words (for the LLM prompt and the CLI)."""
    if isinstance(knob, Range):
        kind = "integer" if knob.integer else "number"
        scale = ", log scale" if knob.log else ""
        return f"{kind} in [{knob.low}, {knob.high}]{scale}"
    return "one of " + ", ".join(canonical_json(v) for v in knob)


def edit_of(base: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """The knobs of `config` that differ from `base` (what a row's `edit` column shows)."""
    return {
        k: v
        for k, v in sorted(config.items())
        if k not in base or canonical_json(base[k]) != canonical_json(v)
    }
