"""The SSL encoder: the graph arm's message rounds over edge lists, mean-pooled per graph.

Same parameters and the same function as a `proposers.graph_rssm` round (links with
self-loops, flows both ways, firewall denies, mean aggregation, `LayerNorm(h + GELU(u))`),
so a representation learnt here is the graph arm's representation. Only the evaluation order
differs, for speed; the rewrite is exact algebra:

* a relation's message is `mean_{src->dst}(W h_src + b)`, and a mean commutes with a linear
  map, so it equals `W mean(h) + b` where the node has edges (and 0 where it has none);
* the update multiplies each message by its own block `U_k` of the update matrix, so
  `U_k (W_k agg + b_k) = (U_k W_k) agg + U_k b_k`, and `U_k W_k` is a d x d product, cheap
  next to anything of size N x d.

A round therefore costs two dense N x d x d products (the node's own block and the link
block; every node has a self-loop link) plus products over only the rows that have flow or
deny edges, instead of nine N x d x d products: about 4x fewer multiply-adds at the same
result up to float rounding. Aggregation is `index_add_` over edge lists, so the whole round
is O((nodes + edges) * d + d^3), never N^2. The RSSM and decoder are not built: no SSL
objective reads them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from proposers.graph_rssm.model import GraphBatch, MessageRound
from proposers.ssl.graphs import GraphSet


def _mean_rows(h: torch.Tensor, edges: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(rows with at least one incoming edge, mean of h[src] over each such row's edges)."""
    src, dst = edges[0], edges[1]
    rows, inverse = torch.unique(dst, sorted=True, return_inverse=True)
    total = torch.zeros((rows.shape[0], h.shape[1]), dtype=h.dtype, device=h.device)
    total.index_add_(0, inverse, h[src])
    deg = torch.zeros(rows.shape[0], dtype=h.dtype, device=h.device)
    deg.index_add_(0, inverse, torch.ones_like(inverse, dtype=h.dtype))
    return rows, total / deg[:, None]


def fused_round(
    layer: MessageRound, h: torch.Tensor, g_nodes: torch.Tensor, b: GraphBatch
) -> torch.Tensor:
    """`layer(h, g_nodes, b)`, computed in the cheap order described in the module docstring."""
    n, d = h.shape
    u_all = layer.update.weight  # [d, 5d]: blocks for h, link, fwd, rev, deny
    blocks = [u_all[:, i * d : (i + 1) * d] for i in range(5)]
    u = F.linear(h, blocks[0], layer.update.bias) + g_nodes
    relations = (
        (layer.link, b.links, blocks[1]),
        (layer.fwd, b.flows.flip(0), blocks[2]),
        (layer.rev, b.flows, blocks[3]),
        (layer.deny, b.denies, blocks[4]),
    )
    for lin, edges, block in relations:
        if edges.shape[1] == 0:
            continue
        rows, agg = _mean_rows(h, edges, n)
        msg = F.linear(agg, block @ lin.weight, block @ lin.bias)
        u = u + msg if rows.shape[0] == n else u.index_add(0, rows, msg)
    out: torch.Tensor = layer.norm(h + F.gelu(u))
    return out


class GraphEncoder(nn.Module):
    def __init__(self, node_dim: int, graph_dim: int, *, d_model: int, mp_rounds: int) -> None:
        super().__init__()
        self.node_in = nn.Linear(node_dim, d_model)
        self.graph_in = nn.Linear(graph_dim, d_model)
        self.rounds = nn.ModuleList(MessageRound(d_model) for _ in range(mp_rounds))

    def forward(self, b: GraphBatch) -> torch.Tensor:
        """The pooled embedding [B, d] of a batch of graphs: the mean over hosts, each stored
        node weighted by the hosts it stands for (see `graphs.GraphSet`)."""
        g_nodes = self.graph_in(b.graph)[b.node_graph]
        h = self.node_in(b.node)
        for layer in self.rounds:
            assert isinstance(layer, MessageRound)
            h = fused_round(layer, h, g_nodes, b)
        weight = getattr(b, "node_weight", None)
        if weight is None:
            weight = torch.ones_like(b.node_graph, dtype=h.dtype)
        total = torch.zeros((b.n_graphs, h.shape[1]), dtype=h.dtype, device=h.device)
        total.index_add_(0, b.node_graph, h * weight[:, None])
        count = torch.zeros(b.n_graphs, dtype=h.dtype, device=h.device)
        count.index_add_(0, b.node_graph, weight)
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


@torch.no_grad()
def embed_all(encoder: GraphEncoder, graphs: GraphSet, chunk: int = 256) -> torch.Tensor:
    """Embeddings [n, d] of every graph, `chunk` graphs at a time (bounded memory)."""
    encoder.eval()
    try:
        parts = [
            encoder(graphs.batch(range(i, min(i + chunk, len(graphs)))))
            for i in range(0, len(graphs), chunk)
        ]
    finally:
        encoder.train()
    return torch.cat(parts)
