"""The `[search]` table of a `config_search` file: what the engine may tune, and the box it
may not leave.

A search file is a pre-registration like any other: the proposer whose knobs are searched, the
configuration it starts from (`base`), the space each knob may take (a list of values, or a
range table `{ low, high, log }`), the objective (lower is better for `bits_to_correct`, higher
for `delta_exact`), the controller, the number of candidates (`trials`) and the per-trial
compute ceiling. Nothing here names evaluation cells: those are sealed by the gate.

A search has no arms, effect or decision of its own to write: they are derived from this table
(`derived_fields`) so the rest of the engine can treat the file like every other version (one
arm, `base`; the objective as a value). Its claim gets a verdict from the confirmation
hypothesis the engine pre-registers when the search ends.

**The confirmation's seeds** are planned here, from the file alone (`confirmation_seeds`),
because they are part of what the file pre-registers: the loader checks them (range and power,
`hypotheses.power`) before a search runs, and the engine builds the confirmation from the same
plan when it ends. Each search seed s gets `confirm_seeds` evaluation seeds of its own, from
`CONFIRM_SEED_BASE + confirm_seeds * s` (so two search seeds never share one), and every
confirmation gets the same `confirm_models` model seeds, the first integers from
`CONFIRM_MODEL_SEED_BASE` that are not a search seed of the file: a search fits every
candidate with its search seed, so no confirmation model is one the search selected on.
Trials of one confirmation: confirm_models x confirm_seeds x 2 arms (each fitted model is
trained once and reused across evaluation seeds, by the weight cache).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from .limits import MAX_SEEDS, MAX_TRIALS
from .model import Text, _check_table, _check_value, _Model, cross_field

SEARCH_EXPERIMENT = "config_search"
OBJECTIVES: dict[str, Literal["less", "greater"]] = {
    "bits_to_correct": "less",
    "delta_exact": "greater",
}
"""Objective -> the direction that is better."""

CONFIRM_SEED_BASE = 1000
"""The first evaluation seed of search seed 0's confirmation."""
CONFIRM_SEED_END = 900_000
"""Confirmation evaluation seeds stay below this: a trial seed s is evaluated on the driver
seed 100_000 + s, and the gate's sealed cells start at 1_000_000 (the engine's test pins the
three numbers together), so a confirmation is never scored on a state the gate could use."""
CONFIRM_MODEL_SEED_BASE = 500_000
"""The first model seed of every confirmation (skipping the file's search seeds)."""
CONFIRM_MIN_MODELS = 5
"""A confirmation is a claim about a recipe, so it is replicated over at least five fitted
models (as EN1-flat-knee, EN4 and EN7 are), judged by the two-level bootstrap."""


class Range(_Model):
    """A numeric knob's range; integer ends make an integer knob, `log` a log-uniform one."""

    low: StrictInt | StrictFloat
    high: StrictInt | StrictFloat
    log: StrictBool = False

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise cross_field("low", "range ends must be finite numbers")
        if not self.low < self.high:
            raise cross_field("high", f"high ({self.high}) must be above low ({self.low})")
        if self.log and self.low <= 0:
            raise cross_field("low", "a log range needs low > 0")
        return self

    @property
    def integer(self) -> bool:
        return isinstance(self.low, int) and isinstance(self.high, int)

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.integer and not isinstance(value, int):
            return False
        return bool(self.low <= value <= self.high)


Knob = list[Any] | Range


