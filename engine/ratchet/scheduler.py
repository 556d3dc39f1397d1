"""Which hypothesis version runs next, and whether it fits what is left of the budget.

Pure decisions over numbers handed in (no clock, no ledger access), so they are tested
directly. The order is the pre-registered one (`Queued.order`): a `next` lever's target pulled
forward; then lower priority first, where a lever child inherits its parent's priority plus
`DEPTH_PENALTY` per level, and chains deeper than one wait until every root file and first
child has had its turn. A version whose estimated cost does not fit the remaining budget is
passed over for a smaller one, never started to be cut. `engine.ratchet.dispatch` uses these
decisions to keep every worker busy across versions.

Cost of one trial, most specific evidence first:
1. finished trials of this very version and arm (measured here, same parameters);
2. the file's `estimated_trial_seconds` (the author's pre-registered guess);
3. finished trials of the same experiment kind and proposer (other parameters: a rough guide);
4. unknown: measure one trial, then decide.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from engine.execution.trials import TrialRequest, group_by_batch
from hypotheses import Hypothesis

OVERHEAD_SECONDS_PER_BATCH = 1.0
"""Starting a trial process and a Prefect task: small, but not zero on a loaded machine."""


@dataclass(frozen=True)
class FinishedTiming:
    """One finished trial's duration and what it was a trial of (from the ledger)."""

    hypothesis_hash: str
    arm: str
    experiment: str
    proposer: str
    seconds: float


@dataclass
class CostModel:
    """Per-trial cost estimates from what has been measured so far."""

    by_version_arm: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    by_kind: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    @classmethod
    def from_timings(cls, timings: Iterable[FinishedTiming]) -> CostModel:
        model = cls()
        for t in timings:
            model.add(t)
        return model

    def add(self, t: FinishedTiming) -> None:
        if not t.seconds >= 0:
            return
        self.by_version_arm.setdefault((t.hypothesis_hash, t.arm), []).append(t.seconds)
        self.by_kind.setdefault((t.experiment, t.proposer), []).append(t.seconds)

    def estimate(self, request: TrialRequest, hypothesis: Hypothesis) -> float | None:
        """Seconds one trial is expected to take, or None when nothing is known yet.

        The median, not the mean: one trial slowed by a busy machine should not make the
        scheduler pass over a hypothesis it could finish.
        """
        own = self.by_version_arm.get((request.hypothesis_hash, request.arm))
        if own:
            return statistics.median(own)
        if hypothesis.estimated_trial_seconds is not None:
            return hypothesis.estimated_trial_seconds
        kind = self.by_kind.get((request.spec.experiment, request.spec.arm.proposer))
        if kind:
            return statistics.median(kind)
        return None


def batch_cost(estimates: Sequence[float]) -> float:
    return sum(estimates) + OVERHEAD_SECONDS_PER_BATCH


