"""The optimisation loop every learned proposer shares: AdamW, seeded batch order, fixed steps.

Batch order comes from a private `torch.Generator` seeded from the training seed (never the
global RNG), so the data order is reproducible and independent of anything else that draws
random numbers. A full pass is a permutation; when the next full batch would overrun it the
order is reshuffled and the tail dropped (the seed's rule). `batch_size=None` is full-batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch


class Trainer:
    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        *,
        lr: float,
        seed: int,
        batch_size: int | None,
    ) -> None:
        self.optimizer = torch.optim.AdamW(params, lr=lr)
        self.generator = torch.Generator().manual_seed(seed)
        self.batch_size = batch_size
        self._order: list[int] = []
        self._pos = 0
        self._n = -1

    def next_batch(self, n: int) -> list[int]:
        """Indices of the next batch from a dataset of `n` examples."""
        if n < 1:
            raise ValueError("cannot train on an empty dataset")
        size = n if self.batch_size is None else min(self.batch_size, n)
        if size == n:
            return list(range(n))
        if n != self._n or self._pos + size > len(self._order):
            self._order = torch.randperm(n, generator=self.generator).tolist()
            self._pos = 0
            self._n = n
        batch = self._order[self._pos : self._pos + size]
        self._pos += size
        return batch

    def step(self, loss_fn: Callable[[list[int]], torch.Tensor], n: int) -> float:
        """One gradient step on the next batch; returns the batch loss."""
        batch = self.next_batch(n)
        loss = loss_fn(batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())