class Search(_Model):
    """The `[search]` table (field meanings in the module note and docs/hypotheses.md)."""

    proposer: Text
    base: dict[str, Any] = Field(default_factory=dict)
    space: dict[str, Knob]
    objective: Literal["bits_to_correct", "delta_exact"] = "bits_to_correct"
    controller: Text = "coordinate"
    trials: StrictInt
    generation: StrictInt = 2
    """Candidates proposed together and run in parallel (part of the design, not of the
    machine: a search proposes the same candidates whatever the worker count)."""
    max_train_iters: StrictInt | None = None
    eval_cells: StrictInt = 4
    """How many sealed (world config, seed) cells the gate scores on (never which)."""
    anomaly_jump: StrictFloat = 0.5
    """A candidate improving the frontier by more than this fraction is re-scored on a second
    sealed set and flagged."""
    confirm_seeds: StrictInt = 4
    """Evaluation seeds of the confirmation, per model seed."""
    confirm_models: StrictInt = CONFIRM_MIN_MODELS
    """Model seeds of the confirmation (each arm fitted once per model seed)."""

    @field_validator("base")
    @classmethod
    def _base(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_table(v, "parameter")

    @field_validator("space")
    @classmethod
    def _space(cls, v: dict[str, Knob]) -> dict[str, Knob]:
        if not v:
            raise ValueError("must name at least one knob")
        for name, knob in v.items():
            _check_table({name: 0}, "knob")
            if isinstance(knob, list):
                if not knob:
                    raise ValueError(f"knob {name!r} must list at least one value")
                _check_value(knob, name)
                texts = [repr((type(x).__name__, x)) for x in knob]
                if len(set(texts)) != len(texts):
                    raise ValueError(f"knob {name!r} repeats a value")
        return v

    @model_validator(mode="after")
    def _counts(self) -> Search:
        for name, low in (
            ("trials", 1),
            ("generation", 1),
            ("eval_cells", 1),
            ("confirm_seeds", 2),
            ("confirm_models", CONFIRM_MIN_MODELS),
        ):
            if getattr(self, name) < low:
                raise cross_field(name, f"must be >= {low}, got {getattr(self, name)}")
        for name in ("confirm_seeds", "confirm_models"):
            if getattr(self, name) > MAX_SEEDS:
                raise cross_field(name, f"must be <= {MAX_SEEDS}, got {getattr(self, name)}")
        confirm_trials = self.confirm_models * self.confirm_seeds * 2
        if confirm_trials > MAX_TRIALS:
            raise cross_field(
                "confirm_seeds",
                f"the confirmation would ask for {confirm_trials} trials (confirm_models x "
                f"confirm_seeds x 2 arms; at most {MAX_TRIALS} per hypothesis)",
            )
        if not 0.0 < self.anomaly_jump <= 1.0:
            raise cross_field("anomaly_jump", f"must be in (0, 1], got {self.anomaly_jump}")
        ceiling = self.ceiling
        if ceiling is not None:
            if ceiling < 1:
                raise cross_field("max_train_iters", f"must be >= 1, got {ceiling}")
            top = self.space_max("train_iters")
            if top is not None and top > ceiling:
                raise cross_field(
                    "max_train_iters",
                    f"the space allows train_iters up to {top}, above the ceiling {ceiling}",
                )
            base = self.base.get("train_iters")
            if isinstance(base, int) and base > ceiling:
                raise cross_field(
                    "base.train_iters", f"{base} is above the compute ceiling {ceiling}"
                )
        return self

    def space_max(self, knob: str) -> Any:
        """The largest value the space allows for `knob` (None if not searched / not numeric)."""
        spec = self.space.get(knob)
        if spec is None:
            return None
        if isinstance(spec, Range):
            return spec.high
        numbers = [x for x in spec if isinstance(x, int | float) and not isinstance(x, bool)]
        return max(numbers) if numbers else None

    @property
    def ceiling(self) -> int | None:
        """The per-trial training-iteration ceiling: as written, else the largest the space or
        the base allows, so no candidate wins by training longer than the rest could."""
        if self.max_train_iters is not None:
            return self.max_train_iters
        candidates = [self.space_max("train_iters"), self.base.get("train_iters")]
        ints = [int(c) for c in candidates if isinstance(c, int) and not isinstance(c, bool)]
        return max(ints) if ints else None

    @property
    def direction(self) -> Literal["less", "greater"]:
        return OBJECTIVES[self.objective]


def derived_fields(search: Search) -> dict[str, Any]:
    """The arms / effect / decision a search file stands for (see the module note)."""
    return {
        "arms": {"base": {"proposer": search.proposer, "params": dict(search.base)}},
        "effect": {"metric": search.objective, "kind": "value", "treatment": "base"},
        "decision": {"direction": search.direction, "threshold": 0.0},
    }


def confirmation_seeds(
    search: Search, search_seeds: tuple[int, ...], search_seed: int
) -> dict[str, list[int]]:
    """The `[seeds]` table of search seed `search_seed`'s confirmation (see the module note):
    `initial` its evaluation seeds, `model` its model seeds."""
    start = CONFIRM_SEED_BASE + search.confirm_seeds * search_seed
    taken = set(search_seeds)
    models: list[int] = []
    seed = CONFIRM_MODEL_SEED_BASE
    while len(models) < search.confirm_models:
        if seed not in taken:
            models.append(seed)
        seed += 1
    return {"initial": list(range(start, start + search.confirm_seeds)), "model": models}


def confirmation_range_problem(search: Search, search_seeds: tuple[int, ...]) -> str | None:
    """Why some search seed's confirmation would be evaluated outside its range, or None."""
    for s in sorted(search_seeds, reverse=True):
        last = confirmation_seeds(search, search_seeds, s)["initial"][-1]
        if last >= CONFIRM_SEED_END:
            return (
                f"search seed {s} gives confirmation seeds up to {last}, but they must stay "
                f"below {CONFIRM_SEED_END} (evaluation at 100000 + seed, under the gate's sealed "
                f"range); use search seeds below "
                f"{(CONFIRM_SEED_END - CONFIRM_SEED_BASE) // search.confirm_seeds} "
                f"with confirm_seeds = {search.confirm_seeds}"
            )
    return None
