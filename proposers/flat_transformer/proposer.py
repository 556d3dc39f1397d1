"""The flat transformer proposer: `<bos> state action <gen>` -> delta tokens `<eos>`.

The whole state is serialized into the prompt (flat-Markov: no structure beyond the token
order), the delta is decoded under the world's grammar, and the uncertainty signal is the
mean entropy of the masked next-token distributions. Works in both worlds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from proposers.decoding import MaskCache, constrained_greedy, right_pad
from proposers.flat_transformer.model import CausalDecoder
from proposers.params import FLAT_DEFAULTS
from proposers.tokenize.vocab import PAD
from proposers.training.examples import Example
from proposers.training.learned import LearnedProposer

IGNORE = -100


class FlatTransformerProposer(LearnedProposer):
    name = "flat_transformer"
    DEFAULTS = FLAT_DEFAULTS

    def __init__(self, world: Any, **params: Any) -> None:
        super().__init__(world, **params)
        block = self.params["block_size"] or (256 if self.codec.world_name == "network" else 512)
        self.block_size = int(block)
        self._pad = self.codec.vocab.id(PAD)
        self._masks = MaskCache(len(self.codec.vocab), self.device)

    def _build_model(self) -> torch.nn.Module:
        p = self.params
        return CausalDecoder(
            len(self.codec.vocab), self.block_size, p["n_layer"], p["n_head"], p["d_model"]
        )

    def _encode(self, ex: Example) -> tuple[list[int], list[int]]:
        prompt = self.codec.prompt(ex.state, ex.action)
        target = self.codec.target(ex.state, ex.action, ex.delta)
        full = (prompt + target)[-(self.block_size + 1) :]
        n_target = min(len(target), len(full) - 1)
        inputs = full[:-1]
        labels = [IGNORE] * (len(inputs) - n_target) + full[-n_target:]
        return inputs, labels

    def _batch(self, batch: Sequence[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        x = right_pad([b[0] for b in batch], self._pad, self.device)
        y = torch.full(x.shape, IGNORE, dtype=torch.long)
        for i, (_, labels) in enumerate(batch):
            y[i, : len(labels)] = torch.tensor(labels, dtype=torch.long)
        return x, y.to(self.device)

    def _loss(self, batch: Sequence[Any]) -> torch.Tensor:
        assert self.model is not None
        x, y = self._batch(batch)
        logits = self.model(x)
        flat = logits.reshape(-1, logits.shape[-1])
        return F.cross_entropy(flat, y.reshape(-1), ignore_index=IGNORE)

    def _token_hits(self, batch: Sequence[Any]) -> tuple[int, int]:
        assert self.model is not None
        x, y = self._batch(batch)
        pred = self.model(x).argmax(-1)
        keep = y != IGNORE
        return int((pred[keep] == y[keep]).sum()), int(keep.sum())

    def _next_logits(self, seqs: list[list[int]], _live: list[int]) -> torch.Tensor:
        assert self.model is not None
        windows = [s[-self.block_size :] for s in seqs]
        logits = self.model(right_pad(windows, self._pad, self.device))
        last = torch.tensor([len(w) - 1 for w in windows], device=self.device)
        return logits[torch.arange(len(windows), device=self.device), last]

    def _decode(self, pairs: Sequence[tuple[Any, Any]]) -> list[tuple[tuple[int, ...], float]]:
        starts = [self.codec.prompt(s, a) for s, a in pairs]
        out = constrained_greedy(
            self._next_logits,
            starts,
            self.codec.grammar,
            self._masks,
            max_edits=self.params["max_edits"],
            max_run=self.params["max_run"],
            max_tokens=self.params["max_tokens"],
        )
        return [(d.ids, d.entropy) for d in out]
