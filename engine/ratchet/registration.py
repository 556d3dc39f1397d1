"""The ratchet's bookkeeping against the ledger: register, queue, judge, pull the lever.

The flow (`engine.ratchet.flow`) decides *when* things happen; this module says *what* each step
writes. Every step is idempotent on the ledger, which is what makes a resumed run safe:

- pre-registration records each loaded file's content hash (same hash: no-op), and brings
  back the children a previous run derived from these versions, so their line continues;
- a version's trials are planned from its content and this checkout's source hash, and
  pending ones are those not settled in the ledger (finished trials are never repeated;
  failed ones are deterministic and would fail again; crashed ones are retried up to the
  ledger's bound); trials recorded under another source hash have other keys, so they are
  neither reused nor judged with this code's;
- a verdict is written only when every pre-registered trial of its cell finished (the same
  finding again is a no-op; a different one needs `--recompute`);
- correction families are registered with their members (`engine.judging.families`); a
  version alone in its family is adjusted when it is judged, a shared family when its last
  member is, and the adjusted outcome is stored once;
- levers fire on the adjusted outcome only, so a shared family's members pull theirs when the
  family completes: a lever that fires derives its child, pre-registers it, records parent ->
  child, and queues it; a `next` lever records itself and pulls its target forward;
- a queued version's planned trials are written to the ledger as pending rows, so the ledger
  is the queue every worker and every run on it shares (claims decide who runs what).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.execution.trials import TrialRequest, plan_trials
from engine.judging.families import FamilyPlan, is_sanity, own_family, plan_families
from engine.judging.trends import TrendVerdict, judge_trends, trend_line
from engine.judging.verdicts import (
    DEFAULT_CORRECTION,
    CellVerdict,
    Incomplete,
    TrialResult,
    adjust_family,
    cell_evidence,
    judge,
    summary_line,
)
from engine.ratchet.scheduler import CostModel, FinishedTiming, Queued
from engine.search.confirm import CONFIRM_TAG, confirmation_hypothesis, confirmation_id
from engine.search.driver import SearchDriver
from hypotheses import (
    Catalog,
    Hypothesis,
    HypothesisError,
    check_file,
    derive_child,
    hypothesis_files,
    parse_hypothesis,
)

Log = Callable[[str], None]


def _why(gap: Incomplete, trials: Sequence[Any]) -> Incomplete:
    """Name the trials that will never finish (failed, or crashed past the bound) in a cell's
    no-verdict reason, with their errors, so the record says why the cell has no verdict."""
    dead = [t for t in trials if t.cell_id == gap.cell_id and t.settled and t.status != "finished"]
    if not dead:
        return gap
    parts = [f"{t.arm} seed {t.seed} {t.status}: {t.error or 'no error recorded'}" for t in dead]
    return Incomplete(gap.cell_id, f"{len(dead)} trial(s) will not finish ({'; '.join(parts)})")


def source_files(directory: Path, catalog: Catalog) -> dict[str, str]:
    """id -> the file it came from (for the ledger's provenance column)."""
    out: dict[str, str] = {}
    for path in hypothesis_files(directory):
        h, problems = check_file(path, catalog)
        if h is not None and not problems:
            out.setdefault(h.id, str(path))
    return out


@dataclass
class Conclusion:
    """What concluding one version produced (for the summary and the artifacts)."""

    hypothesis: Hypothesis
    verdicts: list[tuple[int, CellVerdict]] = field(default_factory=list)
    incomplete: list[Incomplete] = field(default_factory=list)
    children: list[Hypothesis] = field(default_factory=list)
    promoted: list[str] = field(default_factory=list)
    lever_notes: list[str] = field(default_factory=list)
    trends: list[TrendVerdict] = field(default_factory=list)
    """Cross-cell trend rules (`[[trends]]`), recomputed from the trials; not stored."""
    search_line: str | None = None
    """For a configuration search (no verdict of its own): its frontier in one line."""

    @property
    def line(self) -> str:
        """The decisive (adjusted) outcomes; "awaiting family" while a shared one is open."""
        if self.search_line is not None:
            return self.search_line
        if self.verdicts and any(v.adjusted_outcome is None for _, v in self.verdicts):
            raw = summary_line([v.outcome for _, v in self.verdicts])
            return f"awaiting its family's other members (raw: {raw})"
        return summary_line([v.decisive for _, v in self.verdicts])


class Ratchet:
    """The versions this run knows, their queue, and the ledger writes that move them."""

    def __init__(
        self,
        ledger: Any,
        catalog: Catalog,
        run_id: int,
        *,
        recompute: bool = False,
        correction: str = DEFAULT_CORRECTION,
        log: Log = lambda _: None,
    ) -> None:
        self.ledger = ledger
        self.catalog = catalog
        self.run_id = run_id
        self.recompute = recompute
        self.correction = correction
        self.log = log
        self.versions: dict[str, Hypothesis] = {}
        self.root_index: dict[str, int] = {}
        self.queue: dict[str, Queued] = {}
        self.plans: dict[str, list[TrialRequest]] = {}
        self.done: list[Conclusion] = []
        self.skipped: dict[str, str] = {}
        self.searches: dict[str, SearchDriver] = {}

    def search_driver(self, h: Hypothesis) -> SearchDriver:
        """The driver of a `config_search` version (the seam between the ratchet and
        `engine.search`: its trials are whatever the search's next step needs)."""
        if h.content_hash not in self.searches:
            self.searches[h.content_hash] = SearchDriver(self.ledger, h, run_id=self.run_id)
        return self.searches[h.content_hash]

    # --- pre-registration -----------------------------------------------------------------

    def preregister(self, loaded: Sequence[Hypothesis], files: dict[str, str]) -> None:
        """Record every loaded version (before any trial runs) and restore derived lines."""
        for i, h in enumerate(loaded):
            self.root_index[h.id] = i
            self._register(h, files.get(h.id))
        self._register_families(loaded)
        self._restore_children()
        for h in list(self.versions.values()):
            self._plan(h)
        for digest, h in list(self.versions.items()):
            if self._needs_work(digest):
                self._enqueue(h)
                continue
            # Verdicted in an earlier run: finish its family if that was cut short, and make
            # sure its levers fired (a run killed between verdict and lever would otherwise
            # end the line).
            family = self.family_of(h)
            if family is not None and family.members != (digest,):
                self._complete_shared(family)
            self._pull_levers(h, Conclusion(h), self._decisive_outcomes(digest))

    # --- families -------------------------------------------------------------------------

    def _register_families(self, loaded: Sequence[Hypothesis]) -> None:
        """Register the families of versions not yet in one (a version keeps its first)."""
        unbound = [h for h in loaded if self.ledger.family_of(h.content_hash) is None]
        seen: set[str] = set()
        for plan in plan_families(unbound, self.correction).values():
            if plan.key not in seen:
                seen.add(plan.key)
                self._record_family(plan)

    def _record_family(self, plan: FamilyPlan) -> None:
        self.ledger.register_family(
            key=plan.key,
            name=plan.name,
            method=plan.method,
            alpha=plan.alpha,
            size=plan.size,
            members=plan.members,
            run_id=self.run_id,
        )

    def family_of(self, h: Hypothesis) -> FamilyPlan | None:
        """The version's registered family (registering its own if it has none yet); None for
        a sanity check, which stays outside every family."""
        if is_sanity(h):
            return None
        record = self.ledger.family_of(h.content_hash)
        if record is None:
            plan = own_family(h, self.correction)
            self._record_family(plan)
            return plan
        return FamilyPlan(
            record.key, record.name, record.method, record.alpha, record.size, record.members
        )

    def _version(self, digest: str) -> Hypothesis | None:
        if digest in self.versions:
            return self.versions[digest]
        row = self.ledger.get_hypothesis(digest)
        if row is None:
            return None
        try:
            return parse_hypothesis(dict(row.content), file="<ledger>", catalog=self.catalog)
        except HypothesisError:
            return None

    def _trials(self, h: Hypothesis) -> list[Any]:
        """The version's trials planned under the current code (a code change never mixes)."""
        planned = {r.key for r in self._plan(h)}
        return [t for t in self.ledger.trials(hypothesis=h.content_hash) if t.key in planned]

    def _results(self, h: Hypothesis, trials: Sequence[Any] | None = None) -> list[TrialResult]:
        return [
            TrialResult(t.cell_id, t.arm, t.seed, dict(t.metrics or {}), _model_seed(t.spec))
            for t in (self._trials(h) if trials is None else trials)
            if t.status == "finished"
        ]

    def _complete_shared(self, family: FamilyPlan) -> list[Hypothesis]:
        """Adjust a shared family once every member cell has its verdict; store it once.

        Returns the members whose adjusted outcomes were written now (their levers are due).
        """
        members: dict[str, tuple[Hypothesis, Any]] = {}
        rows: dict[tuple[str, str], Any] = {}
        for digest in family.members:
            h = self._version(digest)
            if h is None:
                return []
            current = {v.cell_id: v for v in self.ledger.verdicts(hypothesis=digest)}
            if any(cell.cell_id not in current for cell in h.cells()):
                return []  # not complete yet
            evidence, gaps = cell_evidence(h, self._results(h))
            if gaps:
                return []
            members[digest] = (h, evidence)
            rows.update({(digest, c): v for c, v in current.items()})
        if all(v.adjusted_outcome is not None for v in rows.values()):
            return []
        ordered = [
            rows[(d, cell.cell_id)] for d in family.members for cell in members[d][0].cells()
        ]
        adjusted = adjust_family(family, members, ordered)
        for row, adj in zip(ordered, adjusted, strict=True):
            self.ledger.annotate_verdict(row.id, adj)
        self.ledger.complete_family(family.key)
        self.log(f"family {family.label}: complete, adjusted outcomes stored")
        return [members[d][0] for d in family.members]

    def _register(
        self, h: Hypothesis, source_file: str | None, lever_id: str | None = None
    ) -> None:
        self.ledger.register_hypothesis(
            h.canonical(),
            h.content_hash,
            h.id,
            h.title,
            source_file,
            parent_hash=h.parent,
            lever_id=lever_id,
            depth=h.depth,
        )
        self.versions[h.content_hash] = h

    def _restore_children(self) -> None:
        known = set(self.versions)
        rows = [r for r in self.ledger.hypotheses() if r.parent_hash is not None]
        grew = True
        while grew:
            grew = False
            for row in rows:
                if row.content_hash in known or row.parent_hash not in known:
                    continue
                try:
                    child = parse_hypothesis(
                        dict(row.content), file="<ledger>", catalog=self.catalog
                    )
                except HypothesisError as exc:
                    self.log(f"cannot continue {row.hypothesis_id}: {exc}")
                    known.add(row.content_hash)
                    continue
                self.versions[row.content_hash] = child
                known.add(row.content_hash)
                grew = True

    def _plan(self, h: Hypothesis) -> list[TrialRequest]:
        if h.search is not None:
            return []  # a search's trials are proposed step by step (`search_driver`)
        if h.content_hash not in self.plans:
            self.plans[h.content_hash] = plan_trials(h)
        return self.plans[h.content_hash]

    def _decisive_outcomes(self, digest: str) -> list[str]:
        """The adjusted outcomes of a version's cells; none while any is not adjusted yet."""
        outcomes = [v.decisive for v in self.ledger.verdicts(hypothesis=digest)]
        return [] if any(o is None for o in outcomes) else [str(o) for o in outcomes]

    def _needs_work(self, digest: str) -> bool:
        if self.recompute:
            return True
        h = self.versions[digest]
        if h.search is not None:
            return not self._search_concluded(h)
        judged = {v.cell_id for v in self.ledger.verdicts(hypothesis=digest)}
        return any(cell.cell_id not in judged for cell in h.cells())

    def _enqueue(self, h: Hypothesis, promoted: bool = False) -> None:
        root = self.root_index.get(h.root_id, len(self.root_index))
        if h.content_hash not in self.queue:
            self._publish(h)
        self.queue[h.content_hash] = Queued(h, root, promoted=promoted)

    def _publish(self, h: Hypothesis) -> None:
        """Write the version's planned trials to the ledger as pending (existing rows are
        left alone), so the plan is the ledger's queue: `python -m engine.execution.workers`
        and other runs on the same ledger take trials from it, claimed like any other."""
        self.ledger.enqueue_trials([{"key": r.key, **r.row()} for r in self._plan(h)])

    # --- what is left to run --------------------------------------------------------------

    def pending(self, digests: Iterable[str] | None = None) -> dict[str, list[TrialRequest]]:
        """For each queued version (or each of `digests`), its trials not yet settled in the
        ledger (finished, failed, or crashed as often as the ledger allows)."""
        out: dict[str, list[TrialRequest]] = {}
        for digest in list(self.queue) if digests is None else digests:
            if digest not in self.versions:
                continue
            settled = {t.key for t in self.ledger.trials(hypothesis=digest) if t.settled}
            h = self.versions[digest]
            plan = self.search_driver(h).requests() if h.search is not None else self._plan(h)
            out[digest] = [r for r in plan if r.key not in settled]
        return out

    def carried_over(self, digest: str) -> int:
        """Trials of this version that an earlier run finished and this run reuses as they are
        (a resumed run's summary counts them, so "0 reused" means nothing was carried over)."""
        planned = {r.key for r in self._plan(self.versions[digest])}
        return sum(
            1
            for t in self.ledger.trials(hypothesis=digest, status="finished")
            if t.key in planned and t.run_id != self.run_id
        )

    def cost_model(self) -> CostModel:
        """Per-trial timings of every finished trial in the ledger."""
        timings = []
        for t in self.ledger.trials(status="finished"):
            spec = t.spec
            arm = spec.get("arm", {}) if isinstance(spec, dict) else {}
            if t.duration_s is None:
                continue
            timings.append(
                FinishedTiming(
                    hypothesis_hash=t.hypothesis_hash,
                    arm=t.arm,
                    experiment=str(spec.get("experiment", "")),
                    proposer=str(arm.get("proposer", "")),
                    seconds=float(t.duration_s),
                )
            )
        return CostModel.from_timings(timings)

    def drop(self, digest: str, reason: str) -> None:
        """Take a version out of this run's queue (it stays registered for the next run)."""
        self.queue.pop(digest, None)
        self.skipped[self.versions[digest].id] = reason

    # --- verdicts and levers --------------------------------------------------------------

    def conclude(self, digest: str) -> Conclusion:
        """Judge a version whose trials are settled, write its verdicts, pull its levers.

        Levers fire on the adjusted outcome: at once for a version alone in its family (or a
        sanity check), and for every member of a shared family when its last member is judged.
        """
        h = self.versions[digest]
        self.queue.pop(digest, None)
        if h.search is not None:
            return self._conclude_search(h)
        family = self.family_of(h)
        trials = self._trials(h)
        results = self._results(h, trials)
        verdicts, incomplete = judge(h, results, family)
        incomplete = [_why(gap, trials) for gap in incomplete]
        conclusion = Conclusion(h, incomplete=incomplete)
        for v in verdicts:
            record = self.ledger.write_verdict(
                dataclasses.replace(v, run_id=self.run_id), recompute=self.recompute
            )
            conclusion.verdicts.append((int(record.id), v))
        for gap in incomplete:
            self.log(f"{h.id} [{gap.cell_id or 'all'}]: no verdict: {gap.reason}")
        conclusion.trends = judge_trends(h, results)
        for tv in conclusion.trends:
            self.log(f"{h.id}: {trend_line(tv)}")
        self.done.append(conclusion)
        if not verdicts or incomplete:
            return conclusion
        if family is None or family.members == (digest,):
            self._pull_levers(h, conclusion, [v.decisive for v in verdicts])
            return conclusion
        for member in self._complete_shared(family):
            target = self._conclusion_for(member)
            target.verdicts = [
                (v.id, _as_cell_verdict(v))
                for v in self.ledger.verdicts(hypothesis=member.content_hash)
            ]
            self._pull_levers(member, target, self._decisive_outcomes(member.content_hash))
        return conclusion

    def _conclusion_for(self, h: Hypothesis) -> Conclusion:
        for c in reversed(self.done):
            if c.hypothesis.content_hash == h.content_hash:
                return c
        c = Conclusion(h)
        self.done.append(c)
        return c

    def _pull_levers(self, h: Hypothesis, conclusion: Conclusion, outcomes: Sequence[str]) -> None:
        """Fire the levers of every outcome the version reached (each lever once). A search has
        no verdict of its own: its confirmation's outcome fires the search's levers."""
        if not outcomes:
            return
        search = self.versions.get(h.parent or "")
        if CONFIRM_TAG in h.tags and search is not None and search.search is not None:
            self._pull_levers(search, conclusion, outcomes)
        verdict_ids = {v.decisive: v.id for v in self.ledger.verdicts(hypothesis=h.content_hash)}
        for outcome in dict.fromkeys(outcomes):
            for lever in h.levers_for(outcome):
                if lever.next is not None:
                    self.ledger.add_lever(
                        parent_hash=h.content_hash,
                        lever_id=lever.id,
                        when=outcome,
                        next_id=lever.next,
                        verdict_id=verdict_ids.get(outcome),
                        run_id=self.run_id,
                    )
                    self._promote(lever.next)
                    conclusion.promoted.append(lever.next)
                    continue
                if lever.id in h.lever_path:
                    continue  # a lever fires once per line: this is where the line ends
                try:
                    child = derive_child(h, lever, catalog=self.catalog)
                except HypothesisError as exc:
                    conclusion.lever_notes.append(f"lever {lever.id!r} not applied: {exc.reason}")
                    continue
                twin = self._twin(child)
                if twin is not None:
                    conclusion.lever_notes.append(
                        f"lever {lever.id!r} not applied: its child would test exactly what "
                        f"{twin.id} tests (same content but for its id and parent)"
                    )
                    continue
                self._register(child, None, lever_id=lever.id)
                self.ledger.add_lever(
                    parent_hash=h.content_hash,
                    lever_id=lever.id,
                    when=outcome,
                    child_hash=child.content_hash,
                    verdict_id=verdict_ids.get(outcome),
                    run_id=self.run_id,
                )
                self._plan(child)
                if self._needs_work(child.content_hash):
                    self._enqueue(child)
                    conclusion.children.append(child)

    def _twin(self, child: Hypothesis) -> Hypothesis | None:
        """A known version of the same line (same root) that tests exactly what `child` would:
        the same content but for the id and the parent. Trials are pure functions of their
        spec and seed, so such a child would only repeat the twin's trials under a new hash;
        this is how a lever ladder reached by two paths (k8 -> k16 -> k32 beside k8 -> k32),
        or a `set` that changes nothing, ends instead of running twice. Versions of other
        roots are never twins: their ids, families and lineages are their own."""
        wanted = _tested(child)
        for other in self.versions.values():
            if (
                other.root_id == child.root_id
                and other.content_hash != child.content_hash
                and _tested(other) == wanted
            ):
                return other
        return None

    # --- configuration searches -----------------------------------------------------------

    def _confirmation_registered(self, h: Hypothesis, seed: int) -> bool:
        wanted = confirmation_id(h, seed)
        return any(
            r.parent_hash == h.content_hash for r in self.ledger.hypotheses(hypothesis_id=wanted)
        )

    def _search_concluded(self, h: Hypothesis) -> bool:
        driver = self.search_driver(h)
        return driver.done() and all(
            self._confirmation_registered(h, seed) for seed in driver.seeds
        )

    def _conclude_search(self, h: Hypothesis) -> Conclusion:
        """A finished search pre-registers its confirmation hypotheses and queues them."""
        driver = self.search_driver(h)
        conclusion = Conclusion(h)
        parts = []
        for seed in driver.seeds:
            f = driver.frontier(seed)
            parts.append(
                f"seed {seed}: best {_fmt(f.best_loss)} vs base {_fmt(f.base_loss)} "
                f"({f.candidates} candidates, {f.kept} kept, {f.refused} refused)"
            )
            if not f.done:
                continue
            child = confirmation_hypothesis(h, seed, f.best_config, f.best_idx, self.catalog)
            self._register(child, None, lever_id=child.lever_path[-1])
            self._plan(child)
            if self._needs_work(child.content_hash):
                self._enqueue(child)
                conclusion.children.append(child)
        conclusion.search_line = "search: " + "; ".join(parts)
        self.done.append(conclusion)
        return conclusion

    def _promote(self, hypothesis_id: str) -> None:
        for digest, h in self.versions.items():
            if h.id == hypothesis_id and digest in self.queue:
                self._enqueue(h, promoted=True)


def _tested(h: Hypothesis) -> dict[str, Any]:
    """What a version tests: its canonical content without its lineage (id, parent)."""
    return {k: v for k, v in h.canonical().items() if k not in ("id", "parent")}


def _model_seed(spec: Mapping[str, Any]) -> int | None:
    """The model seed a trial ran with, when its file declares model seeds."""
    value = spec.get("model_seed") if isinstance(spec, Mapping) else None
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _as_cell_verdict(v: Any) -> CellVerdict:
    """A stored verdict row back as the judge's record (for the run summary)."""
    names = [f.name for f in dataclasses.fields(CellVerdict)]
    return CellVerdict(**{n: getattr(v, n) for n in names})


def _fmt(loss: float | None) -> str:
    return "-" if loss is None else f"{loss:.4g}"
