"""The experiment kinds added for the learned proposers' hypotheses (EN4, EN6, EN10)."""

from __future__ import annotations

from engine.experiments.base import ExperimentKind
from engine.experiments.counterfactual import Counterfactual
from engine.experiments.model_quality import ModelQuality
from engine.experiments.oracle_compare import OracleCompare

LEARNED_KINDS: tuple[ExperimentKind, ...] = (Counterfactual(), ModelQuality(), OracleCompare())
