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

from engine.experiments import ssl_data, ssl_trial
from engine.experiments.base import TrialSpec
from engine.experiments.ssl_declared import JEPA
from proposers.ssl.graphs import oracle_raw
from proposers.ssl.jepa import JepaConfig, JepaData, train_jepa

NAME = JEPA.name
PARAMS = JEPA.table


class JepaCollapse:
    name = NAME
    params = JEPA.params
    metrics = JEPA.metrics

    def validate(self, params: Mapping[str, Any]) -> None:
        JEPA.validate(params)

    def run(self, spec: TrialSpec) -> dict[str, float]:
        t = ssl_trial.prepare(NAME, PARAMS, spec)
        p, feat = t.p, t.feat
        recs = ssl_data.records(ssl_data.training_rollouts(NAME, t.world, t.train))
        held = ssl_data.records(ssl_data.heldout_rollouts(NAME, t.world, p, spec.seed))
        next_feats = [feat(r.transition.state, None) for r in recs]
        jd = JepaData(
            anchors=t.graphs([feat(r.state, r.action) for r in recs]),
            nexts=t.graphs(next_feats),
            oracle_raw=oracle_raw(next_feats, edges=p["oracle_edges"]),
            node_dim=t.node_dim,
            graph_dim=t.graph_dim,
        )
        cfg = JepaConfig(
            target=p["target"],
            machinery=p["machinery"],
            ema_decay=p["ema_decay"],
            **t.learner_settings(),
        )
        result = ssl_trial.fit(NAME, spec, t, cfg, lambda: train_jepa(jd, cfg))
        return {
            **ssl_trial.collapse(result.encoder, t.graphs([feat(r.state, r.action) for r in held])),
            **ssl_trial.collapse(result.encoder, jd.anchors, prefix="train_"),
            "final_loss": result.final_loss,
            "train_examples": float(len(recs)),
            "heldout_examples": float(len(held)),
        }
