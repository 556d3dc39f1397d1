"""Representation readouts: is the embedding collapsed, and does it tell branches apart?

* `embedding_std`: mean over dimensions of the per-dimension (unbiased) std; 0 when collapsed.
* `effective_rank`: exp of the entropy of the normalised singular values of the centred
  embeddings (singular values, not squared, as upstream); 1 for a rank-one cloud, d for a
  flat spectrum, and defined as 1.0 for a constant (zero-variance) cloud.
* `branch_retrieval`: for each set of counterfactual branches, match each predicted
  successor against every branch's true successor by cosine; top-1 = the right one ranks
  first, MRR = mean 1/rank, micro-averaged over branches; chance = mean 1/m. Ties count
  against the model.

Computed in float64 on CPU so the numbers are identical wherever the model trained.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def embedding_std(z: torch.Tensor) -> float:
    z = z.detach().to("cpu", torch.float64)
    if z.shape[0] < 2:
        return 0.0
    return float(z.std(dim=0).mean())


def effective_rank(z: torch.Tensor) -> float:
    z = z.detach().to("cpu", torch.float64)
    zc = z - z.mean(dim=0)
    s = torch.linalg.svdvals(zc)
    total = float(s.sum())
    if total <= 1e-12:
        return 1.0
    p = (s / total).clamp(min=1e-12)
    return math.exp(float(-(p * p.log()).sum()))


@dataclass(frozen=True)
class Retrieval:
    top1: float
    mrr: float
    chance: float
    sets: int
    branches: int


def branch_retrieval(preds: Sequence[torch.Tensor], succs: Sequence[torch.Tensor]) -> Retrieval:
    """One (predictions [m, d], true successor embeddings [m, d]) pair per branch set.

    Ties count against the model: the rank of the right successor is the number of
    successors at least as similar (itself included), so an embedding that cannot tell two
    branches apart does not get credit for either.
    """
    hits = recip = 0.0
    count = 0
    for p, s in zip(preds, succs, strict=True):
        pn = F.normalize(p.detach().to("cpu", torch.float64), dim=-1)
        sn = F.normalize(s.detach().to("cpu", torch.float64), dim=-1)
        sims = pn @ sn.T
        ranks = (sims >= sims.diagonal()[:, None]).sum(dim=1)
        hits += float((ranks == 1).sum())
        recip += float((1.0 / ranks.double()).sum())
        count += p.shape[0]
    if count == 0:
        return Retrieval(0.0, 0.0, 0.0, 0, 0)
    # chance top-1 is 1/m for each of a set's m branches: sets / branches, micro-averaged
    return Retrieval(hits / count, recip / count, len(preds) / count, len(preds), count)
