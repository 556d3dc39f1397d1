"""The graph+RSSM proposer (network world): the state lives in a conditioning vector computed
by message passing over the host graph, and a small decoder emits the delta under the same
grammar as the flat transformer, starting from `<gen>` alone.

`objective = "residual"` (SPEC-8 H24) trains the decoder only on the tokens of edits the
observation does not decide: with `observed_fraction` f the first ceil(f N) hosts are
observed, and an edit is decidable iff every host it touches is observed (clock and result
edits always are; see `worlds.network.partition`). The default `"likelihood"` labels every
token. A batch with no residual token contributes a zero loss instead of PyTorch's NaN.

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
from proposers.tokenize.network import EDIT_FIELDS, NetworkCodec
from proposers.tokenize.vocab import PAD
from proposers.training.examples import Example, examples_from
from proposers.training.learned import LearnedProposer
from worlds.network.partition import is_decided, observed_prefix

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
        if self.params["objective"] not in ("likelihood", "residual"):
            raise ProposerError("graph_rssm: parameter 'objective' must be likelihood or residual")
        fraction = self.params["observed_fraction"]
        if isinstance(fraction, bool) or not isinstance(fraction, int | float):
            raise ProposerError("graph_rssm: parameter 'observed_fraction' must be a number")
        if not 0.0 <= fraction <= 1.0:
            raise ProposerError("graph_rssm: parameter 'observed_fraction' must be in [0, 1]")
        self.observed = observed_prefix(codec.hosts, float(fraction))

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

    def residual_mask(self, delta: Sequence[Any], length: int) -> list[bool]:
        """Per target token: True iff it belongs to an edit the observation does not decide
        (each edit is its op token plus one token per field; the closing `<eos>` is False)."""
        mask: list[bool] = []
        for edit in delta:
            span = 1 + len(EDIT_FIELDS[edit.op])
            mask += [not is_decided(edit, self.observed)] * span
        mask.append(False)
        if len(mask) < length:
            raise ProposerError(f"graph_rssm: residual mask shorter than the target ({length})")
        return mask[:length]

    def _encode(self, ex: Example) -> tuple[GraphFeatures, list[int], list[bool]]:
        target = self.codec.target(ex.state, ex.action, ex.delta)[: self.params["block_size"]]
        return (
            self.featurize(ex.state, ex.action),
            target,
            self.residual_mask(ex.delta, len(target)),
        )

    def _batch(
        self, batch: Sequence[Any], *, residual_only: bool = False
    ) -> tuple[Any, torch.Tensor, torch.Tensor]:
        graphs = collate([b[0] for b in batch], self.device)
        x = right_pad([[self._gen, *b[1][:-1]] for b in batch], self._pad, self.device)
        y = torch.full(x.shape, IGNORE, dtype=torch.long)
        for i, (_, t, mask) in enumerate(batch):
            row = torch.tensor(t, dtype=torch.long)
            if residual_only:
                row[~torch.tensor(mask, dtype=torch.bool)] = IGNORE
            y[i, : len(t)] = row
        return graphs, x, y.to(self.device)

    def _loss(self, batch: Sequence[Any]) -> torch.Tensor:
        graphs, x, y = self._batch(batch, residual_only=self.params["objective"] == "residual")
        logits = self._net()(graphs, x, sample=True)
        if not bool((y != IGNORE).any()):
            return logits.sum() * 0.0  # no residual token here: no gradient, not NaN
        flat = logits.reshape(-1, logits.shape[-1])
        return F.cross_entropy(flat, y.reshape(-1), ignore_index=IGNORE)

    def residual_token_accuracy(self, records: Sequence[Any]) -> tuple[float, float, float]:
        """(overall, residual-only) teacher-forced argmax accuracy on `records` (mean of the
        latent, no sampling), and the residual share of their target tokens."""
        encoded, _ = self._encode_all(examples_from([list(records)]))
        if not encoded:
            raise ProposerError("graph_rssm: no held-out example is expressible in the vocab")
        with torch.no_grad():
            graphs, x, y = self._batch(encoded)
            pred = self._net()(graphs, x, sample=False).argmax(-1)
        keep = y != IGNORE
        resid = torch.zeros_like(keep)
        for i, (_, t, mask) in enumerate(encoded):
            resid[i, : len(t)] = torch.tensor(mask, dtype=torch.bool)
        hits = pred == y
        n_all, n_res = int(keep.sum()), int(resid.sum())
        overall = float(hits[keep].sum()) / n_all
        residual = float(hits[resid].sum()) / n_res if n_res else float("nan")
        return overall, residual, n_res / n_all

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
