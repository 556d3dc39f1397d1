"""One SSL trial's set-up and collapse readouts, the same in the JEPA and contrastive kinds.

Both kinds resolve their params, check the arm (the graph encoder's size and model seed), the
world (network), the device and the sealed training seeds in one order, then featurize with
the world's own widths and read collapse on embeddings of held-out anchors. Doing it once here
keeps the two kinds' notion of "the same trial" identical, which the cross-kind check
(contrastive `none` is the JEPA learned/off cell, bit for bit) depends on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from engine.experiments import ssl_data
from engine.experiments.base import TrialSpec
from engine.experiments.data import TrainingSpec
from engine.experiments.params import Param, resolve, resolve_values
from proposers.graph_rssm.features import Featurizer, GraphFeatures
from proposers.ssl.encoder import GraphEncoder, embed_all
from proposers.ssl.graphs import GraphSet
from proposers.ssl.readouts import effective_rank, embedding_std

COLLAPSE_METRICS = frozenset({"emb_std", "eff_rank", "final_loss", "train_examples"})
"""What every SSL kind reports: held-out collapse readouts, the last loss, the data size."""


@dataclass(frozen=True)
class SSLTrial:
    """The resolved inputs of one trial (see the module docstring)."""

    p: dict[str, Any]
    arm: dict[str, int]
    world: Any
    device: torch.device
    train: TrainingSpec
    feat: Featurizer
    node_dim: int
    graph_dim: int

    def graphs(self, feats: Sequence[GraphFeatures]) -> GraphSet:
        return GraphSet(feats, self.device)

    def learner_settings(self) -> dict[str, Any]:
        """The `proposers.ssl.learner.LearnerConfig` fields, from the params and the arm."""
        p, arm = self.p, self.arm
        return {
            "d_model": arm["d_model"],
            "mp_rounds": arm["mp_rounds"],
            "iters": p["iters"],
            "lr": p["lr"],
            "batch_size": p["batch_size"],
            "vicreg_coef": p["vicreg_coef"],
            "seed": arm["model_seed"],
        }


def prepare(experiment: str, table: Mapping[str, Param], spec: TrialSpec) -> SSLTrial:
    p = resolve(experiment, table, spec)
    arm = ssl_data.arm_settings(experiment, spec)
    world = ssl_data.network_world(experiment, spec)
    device = ssl_data.torch_device(experiment, p["device"])
    train = ssl_data.check_training(experiment, p)
    node_dim, graph_dim = ssl_data.widths(world)
    return SSLTrial(p, arm, world, device, train, ssl_data.featurizer(world), node_dim, graph_dim)


def validate(experiment: str, table: Mapping[str, Param], params: Mapping[str, Any]) -> None:
    """`ExperimentKind.validate`: the params table and the sealed training seeds."""
    ssl_data.check_training(experiment, resolve_values(experiment, table, params))


def collapse(encoder: GraphEncoder, graphs: GraphSet, prefix: str = "") -> dict[str, float]:
    """`emb_std` and `eff_rank` of the encoder's embeddings of `graphs` (keys `prefix`-ed)."""
    z = embed_all(encoder, graphs)
    return {f"{prefix}emb_std": embedding_std(z), f"{prefix}eff_rank": effective_rank(z)}