def plan_seconds(batches: Sequence[Sequence[float]], workers: int) -> float:
    """Wall-clock estimate of running batches on `workers` parallel workers.

    At least the longest batch (it runs on one worker) and at least the total spread evenly.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if not batches:
        return 0.0
    costs = [batch_cost(b) for b in batches]
    return max(max(costs), sum(costs) / workers)


DEPTH_PENALTY = 10
"""Priority points a lever child pays per level below its root file (lower runs first)."""


@dataclass(frozen=True)
class Queued:
    """A registered version waiting for trials or a verdict."""

    hypothesis: Hypothesis
    root_index: int
    promoted: bool = False

    @property
    def effective_priority(self) -> int:
        """The file's priority (a child inherits its parent's) plus the depth penalty."""
        h = self.hypothesis
        return h.priority + DEPTH_PENALTY * h.depth

    @property
    def order(self) -> tuple[bool, bool, int, int, int, str]:
        """How a budget is spent, the way a scientist would spend it.

        A `next` lever's target first (the outcome asked for it); then every root file and
        first-level child by effective priority, so each root gets its first verdict before
        any lever chain goes deeper than one; deeper children last, again by priority.
        """
        h = self.hypothesis
        deep = h.depth > 1
        return (not self.promoted, deep, self.effective_priority, self.root_index, h.depth, h.id)


@dataclass(frozen=True)
class Choice:
    """What to do next: run these trials (`run`), or time one first (`measure`)."""

    queued: Queued
    mode: Literal["run", "measure"]
    requests: tuple[TrialRequest, ...]
    estimated_seconds: float | None


@dataclass(frozen=True)
class Passed:
    """A version passed over this round, and why (shown in the run summary)."""

    hypothesis_id: str
    reason: str


def choose(
    queue: Sequence[Queued],
    pending: Mapping[str, Sequence[TrialRequest]],
    costs: CostModel,
    remaining_seconds: float,
    workers: int,
) -> tuple[Choice | None, list[Passed]]:
    """The first version in order whose pending trials fit the remaining budget.

    `pending` maps a content hash to its unfinished trials (an empty list: all trials are
    done and only the verdict is missing, which costs nothing, so it is always chosen).
    """
    passed: list[Passed] = []
    for item in sorted(queue, key=lambda q: q.order):
        h = item.hypothesis
        todo = list(pending.get(h.content_hash, ()))
        if not todo:
            return Choice(item, "run", (), 0.0), passed
        estimates = [costs.estimate(r, h) for r in todo]
        unknown = [r for r, e in zip(todo, estimates, strict=True) if e is None]
        if unknown:
            if remaining_seconds > OVERHEAD_SECONDS_PER_BATCH:
                return Choice(item, "measure", (unknown[0],), None), passed
            passed.append(Passed(h.id, "no time left to measure a trial"))
            continue
        by_batch: dict[tuple[str, str], list[float]] = {}
        for r, e in zip(todo, estimates, strict=True):
            assert e is not None
            by_batch.setdefault((r.cell_id, r.arm), []).append(e)
        need = plan_seconds(list(by_batch.values()), workers)
        if need <= remaining_seconds:
            return Choice(item, "run", tuple(todo), need), passed
        passed.append(
            Passed(
                h.id, f"needs ~{need:.0f}s for {len(todo)} trials, {remaining_seconds:.0f}s left"
            )
        )
    return None, passed


def batches_for(requests: Sequence[TrialRequest]) -> list[list[TrialRequest]]:
    """The task-sized batches of a choice (re-exported so the flow has one place to ask)."""
    return group_by_batch(requests)


def split_for_workers(
    batches: Sequence[Sequence[TrialRequest]],
    workers: int,
    estimates: Mapping[str, float | None] | None = None,
) -> list[list[TrialRequest]]:
    """Split batches so `workers` finish together, and order them longest first.

    One batch per (cell, arm) leaves a worker idle when the arms differ in cost (an oracle arm
    can take ten times a null arm): the flow waits for the slowest batch before it decides.
    So the costliest batch is halved (seeds stay in order, each piece is still a contiguous
    run of one arm) until every worker has a batch and none holds more than half a worker's
    share of the total; then longest-first hands them out well. Half, not a whole share,
    because estimates can be wrong by a factor: an arm whose models an earlier file already
    fitted costs a fraction of one that fits them, and both carry the same estimate. With
    pieces of half a share, a worker whose batches turned out cheap takes the other half of
    the expensive arm instead of idling while one worker runs all of it. Each extra batch
    costs one task and one trial process, hence the cap of four per worker.

    A cut never separates the trials of one model seed (`TrialRequest.model_seed`): they
    share one fitted model, which the second batch would fit again. `estimates` maps trial
    keys to seconds; a trial without one (or with None) counts as one unit.
    """
    known = estimates or {}

    def units(batch: Sequence[TrialRequest]) -> float:
        return sum(c if (c := known.get(r.key)) is not None else 1.0 for r in batch)

    out = [list(b) for b in batches if b]
    if workers <= 1:
        return out
    target = sum(units(b) for b in out) / workers / 2
    while len(out) < 4 * workers:
        cuts = {i: cut for i in range(len(out)) if (cut := _cut(out[i])) is not None}
        if not cuts:
            break
        largest = max(cuts, key=lambda i: units(out[i]))
        if len(out) >= workers and units(out[largest]) <= target:
            break
        piece = out.pop(largest)
        out[largest:largest] = [piece[: cuts[largest]], piece[cuts[largest] :]]
    return sorted(out, key=units, reverse=True)


def _cut(batch: Sequence[TrialRequest]) -> int | None:
    """Where to halve a batch: the boundary nearest its middle (the later one on a tie) that
    keeps every model seed's trials together; None when no such boundary exists."""
    n = len(batch)

    def model(i: int) -> int | None:
        return getattr(batch[i], "model_seed", None)

    cuts = [i for i in range(1, n) if model(i) is None or model(i) != model(i - 1)]
    return min(cuts, key=lambda i: (abs(2 * i - n), -i)) if cuts else None
