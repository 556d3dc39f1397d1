"""What the SSL experiment kinds take and report, importable without torch.

Loading a hypothesis file checks its metric names and params against every kind, and that
happens in the CLI, the flow and every trial process, most of which never train a model. The
SSL kinds' implementations import torch (seconds on a loaded machine), so their declarations
live here: `engine.experiments.ssl_kinds` answers `metrics`, `params` and `validate` from
this module and imports an implementation only when one of its trials runs. The
implementations take their tables from here too, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.experiments import data
from engine.experiments.params import Param, at_least, in_range, one_of, resolve_values
from worlds.network.negatives import DEFAULT_BRANCH_SCALE

DATA_PARAMS: dict[str, Param] = {
    "train_driver": Param("train_driver", str, "weighted", doc="driver of the training data"),
    "train_seeds": Param("train_seeds", list, [0, 1, 2], doc="training driver seeds"),
    "train_trajectories": Param("train_trajectories", int, None, at_least(1)),
    "train_steps": Param("train_steps", int, 40, at_least(1), doc="steps per trajectory"),
    "eval_driver": Param("eval_driver", str, "weighted", doc="driver of held-out rollouts"),
    "eval_trajectories": Param("eval_trajectories", int, 3, at_least(1)),
    "eval_steps": Param("eval_steps", int, 24, at_least(1)),
    "iters": Param("iters", int, 400, at_least(1), doc="optimisation steps"),
    "lr": Param("lr", float, 3e-3, doc="AdamW learning rate"),
    "batch_size": Param("batch_size", int, 32, at_least(2)),
    "vicreg_coef": Param("vicreg_coef", float, 1.0),
    "device": Param("device", str, "cpu", doc="cpu (bit-exact) or cuda"),
    "cache": Param("cache", bool, True, doc="reuse weights an earlier trial trained (same key)"),
}
"""The training and held-out data every SSL encoder kind shares."""

BRANCH_PARAMS: dict[str, Param] = {
    "branches": Param(
        "branches", str, "world", one_of("world", "fixed"),
        doc="counterfactual actions: sampled over the whole world, or upstream's fixed 11",
    ),
    "branch_scale": Param(
        "branch_scale", int, DEFAULT_BRANCH_SCALE, at_least(1),
        doc="world branches: ceil(hosts / scale) draws of each command",
    ),
}  # fmt: skip
"""How the counterfactual branch sets are drawn (the contrastive kind's readout)."""

COLLAPSE_METRICS = frozenset({"emb_std", "eff_rank", "final_loss", "train_examples"})
"""What every SSL encoder kind reports: held-out collapse readouts, the last loss, the size."""


@dataclass(frozen=True)
class Declared:
    """One SSL kind's name, params table and metric names."""

    name: str
    table: Mapping[str, Param]
    metrics: frozenset[str]

    @property
    def params(self) -> frozenset[str]:
        return frozenset(self.table)

    def validate(self, params: Mapping[str, Any]) -> None:
        """`ExperimentKind.validate`: the params table and the sealed training seeds."""
        data.training_spec(self.name, resolve_values(self.name, self.table, params))


JEPA = Declared(
    "jepa_collapse",
    {
        **DATA_PARAMS,
        "target": Param("target", str, "oracle", one_of("learned", "oracle")),
        "machinery": Param("machinery", bool, False, doc="EMA (learned target) + VICReg"),
        "ema_decay": Param("ema_decay", float, 0.99),
        "oracle_edges": Param(
            "oracle_edges", bool, True, doc="oracle target includes per-host link/flow/deny counts"
        ),
    },
    COLLAPSE_METRICS | {"train_emb_std", "train_eff_rank", "heldout_examples"},
)

CONTRASTIVE = Declared(
    "contrastive",
    {
        **DATA_PARAMS,
        **BRANCH_PARAMS,
        "mode": Param("mode", str, "oracle", one_of("none", "vicreg", "oracle")),
        "k_negatives": Param("k_negatives", int, 8, at_least(1)),
        "temperature": Param("temperature", float, 0.1),
    },
    COLLAPSE_METRICS | {"top1", "mrr", "chance_top1", "branch_sets", "branches_scored"},
)

RESIDUAL = Declared(
    "residual_objective",
    {  # the data the encoder kinds share, without their optimiser, device and cache knobs
        name: DATA_PARAMS[name]
        for name in (
            "train_driver",
            "train_seeds",
            "train_trajectories",
            "train_steps",
            "eval_driver",
            "eval_trajectories",
            "eval_steps",
        )
    }
    | {
        "eps": Param(
            "eps", float, 0.0, in_range(0.0, 1.0), doc="divergence tolerance of the horizons"
        )
    },
    frozenset(
        {
            "faithful_horizon",
            "unaided_horizon",
            "oracle_d_horizon_gain",
            "oracle_bits",
            "horizon_per_oracle_bit",
            "residual_token_accuracy",
            "token_accuracy",
            "residual_share",
            "bits_to_correct",
            "residual_bits_to_correct",
            "delta_exact",
            "train_examples",
        }
    ),
)
