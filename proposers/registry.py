"""Proposers by name, so a hypothesis file can say `proposer = "frequency"`.

Two ways in, both one line for the module that defines a proposer:

- `register_proposer(name, factory)`: `factory(world, **params) -> Proposer` (a class whose
  constructor takes the world and keyword parameters is already one). Call it at import time
  of the defining module.
- `LAZY_MODULES`: name -> module that registers the name when imported. `get_proposer` imports
  the module only when that name is asked for, so torch is never imported for a run that uses
  only the baselines, and `proposer_names()` lists a lazy name only if its module exists
  (found without importing it).

Unknown names and bad parameters are `ProposerError`s that name the proposer and the parameter.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from typing import Any

from proposers.base import Proposer, ProposerError
from worlds.base import A, S, World

ProposerFactory = Callable[..., Proposer[Any, Any]]
"""`factory(world, **params) -> Proposer`."""

_FACTORIES: dict[str, ProposerFactory] = {}

LAZY_MODULES: dict[str, str] = {
    "null": "proposers.null",
    "frequency": "proposers.frequency",
    "oracle": "proposers.oracle",
    "flat_transformer": "proposers.flat_transformer",
    "graph_rssm": "proposers.graph_rssm",
    "llm": "proposers.llm",
}
"""Where each name is registered. The learned proposers' engineer adds a line here only if a
new module name is needed; their module calls `register_proposer` itself."""


def register_proposer(name: str, factory: ProposerFactory, *, replace: bool = False) -> None:
    """Make `name` available to `get_proposer`. Re-registering the same factory is a no-op;
    a different factory under a taken name needs `replace=True` (a typo must not shadow)."""
    if not isinstance(name, str) or not name or not name.replace("_", "").isalnum():
        raise ProposerError(f"proposer name {name!r} must be letters, digits and '_'")
    if not callable(factory):
        raise ProposerError(f"proposer {name!r}: factory {factory!r} is not callable")
    current = _FACTORIES.get(name)
    if current is not None and current is not factory and not replace:
        raise ProposerError(f"proposer {name!r} is already registered to {current!r}")
    _FACTORIES[name] = factory


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def proposer_names() -> tuple[str, ...]:
    """Every name `get_proposer` can build now, sorted (registered or lazily importable)."""
    lazy = {name for name, module in LAZY_MODULES.items() if _module_exists(module)}
    return tuple(sorted(set(_FACTORIES) | lazy))


def _factory(name: str) -> ProposerFactory:
    if name not in _FACTORIES and name in LAZY_MODULES and _module_exists(LAZY_MODULES[name]):
        importlib.import_module(LAZY_MODULES[name])
    factory = _FACTORIES.get(name)
    if factory is None:
        known = ", ".join(proposer_names())
        raise ProposerError(f"unknown proposer {name!r} (known: {known})")
    return factory


def proposer_factory(name: str) -> ProposerFactory:
    """The registered factory (usually the class) of `name`: for reading its declared
    parameter table (`DEFAULTS`) without building one, as the search's file check does."""
    return _factory(name)


def get_proposer(name: str, world: World[S, A], **params: Any) -> Proposer[S, A]:
    """Build a fresh, unfitted proposer for `world` by registry name."""
    proposer = _factory(name)(world, **params)
    if not isinstance(proposer, Proposer):
        raise ProposerError(
            f"proposer {name!r}: factory returned {type(proposer).__name__}, "
            "which lacks fit/predict/name"
        )
    return proposer


def reject_params(proposer: str, params: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """A clear error for parameters a proposer does not take."""
    unknown = sorted(set(params) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed)) if allowed else "none"
        raise ProposerError(f"{proposer}: unknown parameter(s) {unknown} (known: {known})")
