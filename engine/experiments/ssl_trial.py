"""One SSL trial's set-up and collapse readouts, the same in the JEPA and contrastive kinds.

Both kinds resolve their params, check the arm (the graph encoder's size and model seed), the
world (network), the device and the sealed training seeds in one order, then featurize with
the world's own widths and read collapse on embeddings of held-out anchors. Doing it once here
keeps the two kinds' notion of "the same trial" identical, which the cross-kind check
(contrastive `none` is the JEPA learned/off cell, bit for bit) depends on.

**Trained weights are cached** (`fit`). With `[seeds] model` a fitted model is read on several
held-out sets, one trial each; its weights depend only on the model seed and the training
inputs, never on the trial seed, so the first of those trials trains and stores them
(`proposers.training.cache.WeightCache`, kind `ssl`, under the engine's data directory) and
the others load them. The key is a digest of the kind, the world, every parameter except the
evaluation-only ones, the learner config (model seed included), the device and the trial
source hash, so a code change never reuses old weights. Loading gives the trained tensors bit
for bit, so a trial's metrics are the same hit or miss; `cache = false` always trains.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from engine.execution.source_hash import source_hash
from engine.experiments import ssl_data
from engine.experiments.base import TrialSpec
from engine.experiments.data import TrainingSpec
from engine.experiments.params import Param, resolve
from proposers.graph_rssm.features import Featurizer, GraphFeatures
from proposers.ssl.encoder import GraphEncoder, embed_all
from proposers.ssl.graphs import GraphSet
from proposers.ssl.learner import Fitted, LearnerConfig, build_learner
from proposers.ssl.readouts import effective_rank, embedding_std
from proposers.training.cache import WeightCache, content_key

CACHE_KIND = "ssl"
"""The weight cache's sub-directory for SSL learners."""
NOT_TRAINING = frozenset({"eval_driver", "eval_trajectories", "eval_steps", "cache", "device"})
"""Parameters the trained weights cannot depend on (kept out of the cache key; the device
enters as the one actually resolved)."""


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


def fit_key(experiment: str, spec: TrialSpec, t: SSLTrial, cfg: LearnerConfig) -> str:
    """The cache key of one training (see the module docstring)."""
    return content_key(
        {
            "experiment": experiment,
            "world": spec.world,
            "world_config": dict(spec.world_config),
            "params": {k: v for k, v in t.p.items() if k not in NOT_TRAINING},
            "config": dataclasses.asdict(cfg),
            "device": t.device.type,
            "code": source_hash(),
        }
    )


def fit(
    experiment: str,
    spec: TrialSpec,
    t: SSLTrial,
    cfg: LearnerConfig,
    train: Callable[[], Fitted],
) -> Fitted:
    """`train()`, or the weights an earlier trial trained with the same key."""
    if not t.p["cache"]:
        return train()
    key = fit_key(experiment, spec, t, cfg)
    cache = WeightCache()
    with cache.lock(CACHE_KIND, key):
        payload = cache.load(CACHE_KIND, key)
        if payload is not None:
            learner = build_learner(t.node_dim, t.graph_dim, cfg, t.device)
            learner.encoder.load_state_dict(payload["encoder"])
            learner.predictor.load_state_dict(payload["predictor"])
            return Fitted(learner.encoder, learner.predictor, float(payload["final_loss"]))
        fitted = train()
        cache.store(
            CACHE_KIND,
            key,
            {
                "encoder": _cpu(fitted.encoder.state_dict()),
                "predictor": _cpu(fitted.predictor.state_dict()),
                "final_loss": fitted.final_loss,
            },
        )
        return fitted


def _cpu(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu() for k, v in state.items()}


def prepare(experiment: str, table: Mapping[str, Param], spec: TrialSpec) -> SSLTrial:
    p = resolve(experiment, table, spec)
    arm = ssl_data.arm_settings(experiment, spec)
    world = ssl_data.network_world(experiment, spec)
    device = ssl_data.torch_device(experiment, p["device"])
    train = ssl_data.check_training(experiment, p)
    node_dim, graph_dim = ssl_data.widths(world)
    return SSLTrial(p, arm, world, device, train, ssl_data.featurizer(world), node_dim, graph_dim)


def collapse(encoder: GraphEncoder, graphs: GraphSet, prefix: str = "") -> dict[str, float]:
    """`emb_std` and `eff_rank` of the encoder's embeddings of `graphs` (keys `prefix`-ed)."""
    z = embed_all(encoder, graphs)
    return {f"{prefix}emb_std": embedding_std(z), f"{prefix}eff_rank": effective_rank(z)}
