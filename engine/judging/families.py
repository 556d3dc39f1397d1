"""Correction families: fixed before the data, adjusted once, when the last member is judged.

A family is the set of tests whose joint error rate a pre-registration controls. It is never
"whatever the ledger holds": that set grows with every run and would rewrite old conclusions.

- By default a registered file is its own family: one test per cell of its grid.
- Files that name `[decision] family = "NAME"` and are registered together form one shared
  family; its members and size (the sum of their cells) are fixed at registration and recorded
  in the ledger under a key that names them, so a later run cannot change them.
- A lever's child was not part of any registration, so it is its own family.
- A file tagged `sanity` (the oracle-backed ceiling, say) is outside every family: its adjusted
  outcome is its raw one.

The adjusted outcome is computed when every member cell has its raw verdict, stored once and
never rewritten by a later run (the ledger refuses a different one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.judging import stats
from hypotheses import Hypothesis, content_digest

SANITY_TAG = "sanity"
SANITY_CORRECTION = "none (sanity check, outside every family)"


@dataclass(frozen=True)
class FamilyPlan:
    """A family as registered: its key, members (content hashes) and size (tests)."""

    key: str
    name: str
    method: str
    alpha: float
    size: int
    members: tuple[str, ...]

    @property
    def label(self) -> str:
        """How a verdict names its correction: "holm over 6 (EN1-flat-knee)"."""
        return f"{self.method} over {self.size} ({self.name})"


def is_sanity(h: Hypothesis) -> bool:
    return SANITY_TAG in h.tags


def own_family(h: Hypothesis, method: str) -> FamilyPlan:
    """A version's own family: the cells of its grid."""
    return FamilyPlan(
        key=f"{h.id}@{h.content_hash[:12]}",
        name=h.id,
        method=method,
        alpha=stats.alpha_of(h.decision.confidence),
        size=len(h.cells()),
        members=(h.content_hash,),
    )


def plan_families(roots: Sequence[Hypothesis], method: str) -> dict[str, FamilyPlan]:
    """content hash -> family for registered files loaded together (sanity files: absent).

    Shared members must agree on confidence (one alpha per family); the loader checks that
    before anything is registered.
    """
    if method not in stats.CORRECTIONS:
        raise stats.StatsError(
            f"unknown correction {method!r} (known: {', '.join(stats.CORRECTIONS)})"
        )
    out: dict[str, FamilyPlan] = {}
    shared: dict[str, list[Hypothesis]] = {}
    for h in roots:
        if is_sanity(h):
            continue
        if h.depth == 0 and h.decision.family is not None:
            shared.setdefault(h.decision.family, []).append(h)
        else:
            out[h.content_hash] = own_family(h, method)
    for name, members in sorted(shared.items()):
        hashes = tuple(sorted(m.content_hash for m in members))
        plan = FamilyPlan(
            key=f"{name}@{content_digest(list(hashes))[:12]}",
            name=name,
            method=method,
            alpha=stats.alpha_of(members[0].decision.confidence),
            size=sum(len(m.cells()) for m in members),
            members=hashes,
        )
        for m in members:
            out[m.content_hash] = plan
    return out
