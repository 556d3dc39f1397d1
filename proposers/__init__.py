"""World models behind one protocol (`proposers.base`), built by name.

`get_proposer(name, world, **params)` returns a fresh `Proposer`; `proposer_names()` lists what
can be built now. Every proposer module, baselines (null floor, frequency b3, oracle ceiling)
and learned ones alike, registers itself and is imported lazily by name on first request, so
torch loads only when a torch proposer is asked for (see `proposers.registry`).
"""

from __future__ import annotations

from proposers.base import OnlineProposer, Prediction, Proposer, ProposerError
from proposers.registry import (
    LAZY_MODULES,
    ProposerFactory,
    get_proposer,
    proposer_names,
    register_proposer,
)

BASELINE_NAMES: tuple[str, ...] = ("frequency", "null", "oracle")


def __getattr__(name: str) -> object:
    # PROPOSER_NAMES is computed on access: a learned proposer registered after this package
    # was imported must still be listed.
    if name == "PROPOSER_NAMES":
        return proposer_names()
    raise AttributeError(f"module 'proposers' has no attribute {name!r}")


__all__ = [
    "BASELINE_NAMES",
    "LAZY_MODULES",
    "PROPOSER_NAMES",
    "OnlineProposer",
    "Prediction",
    "Proposer",
    "ProposerError",
    "ProposerFactory",
    "get_proposer",
    "proposer_names",
    "register_proposer",
]
