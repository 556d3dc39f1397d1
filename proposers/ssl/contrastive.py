"""EN9 / H25: contrastive SSL with exact negatives against the field's no-negative recipes.

Anchor z = encoder(graph(s, a)), p = predictor(z); positive = encoder(graph(s')) with the
gradient stopped. Modes:

* `none`: MSE(p, positive) (no anti-collapse: the naked-BYOL baseline);
* `vicreg`: MSE(p, positive) + vicreg_coef * VICReg(z);
* `oracle`: InfoNCE of p against the positive and k exact wrong successors (counterfactual
  branches first, one-edit neighbours to top up; see `worlds.network.negatives`), embedded by
  the same encoder with the gradient stopped, cosine / temperature.

`none` and `vicreg` never look at the negatives, so their results cannot depend on k.
Seeding as in `jepa` (`learner.build_learner`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from proposers.ssl.graphs import GraphSet
from proposers.ssl.learner import Fitted, LearnerConfig, build_learner
from proposers.ssl.objectives import info_nce, vicreg

MODES = ("none", "vicreg", "oracle")


@dataclass(frozen=True, kw_only=True)
class ContrastiveConfig(LearnerConfig):
    mode: str
    k_negatives: int = 8
    temperature: float = 0.1


@dataclass
class ContrastiveData:
    anchors: GraphSet
    positives: GraphSet
    negatives: GraphSet
    """k graphs per example, example-major: example i owns [i*k, (i+1)*k)."""
    k: int
    node_dim: int
    graph_dim: int


def train_contrastive(data: ContrastiveData, cfg: ContrastiveConfig) -> Fitted:
    if cfg.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {cfg.mode!r}")
    if cfg.mode == "oracle" and data.k < 1:
        raise ValueError("oracle InfoNCE needs k_negatives >= 1")
    learner = build_learner(data.node_dim, data.graph_dim, cfg, data.anchors.device)
    encoder, predictor = learner.encoder, learner.predictor
    k = data.k

    def loss_fn(batch: list[int]) -> torch.Tensor:
        z = encoder(data.anchors.batch(batch))
        pred = predictor(z)
        with torch.no_grad():
            pos = encoder(data.positives.batch(batch))
        if cfg.mode == "oracle":
            idx = [i * k + j for i in batch for j in range(k)]
            with torch.no_grad():
                negs = encoder(data.negatives.batch(idx)).reshape(len(batch), k, -1)
            return info_nce(pred, pos, negs, cfg.temperature)
        loss = F.mse_loss(pred, pos)
        if cfg.mode == "vicreg":
            loss = loss + cfg.vicreg_coef * vicreg(z)
        return loss

    last = learner.fit(loss_fn, len(data.anchors), cfg.iters)
    return Fitted(encoder, predictor, last)
