"""The pre-registered hypothesis as a validated, immutable value.

The TOML file is a user-facing contract (see the format note): these models keep its field
names and meanings, reject unknown keys (a typo must not silently become "field absent"), and
check everything that can be checked without knowing the registries. Checks against the
registries (which worlds, proposers, experiment kinds exist) live in `checks.py`, because the
engine hands that knowledge in.

Cross-field problems are raised as `PydanticCustomError("cross_field", ...)` with the dotted
field in the context, so the loader can report the field that is wrong, not just the model.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .canonical import canonical_json, content_digest, sorted_tree
from .limits import (
    MAX_ARMS,
    MAX_CELLS,
    MAX_LEVERS,
    MAX_SEED,
    MAX_SEEDS,
    MAX_TRIALS,
    listing,
)
from .power import DEFAULT_CONFIDENCE, MIN_MODEL_SEEDS

OUTCOMES: tuple[str, ...] = ("confirmed", "refuted", "inconclusive")
Outcome = Literal["confirmed", "refuted", "inconclusive"]

_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_ID_RE = re.compile(rf"^{_SEGMENT}(/{_SEGMENT})*$")
_LEVER_ID_RE = re.compile(rf"^{_SEGMENT}$")
# Arm and parameter names appear as segments of lever `set` paths, so they may not hold dots.
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_NAME = r"[A-Za-z0-9_][A-Za-z0-9_-]*"
# A grid axis over the world (`world_config.hosts`) or over arm parameters
# (`arms.graph.params.d_model`; `arms.*.params.d_model` sets it on every arm).
_WORLD_AXIS_RE = re.compile(rf"^world_config\.({_NAME})$")
_ARM_AXIS_RE = re.compile(rf"^arms\.({_NAME}|\*)\.params\.({_NAME})$")


def grid_axis(key: str) -> tuple[str, str | None, str] | None:
    """("params", None, name) | ("world_config", None, name) | ("arm", arm-or-*, name), or
    None when `key` is no valid axis."""
    if _NAME_RE.match(key):
        return ("params", None, key)
    world = _WORLD_AXIS_RE.match(key)
    if world:
        return ("world_config", None, world.group(1))
    arm = _ARM_AXIS_RE.match(key)
    if arm:
        return ("arm", arm.group(1), arm.group(2))
    return None


def cross_field(field: str, reason: str) -> PydanticCustomError:
    """An error about `field` found while checking several fields together."""
    return PydanticCustomError("cross_field", "{reason}", {"field": field, "reason": reason})


def _check_value(value: Any, where: str) -> None:
    """Refuse values that have no canonical JSON form (TOML dates, NaN, infinities)."""
    if isinstance(value, bool | str | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: non-finite number {value!r} cannot be pre-registered")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: table keys must be strings")
            _check_value(item, f"{where}.{key}")
        return
    raise ValueError(
        f"{where}: unsupported value of type {type(value).__name__} "
        "(use a string, number, boolean, array or table)"
    )


def _check_table(table: dict[str, Any], what: str) -> dict[str, Any]:
    for key, value in table.items():
        if not _NAME_RE.match(key):
            raise ValueError(f"{what} name {key!r} must be letters, digits, '_' or '-' (no dots)")
        _check_value(value, key)
    return table


def _required_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[StrictStr, AfterValidator(_required_text)]
"""A string that must say something (an empty title or proposer name is a mistake)."""


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True
    )


class Arm(_Model):
    """One arm: a proposer by registry name, its parameters, and per-arm experiment overrides."""

    proposer: Text
    params: dict[str, Any] = Field(default_factory=dict)
    overrides: dict[str, Any] = Field(default_factory=dict)

    @field_validator("params")
    @classmethod
    def _params(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_table(v, "parameter")

    @field_validator("overrides")
    @classmethod
    def _overrides(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_table(v, "parameter")


def _unique_seeds(v: tuple[int, ...], noun: str) -> tuple[int, ...]:
    """`v` if it is a list of at most MAX_SEEDS unique seeds in [0, MAX_SEED); `noun` names
    them in the message ("seeds", "model seeds")."""
    if len(v) > MAX_SEEDS:
        raise ValueError(f"{len(v)} {noun} (at most {MAX_SEEDS} per hypothesis)")
    bad = [s for s in v if not 0 <= s < MAX_SEED]
    if bad:
        raise ValueError(
            f"{noun} must be non-negative integers below {MAX_SEED}, got {listing(bad)}"
        )
    dupes = sorted(s for s, c in Counter(v).items() if c > 1)
    if dupes:
        raise ValueError(f"{noun} must be unique, repeated: {listing(dupes)}")
    return v


class Seeds(_Model):
    """The pre-registered seeds: n trials per arm, shared by the arms (paired).

    `model` (optional) lists fitted-model seeds: every evaluation seed runs once per model
    seed, each with its own fitted model, and the verdict's interval comes from a two-level
    bootstrap (model seeds, then evaluation seeds within them), because a claim about a recipe
    is a claim about every model it fits, not one of them.
    """

    initial: tuple[StrictInt, ...]
    model: tuple[StrictInt, ...] | None = None

    @field_validator("model")
    @classmethod
    def _model(cls, v: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if v is None:
            return v
        if len(v) < MIN_MODEL_SEEDS:
            raise ValueError(
                f"must list at least {MIN_MODEL_SEEDS} model seeds (a two-level bootstrap "
                "resamples them)"
            )
        return _unique_seeds(v, "model seeds")

    @field_validator("initial")
    @classmethod
    def _initial(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v:
            raise ValueError("must list at least one seed")
        return _unique_seeds(v, "seeds")


class Effect(_Model):
    """What is measured: a paired difference / ratio of two arms, or one arm's value."""

    metric: Text
    kind: Literal["difference", "ratio", "value"]
    treatment: Text
    control: StrictStr | None = None


