"""The graph+RSSM proposer (network world): the state lives in a conditioning vector computed
by message passing over the host graph, and a small decoder emits the delta under the same
grammar as the flat transformer, starting from `<gen>` alone.

Its signal is the RSSM's belief variance (the seed's choice, and the signal with which the
seed's host-world scheduling result was positive); `signal = "entropy"` switches to the mean
decode entropy for comparisons with the flat arm.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from proposers.base import ProposerError
from proposers.decoding import MaskCache, constrained_greedy, right_pad
from proposers.graph_rssm.features import Featurizer, GraphFeatures, graph_width, node_width
from proposers.graph_rssm.model import GraphRSSMNet, collate
from proposers.params import GRAPH_DEFAULTS
from proposers.tokenize.network import NetworkCodec
from proposers.tokenize.vocab import PAD
from proposers.training.examples import Example
from proposers.training.learned import LearnedProposer

IGNORE = -100


class GraphRSSMProposer(LearnedProposer):
    name = "graph_rssm"
    DEFAULTS = GRAPH_DEFAULTS

    def __init__(self, world: Any, **params: Any) -> None:
        super().__init__(world, **params)
        if self.params["signal"] not in ("belief_var", "entropy"):
            raise ProposerError("graph_rssm: parameter 'signal' must be 'belief_var' or 'entropy'")
        codec = self.codec
        assert isinstance(codec, NetworkCodec)
        self.featurize = Featurizer(world, codec.hosts, codec.ports)
        self._gen = codec.vocab.id("<gen>")
        self._pad = codec.vocab.id(PAD)
        self._masks = MaskCache(len(codec.vocab), self.device)

    def _check_world(self) -> None:
        if self.codec.world_name != "network":
            raise ProposerError(
                f"graph_rssm: needs the network world's host graph, got {self.codec.world_name!r}"
            )

    def _build_model(self) -> torch.nn.Module:
        p = self.params
        c = self.codec
        assert isinstance(c, NetworkCodec)
        return GraphRSSMNet(
            node_width(c.ports),
            graph_width(c.ports),
            len(c.vocab),
            d_model=p["d_model"],
            mp_rounds=p["mp_rounds"],
            n_layer=p["n_layer"],
            n_head=p["n_head"],
            block_size=p["block_size"],
            stoch_dim=p["stoch_dim"],
        )

    def _net(self) -> GraphRSSMNet:
        model = self._require_model()
        assert isinstance(model, GraphRSSMNet)
        return model

    def _encode(self, ex: Example) -> tuple[GraphFeatures, list[int]]:
        target = self.codec.target(ex.state, ex.action, ex.delta)
        return self.featurize(ex.state, ex.action), target[: self.params["block_size"]]

    def _batch(self, batch: Sequence[Any]) -> tuple[Any, torch.Tensor, torch.Tensor]:
        graphs = collate([b[0] for b in batch], self.device)
        x = right_pad([[self._gen, *t[:-1]] for _, t in batch], self._pad, self.device)
        y = torch.full(x.shape, IGNORE, dtype=torch.long)
        for i, (_, t) in enumerate(batch):
            y[i, : len(t)] = torch.tensor(t, dtype=torch.long)
        return graphs, x, y.to(self.device)

    def _loss(self, batch: Sequence[Any]) -> torch.Tensor:
        graphs, x, y = self._batch(batch)
        logits = self._net()(graphs, x, sample=True)
        flat = logits.reshape(-1, logits.shape[-1])
        return F.cross_entropy(flat, y.reshape(-1), ignore_index=IGNORE)

    def _token_hits(self, batch: Sequence[Any]) -> tuple[int, int]:
        graphs, x, y = self._batch(batch)
        pred = self._net()(graphs, x, sample=False).argmax(-1)
        keep = y != IGNORE
        return int((pred[keep] == y[keep]).sum()), int(keep.sum())

    @torch.no_grad()
    def _decode(self, pairs: Sequence[tuple[Any, Any]]) -> list[tuple[tuple[int, ...], float]]:
        net = self._net()
        graphs = collate([self.featurize(s, a) for s, a in pairs], self.device)
        cond, belief = net.encode(graphs, sample=False)
        block = self.params["block_size"]

        def next_logits(seqs: list[list[int]], live: list[int]) -> torch.Tensor:
            windows = [s[-block:] for s in seqs]
            logits = net.decoder(right_pad(windows, self._pad, self.device), cond[live])
            last = torch.tensor([len(w) - 1 for w in windows], device=self.device)
            return logits[torch.arange(len(windows), device=self.device), last]

        out = constrained_greedy(
            next_logits,
            [[self._gen] for _ in pairs],
            self.codec.grammar,
            self._masks,
            max_edits=self.params["max_edits"],
            max_run=self.params["max_run"],
            max_tokens=self.params["max_tokens"],
        )
        beliefs = belief.tolist()
        use_entropy = self.params["signal"] == "entropy"
        return [
            (d.ids, d.entropy if use_entropy else float(b))
            for d, b in zip(out, beliefs, strict=True)
        ]

    def encode_graph(self, state: Any, action: Any | None = None) -> torch.Tensor:
        """The pooled graph embedding [d] of (state, action) (gradients flow; for SSL work)."""
        return self.encode_graphs([(state, action)])[0]

    def encode_graphs(self, pairs: Sequence[tuple[Any, Any | None]]) -> torch.Tensor:
        """Pooled embeddings [B, d] of a batch of (state, action-or-None) pairs."""
        graphs = collate([self.featurize(s, a) for s, a in pairs], self.device)
        return self._net().embed(graphs)
