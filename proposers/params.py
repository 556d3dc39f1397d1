"""The parameters each registered proposer takes, checkable without building it.

A hypothesis file names a proposer and its `params`; the engine checks them when the file is
loaded, so a misspelt or out-of-range parameter is refused before any trial runs. Building a
torch proposer to find out would import torch (seconds) in a command that only reads files,
so the tables live here, free of torch, and the torch proposers read their defaults and
their checks from this module too: one table, used by the load-time check and by the
constructor alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from proposers.base import ProposerError
from proposers.registry import reject_params

COMMON_DEFAULTS: Mapping[str, Any] = {
    "train_iters": 600,
    "lr": 3e-3,
    "batch_size": 0,  # 0: full batch
    "model_seed": -1,  # -1: the seed handed to fit()
    "max_edits": 64,
    "max_run": 256,
    "max_tokens": 1024,
    "noise_prob": 0.0,
    "noise_magnitude": 1,
    "noise_seed": 0,
    "self_force": 0.0,  # max sample probability of the scheduled-sampling ramp
    "refresh_every": 200,
    "online_lr": 1e-3,
    "online_steps": 1,
    "replay": False,
    "replay_updates": 5,
    "replay_batch": 8,
    "device": "auto",
    "threads": 1,
    "cache": True,
}

FLAT_DEFAULTS: Mapping[str, Any] = {
    **COMMON_DEFAULTS,
    "n_layer": 2,
    "n_head": 2,
    "d_model": 64,
    "block_size": 0,  # 0: 256 for the network world, 512 for the filesystem (the seed's)
}

GRAPH_DEFAULTS: Mapping[str, Any] = {
    **COMMON_DEFAULTS,
    "train_iters": 800,
    "batch_size": 32,
    "d_model": 64,
    "mp_rounds": 3,
    "n_layer": 2,
    "n_head": 2,
    "block_size": 64,
    "stoch_dim": 16,
    "signal": "belief_var",
    "objective": "likelihood",
    "observed_fraction": 0.5,
}

_SIZE_LIMITS: Mapping[str, tuple[int, int]] = {
    "train_iters": (1, 10_000_000),
    "refresh_every": (1, 10_000_000),
    "online_steps": (1, 10_000),
    "replay_updates": (0, 10_000),
    "replay_batch": (1, 100_000),
    "threads": (1, 1024),
    "batch_size": (0, 1_000_000),
    "max_edits": (1, 100_000),
    "max_run": (1, 100_000),
    "max_tokens": (8, 1_000_000),
    "noise_magnitude": (0, 1_000_000),
    "n_layer": (1, 64),
    "n_head": (1, 64),
    "d_model": (1, 4096),
    "mp_rounds": (1, 64),
    "stoch_dim": (1, 4096),
    "block_size": (0, 65_536),
}
"""Sizes a model can be built and trained with; larger ones exhaust memory or never finish."""


def check_params(
    proposer: str, defaults: Mapping[str, Any], given: Mapping[str, Any]
) -> dict[str, Any]:
    """Merge `given` over `defaults`, rejecting unknown names, wrong types and bad sizes."""
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ProposerError(
            f"{proposer}: unknown parameter(s) {unknown} (known: {', '.join(sorted(defaults))})"
        )
    merged = dict(defaults)
    for name, value in given.items():
        want = type(defaults[name])
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise ProposerError(
                f"{proposer}: parameter {name!r} must be {want.__name__}, got {value!r}"
            )
        merged[name] = value
    for name, (low, high) in _SIZE_LIMITS.items():
        if name in merged and not low <= merged[name] <= high:
            raise ProposerError(f"{proposer}: parameter {name!r} must be in [{low}, {high}]")
    for name in ("noise_prob", "self_force"):
        if not 0.0 <= merged[name] <= 1.0:
            raise ProposerError(f"{proposer}: parameter {name!r} must be in [0, 1]")
    if not (0 < merged["lr"] <= 10.0 and 0 < merged["online_lr"] <= 10.0):
        raise ProposerError(f"{proposer}: learning rates must be in (0, 10]")
    if "d_model" in merged and merged["d_model"] % merged["n_head"]:
        raise ProposerError(
            f"{proposer}: d_model {merged['d_model']} must be divisible by n_head "
            f"{merged['n_head']}"
        )
    return merged


def _graph_extra(params: Mapping[str, Any], world: str) -> None:
    if params["signal"] not in ("belief_var", "entropy"):
        raise ProposerError("graph_rssm: parameter 'signal' must be 'belief_var' or 'entropy'")
    if params["objective"] not in ("likelihood", "residual"):
        raise ProposerError("graph_rssm: parameter 'objective' must be likelihood or residual")
    if not 0.0 <= params["observed_fraction"] <= 1.0:
        raise ProposerError("graph_rssm: parameter 'observed_fraction' must be in [0, 1]")
    if world != "network":
        raise ProposerError(f"graph_rssm: needs the network world's host graph, got {world!r}")


def _no_params(name: str) -> ParamSpec:
    return ParamSpec(name, {}, None)


@dataclass(frozen=True)
class ParamSpec:
    """One proposer's parameter table and its extra check `(merged params, world name)`."""

    name: str
    defaults: Mapping[str, Any]
    extra: Callable[[Mapping[str, Any], str], None] | None

    def check(self, world: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """The merged parameters, or `ProposerError` naming the proposer and parameter."""
        if not self.defaults:
            reject_params(self.name, given, frozenset())
            return {}
        merged = check_params(self.name, self.defaults, given)
        if self.extra is not None:
            self.extra(merged, world)
        return merged


PARAM_SPECS: Mapping[str, ParamSpec] = {
    "flat_transformer": ParamSpec("flat_transformer", FLAT_DEFAULTS, None),
    "graph_rssm": ParamSpec("graph_rssm", GRAPH_DEFAULTS, _graph_extra),
    "null": _no_params("null"),
    "frequency": _no_params("frequency"),
    "oracle": _no_params("oracle"),
}
"""The proposers whose parameters are checked here; any other registered one is checked by
building it (cheap: the others do not import torch)."""