class Decision(_Model):
    """The pre-registered rule that turns the test's interval into an outcome.

    alpha = 1 - confidence is the level of each one-sided test (lowered by the family); the
    interval's ends are the one-sided (1 - alpha) bounds. `direction = "equivalent"` is a
    two-one-sided-tests claim: `threshold` is the centre, `equivalence` the margin. With
    greater / less, `equivalence` makes an interval inside the band a refutation. `family`
    names a shared correction family (default: the file's own cells).
    """

    direction: Literal["greater", "less", "equivalent"]
    threshold: StrictFloat
    confidence: StrictFloat = DEFAULT_CONFIDENCE
    equivalence: StrictFloat | None = None
    family: StrictStr | None = None

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    @field_validator("confidence")
    @classmethod
    def _confidence(cls, v: float) -> float:
        if not 0.5 < v < 1.0:
            raise ValueError(
                f"must be strictly between 0.5 and 1 (alpha = 1 - confidence is a one-sided "
                f"level), got {v!r}"
            )
        return v

    @field_validator("equivalence")
    @classmethod
    def _equivalence(cls, v: float | None) -> float | None:
        if v is not None and not (math.isfinite(v) and v >= 0.0):
            raise ValueError(f"must be a finite number >= 0, got {v!r}")
        return v

    @field_validator("family")
    @classmethod
    def _family(cls, v: str | None) -> str | None:
        if v is not None and not _LEVER_ID_RE.match(v):
            raise ValueError(
                f"family {v!r} must start with a letter or digit and use only letters, "
                "digits, '_', '.', '-'"
            )
        return v

    @model_validator(mode="after")
    def _equivalent(self) -> Decision:
        if self.direction == "equivalent" and not self.equivalence:
            raise cross_field(
                "equivalence", "an equivalence claim needs its margin: equivalence > 0"
            )
        return self


class Gate(_Model):
    """A pre-registered competence check, judged before the effect in every cell.

    A verdict about the loop (a knee, a floor) read off a model that cannot predict one step
    says nothing about the loop. The gate names a metric of the fitted model and a bound;
    when the mean over a cell's seeds misses the bound in any gated arm, the cell gets no
    verdict and its record says "not competent" (a finding about the model, not a refutation).
    """

    metric: Text
    direction: Literal["greater", "less"] = "greater"
    threshold: StrictFloat
    arms: tuple[StrictStr, ...] = ()
    """The arms the gate applies to (default: the effect's treatment and control)."""
    why: Text

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v


