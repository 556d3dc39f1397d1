"""The seams of SPEC-4 §3 as small protocols, the history a controller may read, and the keep
rule that no controller can change.

- `Controller` (SPEC-4's proposer and controller in one): from the history, choose the parents
  and produce the next generation's candidate configurations. Registered by name in
  `registry.CONTROLLERS`; a file's `[search] controller` picks one.
- `Gate`: screen a candidate before it runs and hand out the trial that scores it on one
  sealed set. Registered by name in `sealed.GATES` (one today, `sealed`); the score itself is the
  `config_search` experiment kind, run as a trial like any other.
- The keep rule (`keep_if_better`) is not a seam: it is fixed (DD-AR3).

A controller reads a `SearchView`: the space, the base, and per candidate its configuration,
parent, loss (lower is better), kept flag and move. Nothing in it names an evaluation cell, a
seed of the judge or a trial key. **Keep-if-better is the floor** (DD-AR3): `keep_if_better`
is applied by the driver, in candidate order, to every controller alike, so the frontier is
monotone whatever a controller proposes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hypotheses.search import Search


@dataclass(frozen=True)
class Seen:
    """One candidate as a controller sees it."""

    idx: int
    generation: int
    config: Mapping[str, Any]
    parent: int | None
    loss: float | None
    """Lower is better; None while unscored, refused or failed."""
    kept: bool
    move: str | None
    refused: str | None = None


@dataclass(frozen=True)
class SearchView:
    """What a controller may read: the box it searches in and what has been tried."""

    search: Search
    base: Mapping[str, Any]
    history: Sequence[Seen]
    generation: int

    @property
    def scored(self) -> list[Seen]:
        return [c for c in self.history if c.loss is not None]

    @property
    def best(self) -> Seen:
        """The frontier's head: the last kept candidate (the base until one beats it)."""
        kept = [c for c in self.history if c.kept]
        return kept[-1] if kept else self.history[0]

    def tried(self) -> set[str]:
        from engine.search.space import config_digest

        return {config_digest(c.config) for c in self.history if c.refused is None}


@dataclass(frozen=True)
class Proposal:
    """A candidate to score: its full configuration, the parent it was derived from, and what
    was done (`move`, e.g. `lr:+`); `raw` is a live model's reply as it came (recorded so the
    trial replays); `refused` a reason the candidate was refused before it ran."""

    config: Mapping[str, Any]
    parent: int | None
    move: str | None = None
    controller: str = ""
    raw: str | None = None
    refused: str | None = None
    notes: Mapping[str, Any] = field(default_factory=dict)


class Controller(Protocol):
    name: str

    def propose(self, view: SearchView, count: int, rng: random.Random) -> list[Proposal]:
        """`count` candidates for the next generation (pure given view and rng; a refused
        proposal may be returned in addition, followed by its replacement)."""
        ...


class Gate(Protocol):
    digest: str
    """The seal's sha256 (what the ledger records of it)."""

    def screen(self, config: Mapping[str, Any]) -> str | None:
        """Why `config` may not run (the judge's denylist, the space, the ceiling), or None."""
        ...

    def request(self, config: Mapping[str, Any], eval_set: str, seed: int) -> Any:
        """The trial (`TrialRequest`) that scores `config` on `eval_set` for search `seed`."""
        ...


def improves(loss: float, best: float) -> bool:
    """Strictly better: ties keep the incumbent, so the frontier never moves sideways."""
    return loss < best


def keep_if_better(best: float | None, loss: float | None) -> bool:
    """The keep rule (DD-AR3); `best` None means nothing scored yet (the base is kept)."""
    if loss is None:
        return False
    return best is None or improves(loss, best)


def controller_rng(search_seed: int, generation: int, salt: str) -> random.Random:
    """The generation's randomness: a pure function of the search seed and generation."""
    return random.Random(f"{salt}:{search_seed}:{generation}")
