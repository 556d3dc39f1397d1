"""Featurized graphs held as tensors, batched by concatenating edge lists.

A training step draws a batch of graphs many times, so each graph is featurized and turned
into tensors once; a batch is their concatenation with node offsets (one big disconnected
graph), exactly the layout of `proposers.graph_rssm.model.GraphBatch`, so the graph arm's
message rounds run on it unchanged. Nothing here is N x N: the cost of a batch is its nodes
plus its edges.

**Isolated hosts are stored once.** A host with no link, flow or deny edge hears only itself
(its self-loop), and no other host hears it; two such hosts of one graph with the same
feature row therefore carry the same vector through every round. A graph keeps one of them,
with a multiplicity that the mean pooling weighs by, which is exact (not an approximation)
and makes the cost grow with the hosts a trajectory has touched plus the edges, not with N:
in a 300-host world most hosts are still in their initial state.

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


@dataclass
class SSLBatch(GraphBatch):
    node_weight: torch.Tensor
    """[total_nodes] how many hosts each stored node stands for (pooling weights)."""


@dataclass(frozen=True)
class _Graph:
    node: torch.Tensor
    weight: torch.Tensor
    links: torch.Tensor
    flows: torch.Tensor
    denies: torch.Tensor


def _compress(f: GraphFeatures) -> tuple[list[tuple[float, ...]], list[float], list[int]]:
    """(kept rows, their multiplicities, old index -> new index): isolated duplicates merged."""
    touched = {i for pairs in (f.links, f.flows, f.denies) for pair in pairs for i in pair}
    rows: list[tuple[float, ...]] = []
    weights: list[float] = []
    remap: list[int] = []
    isolated: dict[tuple[float, ...], int] = {}
    for i, row in enumerate(f.node):
        if i not in touched:
            j = isolated.get(row)
            if j is not None:
                weights[j] += 1.0
                remap.append(j)
                continue
            isolated[row] = len(rows)
        remap.append(len(rows))
        rows.append(row)
        weights.append(1.0)
    return rows, weights, remap


def _edges(pairs: Sequence[tuple[int, int]]) -> torch.Tensor:
    if not pairs:
        return torch.zeros((2, 0), dtype=torch.long)
    return torch.tensor(pairs, dtype=torch.long).t().contiguous()


class GraphSet:
    """An indexed collection of featurized graphs, batched on demand onto one device."""

    def __init__(
        self, feats: Sequence[GraphFeatures], device: torch.device, *, compress: bool = True
    ) -> None:
        self.device = device
        self._graphs: list[_Graph] = []
        for f in feats:
            if compress:
                rows, weights, remap = _compress(f)
            else:
                rows, weights, remap = list(f.node), [1.0] * len(f.node), list(range(len(f.node)))

            def edges(pairs: Sequence[tuple[int, int]], remap: list[int] = remap) -> torch.Tensor:
                return _edges([(remap[a], remap[b]) for a, b in pairs])

            loops = [(i, i) for i in range(len(rows))]
            self._graphs.append(
                _Graph(
                    torch.tensor(rows, dtype=torch.float32),
                    torch.tensor(weights, dtype=torch.float32),
                    _edges([*loops, *((remap[a], remap[b]) for a, b in f.links)]),
                    edges(f.flows),
                    edges(f.denies),
                )
            )
        self._global = torch.tensor([f.graph for f in feats], dtype=torch.float32)

    def __len__(self) -> int:
        return len(self._graphs)

    @property
    def stored_nodes(self) -> int:
        """Nodes actually stored (after merging isolated duplicates)."""
        return sum(g.node.shape[0] for g in self._graphs)

    def batch(self, indices: Sequence[int]) -> SSLBatch:
        graphs = [self._graphs[i] for i in indices]
        sizes = [g.node.shape[0] for g in graphs]
        offsets = torch.tensor([0, *sizes[:-1]], dtype=torch.long).cumsum(0)

        def cat(name: str) -> torch.Tensor:
            parts = [getattr(g, name) + off for g, off in zip(graphs, offsets, strict=True)]
            return torch.cat(parts, dim=1).to(self.device)

        dev = self.device
        return SSLBatch(
            node=torch.cat([g.node for g in graphs]).to(dev),
            graph=self._global[list(indices)].to(dev),
            node_graph=torch.repeat_interleave(torch.arange(len(graphs)), torch.tensor(sizes)).to(
                dev
            ),
            links=cat("links"),
            flows=cat("flows"),
            denies=cat("denies"),
            n_graphs=len(graphs),
            node_weight=torch.cat([g.weight for g in graphs]).to(dev),
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