class Lever(_Model):
    """What one outcome licenses: a child with `set` applied, or the hypothesis `next`."""

    when: Outcome
    id: StrictStr
    why: Text
    set_: dict[str, Any] | None = Field(default=None, alias="set")
    next: StrictStr | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _LEVER_ID_RE.match(v):
            raise ValueError(
                f"lever id {v!r} must start with a letter or digit and use only letters, "
                "digits, '_', '.', '-' (no '/')"
            )
        return v

    @field_validator("set_")
    @classmethod
    def _set(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("must set at least one path")
        for path, value in v.items():
            if any(not seg for seg in path.split(".")):
                raise ValueError(f"path {path!r} has an empty segment")
            _check_value(value, path)
        return v

    @model_validator(mode="after")
    def _one_action(self) -> Lever:
        if (self.set_ is None) == (self.next is None):
            raise cross_field("", "a lever needs exactly one of 'set' or 'next'")
        return self


class Trend(_Model):
    """A pre-registered rule that reads across the grid's cells (see docs/hypotheses.md).

    Along `axis` (a numeric grid axis, e.g. `world_config.hosts`), within each combination of
    the other axes, the cell effects (the file's `[effect]`, per seed, optionally divided by
    the value of the `normalise_by` axis) are regressed on the axis value (or its log2) and
    the slope's bootstrap CI is decided against `threshold` like a verdict: "stable or
    growing with N" is `direction = "greater"`, `threshold = -tolerance`."""

    id: StrictStr
    axis: StrictStr
    statistic: Literal["slope"] = "slope"
    scale: Literal["linear", "log"] = "linear"
    normalise_by: StrictStr | None = None
    direction: Literal["greater", "less"]
    threshold: StrictFloat
    confidence: StrictFloat = 0.95
    equivalence: StrictFloat | None = None
    why: Text

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _LEVER_ID_RE.match(v):
            raise ValueError(f"trend id {v!r} must be letters, digits, '_', '.', '-'")
        return v

    @field_validator("confidence")
    @classmethod
    def _confidence(cls, v: float) -> float:
        if not 0.0 < v < 1.0:
            raise ValueError(f"must be strictly between 0 and 1, got {v!r}")
        return v


@dataclass(frozen=True)
class Cell:
    """One point of the grid: its stable id (`""` without a grid) and the merged params.

    `world_config` and `arm_params` are the file's, with this cell's world and arm axes
    applied (empty `arm_params` entries mean "the arm's own params, unchanged")."""

    cell_id: str
    values: Mapping[str, Any]
    params: Mapping[str, Any]
    world_config: Mapping[str, Any] = field(default_factory=dict)
    arm_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    """Models and tuples as the plain JSON values they dump to (for comparing content)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _normal(name: str, value: Any) -> str | None:
    """A derived field's canonical JSON after validation (defaults filled), for comparison;
    None when it does not validate (then it cannot be what the search derives)."""
    try:
        if name == "arms":
            return canonical_json(
                {k: _plain(v if isinstance(v, Arm) else Arm.model_validate(v))
                 for k, v in dict(value).items()}
            )  # fmt: skip
        model: type[BaseModel] = Effect if name == "effect" else Decision
        return canonical_json(
            _plain(value if isinstance(value, model) else model.model_validate(value))
        )
    except (ValueError, TypeError, AttributeError):
        return None


def _cell_value_text(value: Any) -> str:
    return value if isinstance(value, str) else canonical_json(value)


class Hypothesis(_Model):
    """A validated pre-registered hypothesis (see the format note for each field's meaning)."""

    id: StrictStr
    title: Text
    claim: Text
    source: Text
    world: Text
    world_config: dict[str, Any] = Field(default_factory=dict)
    experiment: Text
    priority: StrictInt = 100
    params: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    arms: dict[str, Arm]
    seeds: Seeds
    effect: Effect
    decision: Decision
    gate: Gate | None = None
    levers: tuple[Lever, ...] = ()
    trends: tuple[Trend, ...] | None = None
    """Optional cross-cell rules; None (not an empty tuple) so files without any keep their
    content hash."""
    estimated_trial_seconds: StrictFloat | None = None
    tags: tuple[StrictStr, ...] = ()
    parent: StrictStr | None = None
    """Content hash of the parent version; set by `derive_child` only."""
    search: Search | None = None
    """The `[search]` table of a `config_search` file (`hypotheses.search`); None otherwise."""

    @model_validator(mode="before")
    @classmethod
    def _search_derives(cls, data: Any) -> Any:
        """A `config_search` file writes `[search]`, not arms / effect / decision: those are
        derived from it (a ledger row's canonical content carries them, and they must match)."""
        if not isinstance(data, dict):
            return data
        from .search import SEARCH_EXPERIMENT, Search, derived_fields

        is_search = data.get("experiment") == SEARCH_EXPERIMENT
        if not is_search:
            if "search" in data:
                raise cross_field("search", f"only experiment = {SEARCH_EXPERIMENT!r} has one")
            return data
        if "search" not in data:
            raise cross_field(
                "search", f"experiment = {SEARCH_EXPERIMENT!r} needs a [search] table"
            )
        raw = data["search"]
        try:
            search = raw if isinstance(raw, Search) else Search.model_validate(raw)
        except ValueError:
            # The field's own validation reports it, with its path; placeholders keep the
            # derived fields from adding "missing" noise to that one error.
            placeholder = {
                "arms": {"base": {"proposer": "search"}},
                "effect": {"metric": "objective", "kind": "value", "treatment": "base"},
                "decision": {"direction": "less", "threshold": 0.0},
            }
            return {**placeholder, **data}
        out = dict(data)
        for name, value in derived_fields(search).items():
            given = out.get(name)
            if given is not None and _normal(name, given) != _normal(name, value):
                raise cross_field(
                    name, f"a {SEARCH_EXPERIMENT} file derives {name!r} from [search]: omit it"
                )
            out[name] = value
        return out

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(
                f"id {v!r} must start with a letter or digit and use only letters, digits, "
                "'_', '.', '-' (children add '/<lever id>')"
            )
        return v

    @field_validator("world_config")
    @classmethod
    def _world_config(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_table(v, "world_config key")

    @field_validator("params")
    @classmethod
    def _params(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_table(v, "parameter")

    @field_validator("grid")
    @classmethod
    def _grid(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, value in v.items():
            if grid_axis(key) is None:
                raise ValueError(
                    f"grid axis {key!r} must be a parameter name, 'world_config.<key>' or "
                    "'arms.<arm>.params.<name>' ('*' for every arm)"
                )
            _check_value(value, key)
        cells = 1
        for key, values in v.items():
            if not values:
                raise ValueError(f"grid {key!r} must list at least one value")
            cells *= len(values)
            if cells > MAX_CELLS:
                raise ValueError(f"the grid has more than {MAX_CELLS} cells")
            texts = [canonical_json(x) for x in values]
            if len(set(texts)) != len(texts):
                raise ValueError(f"grid {key!r} repeats a value (each cell must be distinct)")
        return v

    @field_validator("arms")
    @classmethod
    def _arms(cls, v: dict[str, Arm]) -> dict[str, Arm]:
        if not v:
            raise ValueError("needs at least one arm")
        if len(v) > MAX_ARMS:
            raise ValueError(f"{len(v)} arms (at most {MAX_ARMS})")
        for name in v:
            if not _NAME_RE.match(name):
                raise ValueError(f"arm name {name!r} must be letters, digits, '_' or '-'")
        return v

    @field_validator("levers")
    @classmethod
    def _levers(cls, v: tuple[Lever, ...]) -> tuple[Lever, ...]:
        if len(v) > MAX_LEVERS:
            raise ValueError(f"{len(v)} levers (at most {MAX_LEVERS})")
        return v

    @field_validator("estimated_trial_seconds")
    @classmethod
    def _estimate(cls, v: float | None) -> float | None:
        if v is not None and not (math.isfinite(v) and v > 0):
            raise ValueError(f"must be a positive number of seconds, got {v!r}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Hypothesis:
        derived = "/" in self.id
        if derived and self.parent is None:
            raise cross_field("parent", "a derived id ('a/b') needs the parent's content hash")
        if not derived and self.parent is not None:
            raise cross_field("parent", "only derived hypotheses (id 'parent/lever') have one")
        self._check_effect()
        if self.gate is not None:
            for gated in self.gate.arms:
                if gated not in self.arms:
                    raise cross_field(
                        "gate.arms",
                        f"arm {gated!r} is not among the arms ({', '.join(sorted(self.arms))})",
                    )
        for key in self.grid:
            axis = grid_axis(key)
            if axis is not None and axis[0] == "arm" and axis[1] not in ("*", *self.arms):
                raise cross_field(f"grid.{key}", f"arm {axis[1]!r} is not among the arms")
        self._check_trends()
        for i, lever in enumerate(self.levers):
            for path in lever.set_ or {}:
                shadow = self._shadowing_axis(path)
                if shadow is not None:
                    raise cross_field(
                        f"levers[{i}].set",
                        f"sets {path!r}, which the grid axis {shadow!r} overrides in every cell",
                    )
        if self.seeds.model and not any("model_seed" in a.params for a in self.arms.values()):
            raise cross_field(
                "seeds.model",
                "no arm sets params.model_seed, so every model seed would fit the same model "
                "(declare model_seed on the arms whose recipe is the claim)",
            )
        if "sanity" in self.tags and self.decision.family is not None:
            raise cross_field(
                "decision.family", "a sanity check stays outside every correction family"
            )
        models = len(self.seeds.model) if self.seeds.model else 1
        trials = (
            len(self.seeds.initial)
            * models
            * len(self.arms)
            * math.prod(map(len, self.grid.values()))
        )
        if trials > MAX_TRIALS:
            raise cross_field(
                "seeds.initial",
                f"{trials} trials (seeds x model seeds x arms x cells; "
                f"at most {MAX_TRIALS} per hypothesis)",
            )
        for name, arm in self.arms.items():
            clash = sorted(set(arm.overrides) & set(self.grid))
            if clash:
                raise cross_field(
                    f"arms.{name}.overrides",
                    f"overrides grid parameter(s) {clash}: a cell's value would be ambiguous",
                )
        seen: dict[str, int] = {}
        for i, lever in enumerate(self.levers):
            if lever.id in seen:
                raise cross_field(
                    f"levers[{i}].id",
                    f"duplicate lever id {lever.id!r} (also levers[{seen[lever.id]}])",
                )
            seen[lever.id] = i
            if lever.next is not None and lever.next == self.root_id:
                raise cross_field(f"levers[{i}].next", "a lever cannot schedule its own hypothesis")
        return self

    def _check_trends(self) -> None:
        ids: set[str] = set()
        for i, trend in enumerate(self.trends or ()):
            where = f"trends[{i}]"
            if trend.id in ids:
                raise cross_field(f"{where}.id", f"duplicate trend id {trend.id!r}")
            ids.add(trend.id)
            for name in ("axis", "normalise_by"):
                key = getattr(trend, name)
                if key is None:
                    continue
                values = self.grid.get(key)
                if values is None:
                    raise cross_field(f"{where}.{name}", f"{key!r} is not a grid axis")
                numeric = all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in values
                )
                if not numeric:
                    raise cross_field(f"{where}.{name}", f"grid axis {key!r} is not numeric")
                if (name == "normalise_by" or trend.scale == "log") and min(values) <= 0:
                    raise cross_field(f"{where}.{name}", f"grid axis {key!r} must be > 0")
            if len(self.grid[trend.axis]) < 2:
                raise cross_field(f"{where}.axis", "a trend needs at least two values")
            if trend.normalise_by == trend.axis:
                raise cross_field(f"{where}.normalise_by", "must differ from the trend's axis")

    def _shadowing_axis(self, path: str) -> str | None:
        """The grid axis that would override a lever's `set` path, if any."""
        parts = path.split(".")
        candidates = [path]
        if parts[0] == "params" and len(parts) == 2:
            candidates.append(parts[1])
        if parts[0] == "arms" and len(parts) == 4 and parts[2] == "params":
            candidates.append(f"arms.*.params.{parts[3]}")
        return next((c for c in candidates if c in self.grid), None)

    def _check_effect(self) -> None:
        arms = ", ".join(sorted(self.arms))
        effect = self.effect
        if effect.treatment not in self.arms:
            raise cross_field(
                "effect.treatment", f"arm {effect.treatment!r} is not among the arms ({arms})"
            )
        if effect.kind == "value":
            if effect.control is not None:
                raise cross_field("effect.control", "must be absent when kind = 'value'")
            return
        if effect.control is None:
            raise cross_field("effect.control", f"required when kind = {effect.kind!r}")
        if effect.control not in self.arms:
            raise cross_field(
                "effect.control", f"arm {effect.control!r} is not among the arms ({arms})"
            )
        if effect.control == effect.treatment:
            raise cross_field("effect.control", "must differ from effect.treatment")

    # --- derived views -------------------------------------------------------------------

    @property
    def root_id(self) -> str:
        """The id of the registered file this version descends from."""
        return self.id.split("/", 1)[0]

    @property
    def lever_path(self) -> tuple[str, ...]:
        """The lever ids applied from the root to here, in order."""
        return tuple(self.id.split("/")[1:])

    @property
    def depth(self) -> int:
        """0 for a registered file, 1 for its child, and so on."""
        return len(self.lever_path)

    def canonical(self) -> dict[str, Any]:
        """Every field (defaults made explicit, absent optionals dropped), keys sorted.

        Dropping absent optionals keeps old hashes stable when a new optional field is added;
        making defaults explicit makes `confidence = 0.95` and no `confidence` the same science.
        """
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        result: dict[str, Any] = sorted_tree(data)
        return result

    @property
    def content_hash(self) -> str:
        """sha256 hex of the canonical JSON: the identity of this pre-registration."""
        return content_digest(self.canonical())

    def cells(self) -> list[Cell]:
        """The grid's cells in a stable order (keys sorted, values in file order)."""
        keys = sorted(self.grid)
        cells: list[Cell] = []
        for combo in itertools.product(*(self.grid[k] for k in keys)):
            values = dict(zip(keys, combo, strict=True))
            cell_id = ",".join(f"{k}={_cell_value_text(v)}" for k, v in values.items())
            params = dict(self.params)
            world = dict(self.world_config)
            arm_params = {name: dict(arm.params) for name, arm in self.arms.items()}
            for key, value in values.items():
                axis = grid_axis(key)
                assert axis is not None  # the grid validator admitted only valid axes
                where, arm, name = axis
                if where == "params":
                    params[name] = value
                elif where == "world_config":
                    world[name] = value
                else:
                    for target in self.arms if arm == "*" else (arm,):
                        arm_params[str(target)][name] = value
            cells.append(Cell(cell_id, values, params, world, arm_params))
        return cells

    @property
    def gated_arms(self) -> tuple[str, ...]:
        """The arms the competence gate applies to (none without a gate)."""
        if self.gate is None:
            return ()
        if self.gate.arms:
            return self.gate.arms
        control = () if self.effect.control is None else (self.effect.control,)
        return (self.effect.treatment, *control)

    def param_axes(self) -> dict[str, list[Any]]:
        """The grid's axes over experiment parameters (not world or arm axes)."""
        return {k: v for k, v in self.grid.items() if (a := grid_axis(k)) and a[0] == "params"}

    def levers_for(self, outcome: str) -> tuple[Lever, ...]:
        """The levers an outcome licenses, in file order."""
        return tuple(lever for lever in self.levers if lever.when == outcome)


from .search import Search  # noqa: E402  (search.py builds on the helpers above)

Hypothesis.model_rebuild()
