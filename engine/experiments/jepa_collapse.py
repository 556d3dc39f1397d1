"""`jepa_collapse` (EN8 / H23): does an oracle-anchored JEPA target resist collapse?

One trial trains one JEPA encoder (target `learned` = EMA + VICReg when machinery is on, the
naked online target when off; `oracle` = a frozen projection of the oracle's successor
features) on the training rollouts and reads its health on held-out anchors from the sealed
range. Arms are the cells (target x machinery) via `overrides`; the arm's `params` size the
graph encoder (`d_model`, `mp_rounds`). H23's effect is the paired difference in
`eff_rank` (or `emb_std`) between `oracle`/off and `learned`/off on the same model seed.

Metrics: `emb_std`, `eff_rank` (held-out anchors), `train_emb_std`, `train_eff_rank`
(upstream's training-anchor readouts, for comparison), `final_loss`, `train_examples`,
`heldout_examples`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.experiments import ssl_data
from engine.experiments.base import TrialSpec
from engine.experiments.params import Param, one_of, resolve, resolve_values
from proposers.ssl.graphs import GraphSet, oracle_raw
from proposers.ssl.jepa import JepaConfig, JepaData, embed_all, train_jepa
from proposers.ssl.readouts import effective_rank, embedding_std

NAME = "jepa_collapse"

PARAMS: dict[str, Param] = {
    **ssl_data.DATA_PARAMS,
    "target": Param("target", str, "oracle", one_of("learned", "oracle")),
    "machinery": Param("machinery", bool, False, doc="EMA (learned target) + VICReg"),
    "ema_decay": Param("ema_decay", float, 0.99),
    "oracle_edges": Param(
        "oracle_edges", bool, True, doc="oracle target includes per-host link/flow/deny counts"
    ),
}


class JepaCollapse:
    name = NAME
    params = frozenset(PARAMS)
    metrics = frozenset(
        {
            "emb_std",
            "eff_rank",
            "train_emb_std",
            "train_eff_rank",
            "final_loss",
            "train_examples",
            "heldout_examples",
        }
    )

    def validate(self, params: Mapping[str, Any]) -> None:
        """`ExperimentKind.validate`: the params table and the sealed training seeds."""
        ssl_data.check_training(NAME, resolve_values(NAME, PARAMS, params))

    def run(self, spec: TrialSpec) -> dict[str, float]:
        p = resolve(NAME, PARAMS, spec)
        arm = ssl_data.arm_settings(NAME, spec)
        world = ssl_data.network_world(NAME, spec)
        device = ssl_data.torch_device(NAME, p["device"])
        train = ssl_data.check_training(NAME, p)
        feat = ssl_data.featurizer(world)
        recs = ssl_data.records(ssl_data.training_rollouts(NAME, world, train))
        held = ssl_data.records(ssl_data.heldout_rollouts(NAME, world, p, spec.seed))
        next_feats = [feat(r.transition.state, None) for r in recs]
        node_dim, graph_dim = ssl_data.widths(world)
        jd = JepaData(
            anchors=GraphSet([feat(r.state, r.action) for r in recs], device),
            nexts=GraphSet(next_feats, device),
            oracle_raw=oracle_raw(next_feats, edges=p["oracle_edges"]),
            node_dim=node_dim,
            graph_dim=graph_dim,
        )
        cfg = JepaConfig(
            target=p["target"],
            machinery=p["machinery"],
            d_model=arm["d_model"],
            mp_rounds=arm["mp_rounds"],
            iters=p["iters"],
            lr=p["lr"],
            batch_size=p["batch_size"],
            ema_decay=p["ema_decay"],
            vicreg_coef=p["vicreg_coef"],
            seed=arm["model_seed"],
        )
        result = train_jepa(jd, cfg)
        z_held = embed_all(
            result.encoder, GraphSet([feat(r.state, r.action) for r in held], device)
        )
        z_train = embed_all(result.encoder, jd.anchors)
        return {
            "emb_std": embedding_std(z_held),
            "eff_rank": effective_rank(z_held),
            "train_emb_std": embedding_std(z_train),
            "train_eff_rank": effective_rank(z_train),
            "final_loss": result.final_loss,
            "train_examples": float(len(recs)),
            "heldout_examples": float(len(held)),
        }
