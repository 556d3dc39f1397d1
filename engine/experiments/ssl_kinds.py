"""The experiment kinds of oracle-grounded self-supervision (SPEC-8 EN8 with H24, EN9)."""

from __future__ import annotations

from engine.experiments.base import ExperimentKind
from engine.experiments.contrastive_ssl import Contrastive
from engine.experiments.jepa_collapse import JepaCollapse
from engine.experiments.residual_objective import ResidualObjective

SSL_KINDS: tuple[ExperimentKind, ...] = (JepaCollapse(), Contrastive(), ResidualObjective())
