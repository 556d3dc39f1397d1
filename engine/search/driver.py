"""A configuration search against the ledger: settle, keep, propose, hand out trials.

One search is (a `config_search` version, a search seed). Its state is nothing but its
`search_candidate` rows and the trials they point to, and every step is idempotent:

1. **settle** the proposed candidates in index order whose trials have landed: the keep rule
   (`seams.keep_if_better`) against the frontier so far; a jump larger than `anomaly_jump`
   waits for a re-score on the second sealed set and is kept only if that also beats the
   frontier (the row is flagged either way);
2. if candidates are still unsettled, their trials are what is pending;
3. otherwise, unless the search has its `trials`, the controller proposes the next generation
   from the settled history (rng from seed and generation), each candidate is screened
   (`space.screen`: a refusal is a row with its reason and no trial), and the rows are written
   before any trial runs.

So a run killed at any point resumes where it was: finished trials are reused by key, written
proposals are read back (a live LLM is never asked twice for a slot), and the same history
gives the same next generation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.execution.trials import TrialRequest
from engine.search import space as sp
from engine.search.gate import Seal, open_seal
from engine.search.llm_policy import Complete
from engine.search.registry import get_controller
from engine.search.sealed import SealedGate
from engine.search.seams import (
    Gate,
    SearchView,
    Seen,
    controller_rng,
    improves,
    keep_if_better,
)
from hypotheses import Hypothesis
from hypotheses.search import SEARCH_EXPERIMENT, Search

MAX_STALLED_GENERATIONS = 3
"""A search whose controller proposes nothing runnable this many generations in a row ends."""


@dataclass(frozen=True)
class Frontier:
    """The outcome of one search so far."""

    search_seed: int
    base_loss: float | None
    best_loss: float | None
    best_idx: int | None
    best_config: Mapping[str, Any]
    candidates: int
    kept: int
    refused: int
    flagged: int
    done: bool


@dataclass
class SearchDriver:
    """Drives the searches of one `config_search` version (one per search seed)."""

    ledger: Any
    hypothesis: Hypothesis
    run_id: int | None = None
    home: Path | None = None
    complete: Complete | None = None
    seal: Seal = field(init=False)

    def __post_init__(self) -> None:
        if self.hypothesis.search is None:
            raise ValueError(f"{self.hypothesis.id} is not a {SEARCH_EXPERIMENT} file")
        self.seal = open_seal(self.home)
        self.gate: Gate = SealedGate(self.hypothesis, self.seal)
        kw = {"complete": self.complete} if self.complete is not None else {}
        self.controller = get_controller(self.spec.controller, **kw)

    @property
    def cells_key(self) -> str:
        """What the gate draws this search's sealed cells for (never the cells)."""
        return str(getattr(self.gate, "cells_key", ""))

    @property
    def spec(self) -> Search:
        assert self.hypothesis.search is not None
        return self.hypothesis.search

    @property
    def digest(self) -> str:
        return self.hypothesis.content_hash

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(self.hypothesis.seeds.initial)

    # --- trials ---------------------------------------------------------------------------

    def request(self, config: Mapping[str, Any], eval_set: str, seed: int) -> TrialRequest:
        """The trial that scores `config` on one sealed set (its key names the config)."""
        request: TrialRequest = self.gate.request(config, eval_set, seed)
        return request

    def requests(self) -> list[TrialRequest]:
        """Every search seed's pending trials (proposing the next generation where due)."""
        out: list[TrialRequest] = []
        for seed in self.seeds:
            out += self.step(seed)
        return out

    def step(self, seed: int) -> list[TrialRequest]:
        """Settle what landed; the unsettled candidates' trials, else the next generation's."""
        rows = self.settle(seed)
        if not rows:
            self._add_base(seed)
            rows = self.ledger.candidates(self.digest, seed)
        open_rows = [r for r in rows if r.status == "proposed"]
        if not open_rows and not self._finished(rows):
            self._propose(seed, rows)
            rows = self.ledger.candidates(self.digest, seed)
            open_rows = [r for r in rows if r.status == "proposed"]
        out = []
        for r in open_rows:
            out.append(self.request(r.config, "primary", seed))
            if r.flagged:
                out.append(self.request(r.config, "recheck", seed))
        return out

    # --- the keep rule --------------------------------------------------------------------

    def settle(self, seed: int) -> list[Any]:
        """Apply the keep rule to every candidate whose trials have landed, in order."""
        rows = self.ledger.candidates(self.digest, seed)
        best: float | None = None
        for row in rows:
            if row.status == "refused":
                continue
            if row.status != "proposed":
                best = row.best_after
                continue
            trial = self.ledger.get_trial(row.trial_key)
            if trial is None or not trial.settled:
                break
            if trial.status != "finished":  # failed, or crashed as often as allowed
                self.ledger.settle_candidate(
                    row.id,
                    **_settled("failed", None, None, False, best, f"trial failed: {trial.error}"),
                )
                continue
            metrics = dict(trial.metrics or {})
            loss, score = float(metrics["loss"]), float(metrics["score"])
            kept = keep_if_better(best, loss)
            recheck_loss: float | None = None
            reason = (
                "base"
                if best is None
                else (
                    f"kept: {loss:.6g} beats {best:.6g}" if kept else f"not better than {best:.6g}"
                )
            )
            if kept and best is not None and self._anomalous(best, loss):
                recheck = self.request(row.config, "recheck", seed)
                if row.recheck_key is None:
                    self.ledger.flag_candidate(row.id, recheck.key)
                    break
                again = self.ledger.get_trial(recheck.key)
                if again is None or not again.settled:
                    break
                if again.status == "finished":
                    recheck_loss = float(dict(again.metrics or {})["loss"])
                kept = recheck_loss is not None and improves(recheck_loss, best)
                reason = (
                    f"anomaly screen: {loss:.6g} jumps from {best:.6g}; second sealed set gave "
                    f"{'-' if recheck_loss is None else f'{recheck_loss:.6g}'}: "
                    + ("kept" if kept else "not kept")
                )
            new_best = loss if kept else best
            self.ledger.settle_candidate(
                row.id,
                status="scored",
                score=score,
                loss=loss,
                recheck_key=row.recheck_key,
                recheck_loss=recheck_loss,
                flagged=row.recheck_key is not None,
                kept=kept,
                best_after=new_best,
                reason=reason,
            )
            best = new_best
        return list(self.ledger.candidates(self.digest, seed))

    def _anomalous(self, best: float, loss: float) -> bool:
        scale = abs(best)
        return scale > 0 and (best - loss) / scale > self.spec.anomaly_jump

    # --- proposing ------------------------------------------------------------------------

    def _add_base(self, seed: int) -> None:
        base = dict(self.spec.base)
        self.ledger.add_candidate(
            search_hash=self.digest,
            search_seed=seed,
            idx=0,
            generation=0,
            parent_idx=None,
            controller="base",
            config=base,
            edit={},
            move=None,
            proposal=None,
            status="proposed",
            trial_key=self.request(base, "primary", seed).key,
            seal_digest=self.seal.digest,
            reason=None,
            run_id=self.run_id,
        )

    def _finished(self, rows: list[Any]) -> bool:
        runnable = [r for r in rows if r.status != "refused" and r.idx > 0]
        if len(runnable) >= self.spec.trials:
            return True
        stalled = 0
        for generation in sorted({r.generation for r in rows if r.generation > 0}, reverse=True):
            if any(r.status != "refused" for r in rows if r.generation == generation):
                break
            stalled += 1
        return stalled >= MAX_STALLED_GENERATIONS

    def view(self, rows: list[Any]) -> SearchView:
        history = [
            Seen(
                idx=r.idx,
                generation=r.generation,
                config=dict(r.config),
                parent=r.parent_idx,
                loss=r.loss if r.status == "scored" else None,
                kept=r.kept,
                move=r.move,
                refused=r.reason if r.status == "refused" else None,
            )
            for r in rows
        ]
        generation = max((r.generation for r in rows), default=0) + 1
        return SearchView(self.spec, dict(self.spec.base), history, generation)

    def _propose(self, seed: int, rows: list[Any]) -> None:
        view = self.view(rows)
        runnable = len([r for r in rows if r.status != "refused" and r.idx > 0])
        count = min(self.spec.generation, self.spec.trials - runnable)
        rng = controller_rng(seed, view.generation, self.controller.name)
        proposals = self.controller.propose(view, count, rng)
        first = max(r.idx for r in rows) + 1
        generation = []
        for idx, p in enumerate(proposals, start=first):
            reason = p.refused or self.gate.screen(p.config)
            generation.append(
                {
                    "search_hash": self.digest,
                    "search_seed": seed,
                    "idx": idx,
                    "generation": view.generation,
                    "parent_idx": p.parent,
                    "controller": p.controller or self.controller.name,
                    "config": dict(p.config),
                    "edit": sp.edit_of(self.spec.base, p.config),
                    "move": p.move,
                    "proposal": p.raw,
                    "status": "refused" if reason else "proposed",
                    "trial_key": None if reason else self.request(p.config, "primary", seed).key,
                    "seal_digest": self.seal.digest,
                    "reason": reason,
                    "run_id": self.run_id,
                }
            )
        self.ledger.add_candidates(generation)  # all of a generation or none of it

    # --- outcome --------------------------------------------------------------------------

    def frontier(self, seed: int) -> Frontier:
        rows = self.settle(seed)
        scored = [r for r in rows if r.status == "scored"]
        kept = [r for r in scored if r.kept]
        base = next((r for r in rows if r.idx == 0), None)
        best = kept[-1] if kept else None
        done = bool(rows) and not any(r.status == "proposed" for r in rows) and self._finished(rows)
        return Frontier(
            search_seed=seed,
            base_loss=None if base is None else base.loss,
            best_loss=None if best is None else best.loss,
            best_idx=None if best is None else best.idx,
            best_config=dict(self.spec.base) if best is None else dict(best.config),
            candidates=len([r for r in rows if r.status != "refused"]),
            kept=len(kept),
            refused=len([r for r in rows if r.status == "refused"]),
            flagged=len([r for r in rows if r.flagged]),
            done=done,
        )

    def done(self) -> bool:
        return all(self.frontier(seed).done for seed in self.seeds)


def _settled(
    status: str,
    score: float | None,
    loss: float | None,
    kept: bool,
    best: float | None,
    reason: str,
) -> dict[str, Any]:
    return {
        "status": status,
        "score": score,
        "loss": loss,
        "recheck_key": None,
        "recheck_loss": None,
        "flagged": False,
        "kept": kept,
        "best_after": best,
        "reason": reason,
    }
