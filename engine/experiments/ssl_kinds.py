"""The experiment kinds of oracle-grounded self-supervision (SPEC-8 EN8 with H24, EN9).

Their modules import torch, which a trial of any other kind (a baseline trial above all) must
not pay for: the CLI, the flow and the trial process all import `engine.experiments`, and
with it this registry. So each SSL kind is registered by its torch-free declaration
(`engine.experiments.ssl_declared`: params, metrics, validation) and its module is imported
the first time one of its trials runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from engine.experiments.base import ExperimentKind, TrialSpec
from engine.experiments.ssl_declared import CONTRASTIVE, JEPA, RESIDUAL, Declared


class _LazyKind:
    """An `ExperimentKind` whose declaration is torch-free and whose implementation is
    imported the first time one of its trials runs."""

    def __init__(self, declared: Declared, module: str, cls: str) -> None:
        self.name = declared.name
        self._declared = declared
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
        return self._declared.metrics

    @property
    def params(self) -> frozenset[str]:
        return self._declared.params

    def validate(self, params: Mapping[str, Any]) -> None:
        self._declared.validate(params)

    def run(self, spec: TrialSpec) -> dict[str, float]:
        return self._kind.run(spec)


SSL_KINDS: tuple[_LazyKind, ...] = (
    _LazyKind(JEPA, "engine.experiments.jepa_collapse", "JepaCollapse"),
    _LazyKind(CONTRASTIVE, "engine.experiments.contrastive_ssl", "Contrastive"),
    _LazyKind(RESIDUAL, "engine.experiments.residual_objective", "ResidualObjective"),
)
