"""The experiment kinds of oracle-grounded self-supervision (SPEC-8 EN8 with H24, EN9).

Their modules import torch, which a trial of any other kind (a baseline trial above all) must
not pay for: the trial process imports `engine.experiments`, and with it this registry. So each
SSL kind is registered by name and its module is imported the first time the kind itself is
used (its params, metrics, validation or a trial).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from engine.experiments.base import ExperimentKind, TrialSpec


class _LazyKind:
    """An `ExperimentKind` whose implementation module is imported on first use."""

    def __init__(self, name: str, module: str, cls: str) -> None:
        self.name = name
        self._module = module
        self._cls = cls

    @cached_property
    def _kind(self) -> ExperimentKind:
        kind: ExperimentKind = getattr(importlib.import_module(self._module), self._cls)()
        if kind.name != self.name:  # the registry's name and the kind's own must agree
            raise RuntimeError(f"{self._module}.{self._cls} is {kind.name!r}, not {self.name!r}")
        return kind

    @property
    def metrics(self) -> frozenset[str]:
        return self._kind.metrics

    @property
    def params(self) -> frozenset[str]:
        return self._kind.params

    def validate(self, params: Mapping[str, Any]) -> None:
        self._kind.validate(params)

    def run(self, spec: TrialSpec) -> dict[str, float]:
        return self._kind.run(spec)


SSL_KINDS: tuple[_LazyKind, ...] = (
    _LazyKind("jepa_collapse", "engine.experiments.jepa_collapse", "JepaCollapse"),
    _LazyKind("contrastive", "engine.experiments.contrastive_ssl", "Contrastive"),
    _LazyKind("residual_objective", "engine.experiments.residual_objective", "ResidualObjective"),
)
