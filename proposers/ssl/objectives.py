"""The two anti-collapse objectives the SSL arms compare.

`vicreg` is the single-branch form upstream used: variance hinge at 1 plus the off-diagonal
covariance penalty, both on the batch of online embeddings. `info_nce` scores the prediction
against its true successor and k exact wrong successors (cosine / temperature, label 0).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def vicreg(z: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """mean_j relu(1 - std_j) + sum_{i != j} C_ij^2 / d, on the centred batch z [n, d]."""
    n, d = z.shape
    zc = z - z.mean(dim=0)
    std = torch.sqrt(zc.var(dim=0) + eps)
    variance = F.relu(1.0 - std).mean()
    cov = zc.T @ zc / max(n - 1, 1)
    off = cov - torch.diag(torch.diagonal(cov))
    return variance + (off**2).sum() / d


def info_nce(
    pred: torch.Tensor, positive: torch.Tensor, negatives: torch.Tensor, temperature: float
) -> torch.Tensor:
    """pred, positive [n, d]; negatives [n, k, d]. Cross-entropy with the positive at 0."""
    p = F.normalize(pred, dim=-1)
    cands = torch.cat([positive[:, None, :], negatives], dim=1)
    logits = torch.einsum("nd,nkd->nk", p, F.normalize(cands, dim=-1)) / temperature
    labels = torch.zeros(pred.shape[0], dtype=torch.long, device=pred.device)
    return F.cross_entropy(logits, labels)
