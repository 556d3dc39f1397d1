"""What the SSL learners share: one config core, one seeded set-up, one fixed-step loop.

EN8's JEPA and EN9's contrastive learner are the same machine with a different loss: an
encoder and a predictor, initialised from `torch.manual_seed(seed)`, optimised by the shared
`Trainer` (AdamW, batch order from its own generator seeded with the same seed) for a fixed
number of steps, the loss of the last step reported. Keeping that here once means the two
learners cannot drift apart in what "the same model seed" means, which the cross-kind check
(contrastive `none` is bit for bit the JEPA learned/off cell) relies on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from proposers.ssl.encoder import GraphEncoder, Predictor
from proposers.training.trainer import Trainer


@dataclass(frozen=True, kw_only=True)
class LearnerConfig:
    """The encoder's size, the optimisation and the model seed (every SSL learner's)."""

    d_model: int = 128
    mp_rounds: int = 3
    iters: int = 400
    lr: float = 3e-3
    batch_size: int = 32
    vicreg_coef: float = 1.0
    seed: int = 0


@dataclass
class Fitted:
    """A trained learner: what the readouts (and the weight cache) need of it."""

    encoder: GraphEncoder
    predictor: Predictor
    final_loss: float


@dataclass
class Learner:
    encoder: GraphEncoder
    predictor: Predictor
    trainer: Trainer

    def fit(
        self,
        loss_fn: Callable[[list[int]], torch.Tensor],
        n: int,
        iters: int,
        after_step: Callable[[], None] | None = None,
    ) -> float:
        """`iters` gradient steps over `n` examples; the last step's loss (NaN for none)."""
        last = float("nan")
        for _ in range(iters):
            last = self.trainer.step(loss_fn, n)
            if after_step is not None:
                after_step()
        return last


def build_learner(
    node_dim: int, graph_dim: int, cfg: LearnerConfig, device: torch.device
) -> Learner:
    """A fresh encoder + predictor and their optimiser, everything seeded from `cfg.seed`."""
    torch.manual_seed(cfg.seed)
    encoder = GraphEncoder(node_dim, graph_dim, d_model=cfg.d_model, mp_rounds=cfg.mp_rounds).to(
        device
    )
    predictor = Predictor(cfg.d_model).to(device)
    trainer = Trainer(
        [*encoder.parameters(), *predictor.parameters()],
        lr=cfg.lr,
        seed=cfg.seed,
        batch_size=cfg.batch_size,
    )
    return Learner(encoder, predictor, trainer)
