"""Grammar-constrained greedy decoding, batched, shared by both learned proposers.

Each step asks the model for next-token logits of every unfinished sequence, masks out what
the automaton forbids, takes the argmax and records the entropy of the masked distribution
(the proposer's uncertainty signal: 0 when the token was forced). Because only allowed tokens
are ever chosen and the caps only force legal tokens, every finished sequence parses, and the
grammar's token budget makes every decode finish within `max_tokens`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from proposers.tokenize.grammar import Grammar, GrammarError, GrammarState


@dataclass(frozen=True, slots=True)
class Decoded:
    ids: tuple[int, ...]
    """The generated ids, ending with the grammar's terminator."""
    entropy: float
    """Mean entropy (nats) of the masked next-token distribution over the generated steps."""


NextLogits = Callable[[list[list[int]], list[int]], torch.Tensor]
"""(sequences, indices of the rows being decoded) -> [len(sequences), V] next-token logits."""


class MaskCache:
    """Boolean masks keyed by the allowed id set (a grammar yields only a handful of them)."""

    def __init__(self, vocab_size: int, device: torch.device) -> None:
        self.vocab_size = vocab_size
        self.device = device
        self._masks: dict[frozenset[int], torch.Tensor] = {}

    def get(self, state: GrammarState) -> torch.Tensor:
        allowed = state.allowed()
        mask = self._masks.get(allowed)
        if mask is None:
            mask = torch.zeros(self.vocab_size, dtype=torch.bool, device=self.device)
            mask[sorted(allowed)] = True
            self._masks[allowed] = mask
        return mask


@torch.no_grad()
def constrained_greedy(
    next_logits: NextLogits,
    starts: Sequence[Sequence[int]],
    grammar: Grammar,
    masks: MaskCache,
    *,
    max_edits: int = 64,
    max_run: int = 256,
    max_tokens: int = 1024,
) -> list[Decoded]:
    seqs = [list(s) for s in starts]
    states = [
        grammar.state(max_edits=max_edits, max_run=max_run, max_tokens=max_tokens) for _ in seqs
    ]
    generated: list[list[int]] = [[] for _ in seqs]
    entropy_sum = [0.0] * len(seqs)
    for _ in range(max_tokens):
        live = [i for i, st in enumerate(states) if not st.done]
        if not live:
            break
        logits = next_logits([seqs[i] for i in live], live).float()
        mask = torch.stack([masks.get(states[i]) for i in live])
        masked = logits.masked_fill(~mask, -math.inf)
        logp = torch.log_softmax(masked, dim=-1)
        ent = -(logp.exp() * logp.masked_fill(~mask, 0.0)).sum(-1)
        choice = masked.argmax(-1).tolist()
        ents = ent.tolist()
        for row, i in enumerate(live):
            tok = int(choice[row])
            states[i].advance(tok)
            seqs[i].append(tok)
            generated[i].append(tok)
            entropy_sum[i] += max(0.0, float(ents[row]))
    if any(not st.done for st in states):  # unreachable: the budget forces completion
        raise GrammarError(f"decode did not finish within max_tokens={max_tokens}")
    return [
        Decoded(tuple(g), e / len(g) if g else 0.0)
        for g, e in zip(generated, entropy_sum, strict=True)
    ]


def right_pad(seqs: Sequence[Sequence[int]], pad: int, device: torch.device) -> torch.Tensor:
    """A [B, max_len] id tensor, right-padded (safe under causal attention)."""
    width = max(len(s) for s in seqs)
    out = torch.full((len(seqs), width), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out.to(device)
