"""Message passing over edge lists + an RSSM latent + a small causal delta decoder (seed NW8).

Cost per round is O((nodes + edges) * d): every relation is aggregated with `index_add_` over
its edge list (mean aggregation, degree clamped at 1), never through an N x N matrix. Graphs of
a batch are concatenated (node offsets), so a batch is one big disconnected graph.

The RSSM follows the seed exactly, including its degenerate form: a GRU cell whose hidden
state starts at zero on every call (no temporal recurrence), a Gaussian latent (mu, sigma)
sampled in training and taken at its mean when decoding, and `belief_var = mean(sigma^2)` as
the uncertainty signal. No KL term: only the decoder's cross-entropy shapes sigma.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from proposers.flat_transformer.model import CausalDecoder
from proposers.graph_rssm.features import GraphFeatures


@dataclass
class GraphBatch:
    node: torch.Tensor  # [total_nodes, Dn]
    graph: torch.Tensor  # [B, Dg]
    node_graph: torch.Tensor  # [total_nodes] graph index of each node
    links: torch.Tensor  # [2, E] (src, dst) global node ids, self-loops included
    flows: torch.Tensor  # [2, F]
    denies: torch.Tensor  # [2, D]
    n_graphs: int


def collate(feats: Sequence[GraphFeatures], device: torch.device) -> GraphBatch:
    nodes: list[tuple[float, ...]] = []
    owner: list[int] = []
    edges: dict[str, list[tuple[int, int]]] = {"links": [], "flows": [], "denies": []}
    offset = 0
    for g, f in enumerate(feats):
        n = len(f.node)
        nodes.extend(f.node)
        owner.extend([g] * n)
        edges["links"] += [(offset + i, offset + i) for i in range(n)]
        for name in edges:
            edges[name] += [(offset + a, offset + b) for a, b in getattr(f, name)]
        offset += n

    def edge_tensor(pairs: list[tuple[int, int]]) -> torch.Tensor:
        if not pairs:
            return torch.zeros((2, 0), dtype=torch.long, device=device)
        return torch.tensor(pairs, dtype=torch.long, device=device).t().contiguous()

    return GraphBatch(
        node=torch.tensor(nodes, dtype=torch.float32, device=device),
        graph=torch.tensor([f.graph for f in feats], dtype=torch.float32, device=device),
        node_graph=torch.tensor(owner, dtype=torch.long, device=device),
        links=edge_tensor(edges["links"]),
        flows=edge_tensor(edges["flows"]),
        denies=edge_tensor(edges["denies"]),
        n_graphs=len(feats),
    )


def mean_aggregate(x: torch.Tensor, edges: torch.Tensor, n: int) -> torch.Tensor:
    """out[dst] = mean of x[src] over edges (src -> dst); zero where a node has none."""
    out = torch.zeros((n, x.shape[1]), dtype=x.dtype, device=x.device)
    if edges.shape[1] == 0:
        return out
    src, dst = edges[0], edges[1]
    out.index_add_(0, dst, x[src])
    deg = torch.zeros(n, dtype=x.dtype, device=x.device)
    deg.index_add_(0, dst, torch.ones_like(dst, dtype=x.dtype))
    return out / deg.clamp(min=1.0)[:, None]


class MessageRound(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.link = nn.Linear(d, d)
        self.fwd = nn.Linear(d, d)
        self.rev = nn.Linear(d, d)
        self.deny = nn.Linear(d, d)
        self.update = nn.Linear(5 * d, d)
        self.norm = nn.LayerNorm(d)

    def forward(self, h: torch.Tensor, g_nodes: torch.Tensor, b: GraphBatch) -> torch.Tensor:
        n = h.shape[0]
        m_link = mean_aggregate(self.link(h), b.links, n)
        # forward flow message: a source hears its destinations; reverse: a destination its sources
        m_fwd = mean_aggregate(self.fwd(h), b.flows.flip(0), n)
        m_rev = mean_aggregate(self.rev(h), b.flows, n)
        m_deny = mean_aggregate(self.deny(h), b.denies, n)
        u = self.update(torch.cat([h, m_link, m_fwd, m_rev, m_deny], dim=-1)) + g_nodes
        out: torch.Tensor = self.norm(h + F.gelu(u))
        return out


class GraphRSSMNet(nn.Module):
    def __init__(
        self,
        node_dim: int,
        graph_dim: int,
        vocab_size: int,
        *,
        d_model: int = 64,
        mp_rounds: int = 3,
        n_layer: int = 2,
        n_head: int = 2,
        block_size: int = 64,
        stoch_dim: int = 16,
    ) -> None:
        super().__init__()
        self.node_in = nn.Linear(node_dim, d_model)
        self.graph_in = nn.Linear(graph_dim, d_model)
        self.rounds = nn.ModuleList(MessageRound(d_model) for _ in range(mp_rounds))
        self.gru = nn.GRUCell(d_model, d_model)
        self.mu = nn.Linear(d_model, stoch_dim)
        self.sigma = nn.Linear(d_model, stoch_dim)
        self.cond = nn.Linear(d_model + stoch_dim, d_model)
        self.decoder = CausalDecoder(vocab_size, block_size, n_layer, n_head, d_model)

    def _pool(self, h: torch.Tensor, b: GraphBatch) -> torch.Tensor:
        total = torch.zeros((b.n_graphs, h.shape[1]), dtype=h.dtype, device=h.device)
        total.index_add_(0, b.node_graph, h)
        count = torch.zeros(b.n_graphs, dtype=h.dtype, device=h.device)
        count.index_add_(0, b.node_graph, torch.ones_like(b.node_graph, dtype=h.dtype))
        return total / count.clamp(min=1.0)[:, None]

    def _message_pass(self, b: GraphBatch) -> tuple[torch.Tensor, torch.Tensor]:
        g = self.graph_in(b.graph)
        h = self.node_in(b.node)
        g_nodes = g[b.node_graph]
        for layer in self.rounds:
            h = layer(h, g_nodes, b)
        return self._pool(h, b), g

    def embed(self, b: GraphBatch) -> torch.Tensor:
        """The pooled graph embedding [B, d] (the SSL representation; the RSSM is not in it)."""
        return self._message_pass(b)[0]

    def encode(self, b: GraphBatch, *, sample: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """(cond [B, d], belief variance [B])."""
        pooled, g = self._message_pass(b)
        x = pooled + g
        det = self.gru(x, torch.zeros_like(x))
        mu = self.mu(det)
        sigma = F.softplus(self.sigma(det)) + 1e-4
        z = mu + sigma * torch.randn_like(sigma) if sample else mu
        return self.cond(torch.cat([det, z], dim=-1)), (sigma**2).mean(-1)

    def forward(self, b: GraphBatch, idx: torch.Tensor, *, sample: bool) -> torch.Tensor:
        cond, _ = self.encode(b, sample=sample)
        logits: torch.Tensor = self.decoder(idx, cond)
        return logits
