"""Pre-registered hypotheses: the schema, the loader, grid cells and lever derivation.

One TOML file per hypothesis (format: docs / the hypothesis format note). This package holds
data and validation only: it imports none of engine, worlds, proposers or ledger; the engine
hands in a `Catalog` of the names that exist.

Public API (stable; the engine and CLI build on it):

- `Catalog(worlds, proposers, experiments={name: ExperimentInfo(metrics, params, check)})`
- `Hypothesis` (frozen pydantic model) with fields id, title, claim, source, world,
  world_config, experiment, priority (default 100, lower first), params, grid, arms
  (name -> `Arm(proposer, params, overrides)`), seeds (`Seeds(initial, model=None)`), effect
  (`Effect(metric, kind, treatment, control)`), decision (`Decision(direction: greater |
  less | equivalent, threshold, confidence=.95, equivalence, family)`), gate (optional
  `Gate(metric, direction, threshold, arms, why)`: a competence check judged before the
  effect), levers
  (`Lever(when, id, why, set_ [TOML key "set"], next)`), estimated_trial_seconds, tags, parent,
  search (`Search`, the `[search]` table of an `experiment = "config_search"` file, whose arms /
  effect / decision are derived from it; None otherwise); and
  `.canonical() -> dict`, `.content_hash`, `.cells() -> list[Cell]`, `.depth`,
  `.root_id`, `.lever_path`, `.gated_arms`, `.levers_for(outcome)`.
- `Cell(cell_id, values, params, world_config, arm_params)`: `cell_id` is `""` without a
  grid, else `k=v,...` with keys sorted (`rho=0.2,world_config.hosts=25`); `params`,
  `world_config` and `arm_params` are the file's with the cell's axes applied (a grid axis is
  a parameter name, `world_config.<key>` or `arms.<arm|*>.params.<name>`; `grid_axis(key)`).
- `load_hypothesis(path, catalog)`, `load_directory(dir, catalog)` (sorted by priority, id;
  raises `HypothesisErrors` listing every problem), `validate_directory(dir, catalog) ->
  list[HypothesisError]`, `check_file(path, catalog) -> (Hypothesis | None, problems)`,
  `hypothesis_files(dir)` (the `*.toml` files every command reads, hidden ones excluded).
- `hypotheses.limits`: the bounds every value of a document obeys (64-bit integers, no NUL,
  depth, sizes, seeds, cells, trials), checked before the schema.
- `parse_hypothesis(mapping, file=..., catalog=None)`: rebuild from canonical content (e.g. a
  ledger row).
- `derive_child(parent, lever_or_id, catalog=None) -> Hypothesis`: id `"<parent>/<lever>"`,
  `parent` = the parent's content hash, levers inherited; a lever id may not repeat in an
  ancestry.
- `HypothesisError(file, field, reason)` (one-line `str()`), `HypothesisErrors(errors)`.
- `canonical_json(obj)`, `content_digest(obj)`: the hashing the ledger re-checks.
- `default_registry_dir()`: the shipped `hypotheses/registry/` folder.
- `hypotheses.power`: the test's smallest attainable p and the load-time refusal of files
  whose seeds can never decide (`power_problem(h, family_size)`, `seeds_needed`).
- `OUTCOMES`: ("confirmed", "refuted", "inconclusive").
- `Search`, `Range` (`hypotheses.search`): the search table and a numeric knob's range;
  `Catalog(search_check=...)` lets the engine check a table against its registries.
"""

from .canonical import canonical_json, content_digest
from .catalog import Catalog, ExperimentInfo
from .derive import derive_child
from .errors import HypothesisError, HypothesisErrors
from .loader import (
    check_file,
    hypothesis_files,
    load_directory,
    load_hypothesis,
    validate_directory,
)
from .model import (
    OUTCOMES,
    Arm,
    Cell,
    Decision,
    Effect,
    Gate,
    Hypothesis,
    Lever,
    Seeds,
    Trend,
    grid_axis,
)
from .registry_dir import default_registry_dir
from .search import Range, Search
from .validate import parse_hypothesis

__all__ = [
    "OUTCOMES",
    "Arm",
    "Catalog",
    "Cell",
    "Decision",
    "Effect",
    "ExperimentInfo",
    "Gate",
    "Hypothesis",
    "HypothesisError",
    "HypothesisErrors",
    "Lever",
    "Range",
    "Search",
    "Seeds",
    "Trend",
    "canonical_json",
    "check_file",
    "content_digest",
    "default_registry_dir",
    "derive_child",
    "grid_axis",
    "hypothesis_files",
    "load_directory",
    "load_hypothesis",
    "parse_hypothesis",
    "validate_directory",
]
