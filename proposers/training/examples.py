"""Training examples: (state, action, true delta) triples, and the two oracle-relabelled levers.

Both levers use the oracle *at training time* (labels are free there; that is the premise of
the whole project); a proposer's `predict` never does.

- Noise injection replaces an example's input with a corrupted state and relabels it with the
  oracle's delta *for that state*; the example count is unchanged (replace, not add).
- Self-forcing (scheduled sampling) replays each training trajectory's actions from its start
  state; at every visited state the example is labelled by the oracle, and with probability
  `sample_prob` the walk continues from the model's own prediction instead of the truth, so
  the model sees (and is corrected on) the states its own errors lead to.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from worlds.base import StepRecord


@dataclass(frozen=True, slots=True)
class Example:
    state: Any
    action: Any
    delta: tuple[Any, ...]


def examples_from(trajectories: Sequence[Sequence[StepRecord]]) -> list[Example]:
    return [
        Example(r.state, r.action, tuple(r.transition.delta)) for traj in trajectories for r in traj
    ]


def inject_noise(
    world: Any,
    examples: Sequence[Example],
    corrupt: Callable[[Any, random.Random], Any],
    *,
    prob: float,
    seed: int,
) -> list[Example]:
    """Replace each example w.p. `prob` by its corrupted twin, relabelled by the oracle."""
    if prob <= 0.0:
        return list(examples)
    rng = random.Random(seed)
    out: list[Example] = []
    for ex in examples:
        if rng.random() < prob:
            bad = corrupt(ex.state, rng)
            out.append(Example(bad, ex.action, tuple(world.step(bad, ex.action).delta)))
        else:
            out.append(ex)
    return out


def self_forced(
    world: Any,
    trajectories: Sequence[Sequence[StepRecord]],
    predict: Callable[[list[tuple[Any, Any]]], list[tuple[Any, ...]]],
    *,
    sample_prob: float,
    rng: random.Random,
) -> list[Example]:
    """Oracle-labelled examples along walks that follow the model w.p. `sample_prob`.

    The walks advance in lock-step so the model predicts one batch per step; the example
    order is trajectory-major, like `examples_from`, so the count matches the plain data.
    """
    walks = [list(t) for t in trajectories if t]
    current = [t[0].state for t in walks]
    per_walk: list[list[Example]] = [[] for _ in walks]
    for k in range(max((len(t) for t in walks), default=0)):
        live = [i for i, t in enumerate(walks) if k < len(t)]
        truths = {i: world.step(current[i], walks[i][k].action) for i in live}
        follow = {i: rng.random() < sample_prob for i in live}
        asked = [i for i in live if follow[i]]
        preds = predict([(current[i], walks[i][k].action) for i in asked]) if asked else []
        pred_of = dict(zip(asked, preds, strict=True))
        for i in live:
            action = walks[i][k].action
            per_walk[i].append(Example(current[i], action, tuple(truths[i].delta)))
            current[i] = world.apply(current[i], pred_of[i]) if follow[i] else truths[i].state
    return [ex for walk in per_walk for ex in walk]
