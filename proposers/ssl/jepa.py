"""EN8 / H23: JEPA with a learned or an oracle-anchored target, anti-collapse machinery on/off.

Online path: z = encoder(graph(s, a)), p = predictor(z). The target t by cell:

* `learned`, machinery on: an EMA copy of the encoder on graph(s') (decay 0.99), plus VICReg
  on z (the field's standard recipe);
* `learned`, machinery off: the online encoder itself on graph(s'), gradient stopped (naked
  BYOL, the configuration that collapses);
* `oracle`: a frozen random projection of the oracle's successor features (`oracle_raw`),
  with VICReg on z when machinery is on (no EMA: the target needs none).

Loss MSE(p, t) (+ vicreg_coef * VICReg(z)). Everything random is seeded from `seed`: the
encoder's and predictor's initialisation and the batch order (`learner.build_learner`), and the
projection (its own generator). On CPU with one thread the result is bit-identical across runs
and processes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from proposers.ssl.encoder import GraphEncoder
from proposers.ssl.graphs import GraphSet
from proposers.ssl.learner import Fitted, LearnerConfig, build_learner
from proposers.ssl.objectives import vicreg

TARGETS = ("learned", "oracle")


@dataclass(frozen=True, kw_only=True)
class JepaConfig(LearnerConfig):
    target: str
    machinery: bool
    ema_decay: float = 0.99


@dataclass
class JepaData:
    anchors: GraphSet
    """graph(s, a) for every training transition."""
    nexts: GraphSet
    """graph(s', None), same order."""
    oracle_raw: torch.Tensor
    """[n, d_raw] oracle successor features, same order."""
    node_dim: int
    graph_dim: int


def train_jepa(data: JepaData, cfg: JepaConfig) -> Fitted:
    if cfg.target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {cfg.target!r}")
    device = data.anchors.device
    learner = build_learner(data.node_dim, data.graph_dim, cfg, device)
    encoder, predictor = learner.encoder, learner.predictor
    ema: GraphEncoder | None = None
    if cfg.target == "learned" and cfg.machinery:
        ema = copy.deepcopy(encoder)
        for param in ema.parameters():
            param.requires_grad_(False)
    projection: torch.Tensor | None = None
    raw = data.oracle_raw.to(device)
    if cfg.target == "oracle":
        gen = torch.Generator().manual_seed(cfg.seed)
        d_raw = data.oracle_raw.shape[1]
        projection = (torch.randn(d_raw, cfg.d_model, generator=gen) / d_raw**0.5).to(device)

    def loss_fn(batch: list[int]) -> torch.Tensor:
        z = encoder(data.anchors.batch(batch))
        pred = predictor(z)
        if projection is not None:
            target = raw[batch] @ projection
        else:
            with torch.no_grad():
                target = (ema if ema is not None else encoder)(data.nexts.batch(batch))
        loss = F.mse_loss(pred, target)
        if cfg.machinery:
            loss = loss + cfg.vicreg_coef * vicreg(z)
        return loss

    def ema_update() -> None:
        assert ema is not None
        with torch.no_grad():
            for pe, po in zip(ema.parameters(), encoder.parameters(), strict=True):
                pe.mul_(cfg.ema_decay).add_(po.detach(), alpha=1.0 - cfg.ema_decay)

    last = learner.fit(
        loss_fn, len(data.anchors), cfg.iters, ema_update if ema is not None else None
    )
    return Fitted(encoder, predictor, last)
