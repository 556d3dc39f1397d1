"""The SSL encoder: the graph arm's message rounds over edge lists, mean-pooled per graph.

The same rounds as `proposers.graph_rssm` (links with self-loops, flows both ways, firewall
denies, mean aggregation by `index_add_`), so a representation learnt here is the graph arm's
representation, and each round costs O((nodes + edges) * d), never N^2. The RSSM and decoder
are not built: no SSL objective reads them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from proposers.graph_rssm.model import GraphBatch, MessageRound


class GraphEncoder(nn.Module):
    def __init__(self, node_dim: int, graph_dim: int, *, d_model: int, mp_rounds: int) -> None:
        super().__init__()
        self.node_in = nn.Linear(node_dim, d_model)
        self.graph_in = nn.Linear(graph_dim, d_model)
        self.rounds = nn.ModuleList(MessageRound(d_model) for _ in range(mp_rounds))

    def forward(self, b: GraphBatch) -> torch.Tensor:
        """The pooled embedding [B, d] of a batch of graphs."""
        g_nodes = self.graph_in(b.graph)[b.node_graph]
        h = self.node_in(b.node)
        for layer in self.rounds:
            h = layer(h, g_nodes, b)
        total = torch.zeros((b.n_graphs, h.shape[1]), dtype=h.dtype, device=h.device)
        total.index_add_(0, b.node_graph, h)
        count = torch.zeros(b.n_graphs, dtype=h.dtype, device=h.device)
        count.index_add_(0, b.node_graph, torch.ones_like(b.node_graph, dtype=h.dtype))
        return total / count.clamp(min=1.0)[:, None]


class Predictor(nn.Module):
    """g: Linear - GELU - Linear, the JEPA / contrastive prediction head."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.inp = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.out(F.gelu(self.inp(z)))
        return out
