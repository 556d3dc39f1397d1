"""`contrastive` (EN9 / H25, H5 lift): do exact negatives teach interventional structure?

One trial trains one encoder + predictor with `mode` none / vicreg / oracle (InfoNCE over
`k_negatives` exact wrong successors) and reads (a) collapse on held-out anchors and (b)
interventional retrieval on counterfactual branch sets built at the states of held-out
rollouts from the sealed range (upstream's smoke run read branches of its training states).

Branch sets: at each held-out state, the branch actions (`branches = "world"`: sampled over
all hosts and ports, ceil(N / branch_scale) per command, so the set grows with the world;
`"fixed"`: upstream's 11 on h0/h1), kept when their successors are distinct, scored when at
least two remain. Training negatives come from the same factory at the training states.

Metrics: `top1`, `mrr`, `chance_top1` (mean 1/m), `branch_sets`, `branches_scored`,
`emb_std`, `eff_rank`, `final_loss`, `train_examples`. The H5 lift is the paired difference
in `top1` (oracle - vicreg).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import torch

from engine.experiments import ssl_data, ssl_trial
from engine.experiments.base import TrialSpec
from engine.experiments.ssl_declared import CONTRASTIVE
from proposers.graph_rssm.features import GraphFeatures
from proposers.ssl.contrastive import ContrastiveConfig, ContrastiveData, train_contrastive
from proposers.ssl.encoder import embed_all
from proposers.ssl.learner import Fitted
from proposers.ssl.readouts import branch_retrieval
from worlds.network.negatives import counterfactual_branches, distinct_branches, mine_negatives

NAME = CONTRASTIVE.name
PARAMS = CONTRASTIVE.table


class Contrastive:
    name = NAME
    params = CONTRASTIVE.params
    metrics = CONTRASTIVE.metrics

    def validate(self, params: Mapping[str, Any]) -> None:
        CONTRASTIVE.validate(params)

    def run(self, spec: TrialSpec) -> dict[str, float]:
        t = ssl_trial.prepare(NAME, PARAMS, spec)
        p, world, feat = t.p, t.world, t.feat
        k = p["k_negatives"]

        rollouts = ssl_data.training_rollouts(NAME, world, t.train)
        cfg = ContrastiveConfig(
            mode=p["mode"],
            k_negatives=k,
            temperature=p["temperature"],
            **t.learner_settings(),
        )

        def train() -> Fitted:
            """Featurize the training data (mining negatives for `oracle`) and train: only on
            a weight-cache miss, since nothing else reads the training graphs."""
            anchors: list[GraphFeatures] = []
            positives: list[GraphFeatures] = []
            negatives: list[GraphFeatures] = []
            needs_negatives = p["mode"] == "oracle"
            for seed, rollout in rollouts:
                neg_rng = random.Random(seed ^ ssl_data.NEGATIVE_SALT)
                branch_rng = random.Random(seed ^ ssl_data.BRANCH_SALT)
                for r in rollout:
                    anchors.append(feat(r.state, r.action))
                    positives.append(feat(r.transition.state, None))
                    if needs_negatives:
                        actions = ssl_data.branch_actions(p, world, r.state, branch_rng)
                        branches = counterfactual_branches(r.state, actions)
                        wrong = mine_negatives(
                            r.transition.state, branches, world.config, k, neg_rng
                        )
                        negatives.extend(feat(s, None) for s in wrong)
            cd = ContrastiveData(
                anchors=t.graphs(anchors),
                positives=t.graphs(positives),
                negatives=t.graphs(negatives),
                k=k,
                node_dim=t.node_dim,
                graph_dim=t.graph_dim,
            )
            return train_contrastive(cd, cfg)

        result = ssl_trial.fit(NAME, spec, t, cfg, train)

        held = ssl_data.heldout_rollouts(NAME, world, p, spec.seed)
        preds: list[torch.Tensor] = []
        succs: list[torch.Tensor] = []
        for seed, rollout in held:
            branch_rng = random.Random(seed ^ ssl_data.BRANCH_SALT)
            for r in rollout:
                actions = ssl_data.branch_actions(p, world, r.state, branch_rng)
                kept = distinct_branches(counterfactual_branches(r.state, actions))
                if len(kept) < 2:
                    continue
                a_set = t.graphs([feat(r.state, a) for a, _ in kept])
                s_set = t.graphs([feat(s, None) for _, s in kept])
                with torch.no_grad():
                    preds.append(result.predictor(embed_all(result.encoder, a_set)))
                succs.append(embed_all(result.encoder, s_set))
        retrieval = branch_retrieval(preds, succs)
        held_anchors = t.graphs([feat(r.state, r.action) for r in ssl_data.records(held)])
        return {
            "top1": retrieval.top1,
            "mrr": retrieval.mrr,
            "chance_top1": retrieval.chance,
            "branch_sets": float(retrieval.sets),
            "branches_scored": float(retrieval.branches),
            **ssl_trial.collapse(result.encoder, held_anchors),
            "final_loss": result.final_loss,
            "train_examples": float(len(ssl_data.records(rollouts))),
        }
