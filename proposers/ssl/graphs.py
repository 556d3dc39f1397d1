"""Featurized graphs held as tensors, batched by concatenating edge lists.

A training step draws a batch of graphs many times, so each graph is featurized and turned
into tensors once; a batch is their concatenation with node offsets (one big disconnected
graph), exactly the layout of `proposers.graph_rssm.model.GraphBatch`, so the graph arm's
message rounds run on it unchanged. Nothing here is N x N: the cost of a batch is its nodes
plus its edges.

`oracle_raw` is the oracle-anchored JEPA target's input: the successor's node features
flattened in host order, followed by its graph features. Upstream's target stopped there and
so never saw links, flows or firewall rules; with `edges=True` each host also carries
symlog counts of its links, outgoing and incoming flows and the denies it holds, so the target
reflects the structure while staying linear in N.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from proposers.graph_rssm.features import GraphFeatures, symlog
from proposers.graph_rssm.model import GraphBatch

EDGE_FEATURES = 4
"""Per-host structure counts the oracle target adds: links, flows out, flows in, denies."""


@dataclass(frozen=True)
class _Graph:
    node: torch.Tensor
    links: torch.Tensor
    flows: torch.Tensor
    denies: torch.Tensor


def _edges(pairs: Sequence[tuple[int, int]]) -> torch.Tensor:
    if not pairs:
        return torch.zeros((2, 0), dtype=torch.long)
    return torch.tensor(pairs, dtype=torch.long).t().contiguous()


class GraphSet:
    """An indexed collection of featurized graphs, batched on demand onto one device."""

    def __init__(self, feats: Sequence[GraphFeatures], device: torch.device) -> None:
        self.device = device
        self._graphs: list[_Graph] = []
        for f in feats:
            n = len(f.node)
            loops = [(i, i) for i in range(n)]
            self._graphs.append(
                _Graph(
                    torch.tensor(f.node, dtype=torch.float32),
                    _edges([*loops, *f.links]),
                    _edges(f.flows),
                    _edges(f.denies),
                )
            )
        self._global = torch.tensor([f.graph for f in feats], dtype=torch.float32)

    def __len__(self) -> int:
        return len(self._graphs)

    def batch(self, indices: Sequence[int]) -> GraphBatch:
        graphs = [self._graphs[i] for i in indices]
        sizes = [g.node.shape[0] for g in graphs]
        offsets = torch.tensor([0, *sizes[:-1]], dtype=torch.long).cumsum(0)

        def cat(name: str) -> torch.Tensor:
            parts = [getattr(g, name) + off for g, off in zip(graphs, offsets, strict=True)]
            return torch.cat(parts, dim=1).to(self.device)

        dev = self.device
        return GraphBatch(
            node=torch.cat([g.node for g in graphs]).to(dev),
            graph=self._global[list(indices)].to(dev),
            node_graph=torch.repeat_interleave(torch.arange(len(graphs)), torch.tensor(sizes)).to(
                dev
            ),
            links=cat("links"),
            flows=cat("flows"),
            denies=cat("denies"),
            n_graphs=len(graphs),
        )


def oracle_raw(feats: Sequence[GraphFeatures], *, edges: bool) -> torch.Tensor:
    """[n, d_raw]: each successor's node rows (+ structure counts) flattened, then its globals."""
    rows: list[list[float]] = []
    for f in feats:
        n = len(f.node)
        counts = [[0.0] * EDGE_FEATURES for _ in range(n)]
        if edges:
            for a, _ in f.links:
                counts[a][0] += 1.0
            for s, d in f.flows:
                counts[s][1] += 1.0
                counts[d][2] += 1.0
            for _, h in f.denies:
                counts[h][3] += 1.0
        row: list[float] = []
        for i, node in enumerate(f.node):
            row.extend(node)
            if edges:
                row.extend(symlog(c) for c in counts[i])
        row.extend(f.graph)
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float32)
