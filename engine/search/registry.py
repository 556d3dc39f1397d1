"""Controllers by name: the registry a file's `[search] controller` is looked up in.

Its own module because the `llm` controller falls back to `coordinate`, so `llm_policy` imports
`controllers`; the registry imports both, and nothing imports it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.search.controllers import Bandit, Coordinate, Evolutionary, OptunaTPE
from engine.search.llm_policy import LLMController, stub_policy
from engine.search.seams import Controller

ControllerFactory = Callable[..., Controller]


def _llm(**kw: Any) -> Controller:
    return LLMController(**kw)


def _llm_stub(**kw: Any) -> Controller:
    return LLMController(complete=stub_policy, name="llm-stub")


CONTROLLERS: dict[str, ControllerFactory] = {
    "coordinate": lambda **kw: Coordinate(),
    "evolutionary": lambda **kw: Evolutionary(),
    "bandit": lambda **kw: Bandit(),
    "optuna": lambda **kw: OptunaTPE(),
    "llm": _llm,
    "llm-stub": _llm_stub,
}


def get_controller(name: str, **kw: Any) -> Controller:
    """The controller registered as `name` (`complete=` reaches the `llm` controller)."""
    factory = CONTROLLERS.get(name)
    if factory is None:
        raise ValueError(f"unknown controller {name!r} (known: {', '.join(sorted(CONTROLLERS))})")
    return factory(**kw)
