"""The controllers, by name: which candidates the next generation tries.

Every controller is deterministic given the search seed (its `random.Random` is derived from
the seed and generation) and the history; none of them decides what is kept (`seams`).

- `coordinate` (AR0, the baseline): one knob of the best, set to another allowed value.
- `evolutionary`: a population of the best scored candidates; each child is a tournament
  pick, crossed uniformly with a second pick and mutated in one knob.
- `bandit`: UCB1 over knob directions (`lr:+`, `lr:-`, ...); a direction's reward is 1 when
  the candidate it produced was kept. Each generation steps the best in the directions with
  the highest upper bounds.
- `optuna`: Optuna's TPE sampler through ask/tell; the study is rebuilt from the ledger's
  history every generation (so a resumed search asks exactly what the killed one would have).
- `llm` / `llm-stub`: see `llm_policy`; a malformed or out-of-space reply is recorded as a
  refused candidate and replaced by a `coordinate` one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from engine.search import space as sp
from engine.search.seams import Proposal, SearchView, Seen
from hypotheses import canonical_json
from hypotheses.search import Range

RETRIES = 12
"""How often a controller redraws a candidate it has already tried before accepting it."""


def _knobs(view: SearchView) -> list[str]:
    return sorted(view.search.space)


def _current(view: SearchView, config: Mapping[str, Any], knob: str) -> Any:
    return config.get(knob, view.base.get(knob))


class Coordinate:
    """AR0: one knob of the best configuration, moved to another allowed value."""

    name = "coordinate"

    def propose(self, view: SearchView, count: int, rng: random.Random) -> list[Proposal]:
        out: list[Proposal] = []
        tried = view.tried()
        for _ in range(count):
            out.append(self.one(view, rng, tried))
            tried.add(sp.config_digest(out[-1].config))
        return out

    def one(self, view: SearchView, rng: random.Random, tried: set[str]) -> Proposal:
        best = view.best
        proposal = None
        for _ in range(RETRIES):
            knob = _knobs(view)[rng.randrange(len(view.search.space))]
            value = sp.other_value(view.search.space[knob], _current(view, best.config, knob), rng)
            config = {**best.config, knob: value}
            proposal = Proposal(config, best.idx, f"{knob}={canonical_json(value)}", self.name)
            if sp.config_digest(config) not in tried:
                break
        assert proposal is not None
        return proposal


class Evolutionary:
    """A population with tournament selection, uniform crossover and one-knob mutation."""

    name = "evolutionary"
    population = 4

    def propose(self, view: SearchView, count: int, rng: random.Random) -> list[Proposal]:
        pool = sorted(view.scored, key=lambda c: (c.loss, c.idx))[: self.population]
        if len(pool) < 2:
            return Coordinate().propose(view, count, rng)
        tried = view.tried()
        out: list[Proposal] = []
        for _ in range(count):
            child: Proposal | None = None
            for _ in range(RETRIES):
                a, b = self._pick(pool, rng), self._pick(pool, rng)
                config = dict(a.config)
                for k in _knobs(view):
                    if rng.random() < 0.5 and k in b.config:
                        config[k] = b.config[k]
                knob = _knobs(view)[rng.randrange(len(view.search.space))]
                config[knob] = sp.other_value(
                    view.search.space[knob], _current(view, config, knob), rng
                )
                move = f"{a.idx}x{b.idx}+{knob}"
                child = Proposal(config, a.idx, move, self.name)
                if sp.config_digest(config) not in tried:
                    break
            assert child is not None
            tried.add(sp.config_digest(child.config))
            out.append(child)
        return out

    @staticmethod
    def _pick(pool: list[Seen], rng: random.Random) -> Seen:
        x, y = pool[rng.randrange(len(pool))], pool[rng.randrange(len(pool))]
        assert x.loss is not None and y.loss is not None
        return x if (x.loss, x.idx) <= (y.loss, y.idx) else y


class Bandit:
    """UCB1 over knob directions; a pull is a step of the best along one direction."""

    name = "bandit"

    def propose(self, view: SearchView, count: int, rng: random.Random) -> list[Proposal]:
        arms = [(k, d) for k in _knobs(view) for d in (1, -1)]
        rng.shuffle(arms)  # seeded tie-break among equal bounds
        pulls: dict[str, list[float]] = {}
        for c in view.history:
            if c.move and c.move.split(":")[0] in view.search.space and c.refused is None:
                pulls.setdefault(c.move, []).append(1.0 if c.kept else 0.0)
        total = sum(len(v) for v in pulls.values()) + 1
        best = view.best

        def bound(arm: tuple[str, int]) -> float:
            got = pulls.get(_move(arm))
            if not got:
                return math.inf
            return sum(got) / len(got) + math.sqrt(2.0 * math.log(total) / len(got))

        tried = view.tried()
        out: list[Proposal] = []
        for arm in sorted(arms, key=bound, reverse=True):
            if len(out) == count:
                break
            knob, direction = arm
            now = _current(view, best.config, knob)
            value = sp.step(view.search.space[knob], now, direction)
            config = {**best.config, knob: value}
            if value == now or sp.config_digest(config) in tried:
                continue
            tried.add(sp.config_digest(config))
            out.append(Proposal(config, best.idx, _move(arm), self.name))
        if len(out) < count:
            out += Coordinate().propose(view, count - len(out), rng)
        return out


def _move(arm: tuple[str, int]) -> str:
    return f"{arm[0]}:{'+' if arm[1] > 0 else '-'}"


class OptunaTPE:
    """Optuna's TPE sampler (ask/tell); our gate scores, our keep rule keeps."""

    name = "optuna"
    startup = 4

    def propose(self, view: SearchView, count: int, rng: random.Random) -> list[Proposal]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        dists = {k: _distribution(knob) for k, knob in view.search.space.items()}
        sampler = optuna.samplers.TPESampler(
            seed=rng.randrange(2**31), n_startup_trials=self.startup
        )
        study = optuna.create_study(direction="minimize", sampler=sampler)
        for c in view.scored:
            params = {}
            for k, knob in view.search.space.items():
                value = _current(view, c.config, k)
                if value is not None and sp.in_space(knob, value):
                    params[k] = _encode(knob, value)
            study.add_trial(
                optuna.trial.create_trial(
                    params=params,
                    distributions={k: dists[k] for k in params},
                    value=c.loss,
                )
            )
        best = view.best
        out = []
        for _ in range(count):
            trial = study.ask(dists)
            config = {**best.config}
            for k, knob in view.search.space.items():
                config[k] = _decode(knob, trial.params[k])
            out.append(Proposal(config, best.idx, f"tpe#{trial.number}", self.name))
        return out


def _distribution(knob: Any) -> Any:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if isinstance(knob, Range):
        if knob.integer:
            return IntDistribution(int(knob.low), int(knob.high), log=knob.log)
        return FloatDistribution(float(knob.low), float(knob.high), log=knob.log)
    return CategoricalDistribution([canonical_json(v) for v in knob])


def _encode(knob: Any, value: Any) -> Any:
    return value if isinstance(knob, Range) else canonical_json(value)


def _decode(knob: Any, value: Any) -> Any:
    if isinstance(knob, Range):
        return int(value) if knob.integer else float(value)
    import json

    return json.loads(value)
