"""From a hypothesis version's finished trials to one verdict per cell, and the family view.

Pure functions over plain values: the trials come in as (cell, arm, seed, metrics) and the
verdicts go out as `CellVerdict`s the flow writes to the ledger. The bootstrap is seeded from
the content hash and cell, so recomputing a verdict from the same trials gives the same CI.
A cell whose trials are incomplete (a failed or missing trial in either arm) gets no verdict:
a failed trial must never be averaged into, or silently dropped from, a paired comparison.
Nor does a cell whose model fails the file's pre-registered competence gate (`gate.py`): its
reason says "not competent", which is a finding about the model, not about the effect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from engine.judging import stats
from engine.judging.gate import gate_failure
from hypotheses import Hypothesis

DEFAULT_CORRECTION = "holm"
CORRECTIONS = ("holm", "bh")


@dataclass(frozen=True)
class TrialResult:
    """The part of a finished trial a verdict reads."""

    cell_id: str
    arm: str
    seed: int
    metrics: Mapping[str, float]


@dataclass(frozen=True)
class CellVerdict:
    """One cell's verdict, in the ledger's terms."""

    cell_id: str
    outcome: str
    estimate: float
    ci_low: float
    ci_high: float
    confidence: float
    ci_method: str
    n: int
    seeds: tuple[int, ...]
    degenerate: bool
    rule: str
    p_value: float


@dataclass(frozen=True)
class Incomplete:
    """A cell that cannot be judged yet (or ever, if a trial failed), and why."""

    cell_id: str
    reason: str


def _arm_values(
    results: Iterable[TrialResult], cell_id: str, arm: str, metric: str
) -> dict[int, float]:
    out: dict[int, float] = {}
    for r in results:
        if r.cell_id == cell_id and r.arm == arm:
            if metric not in r.metrics:
                raise stats.StatsError(
                    f"trial {arm!r} seed {r.seed} has no metric {metric!r} "
                    f"(has: {', '.join(sorted(r.metrics))})"
                )
            out[r.seed] = float(r.metrics[metric])
    return out


def judge(
    hypothesis: Hypothesis, results: Sequence[TrialResult]
) -> tuple[list[CellVerdict], list[Incomplete]]:
    """Verdicts for every cell whose pre-registered seeds all finished in every needed arm."""
    effect, decision = hypothesis.effect, hypothesis.decision
    seeds = tuple(sorted(hypothesis.seeds.initial))
    verdicts: list[CellVerdict] = []
    incomplete: list[Incomplete] = []
    for cell in hypothesis.cells():
        arms = [effect.treatment] + ([effect.control] if effect.control is not None else [])
        try:
            values = {arm: _arm_values(results, cell.cell_id, arm, effect.metric) for arm in arms}
        except stats.StatsError as exc:
            incomplete.append(Incomplete(cell.cell_id, str(exc)))
            continue
        missing = {arm: sorted(set(seeds) - set(v)) for arm, v in values.items()}
        missing = {arm: m for arm, m in missing.items() if m}
        if missing:
            text = "; ".join(f"{arm} seeds {m}" for arm, m in sorted(missing.items()))
            incomplete.append(Incomplete(cell.cell_id, f"not all trials finished ({text})"))
            continue
        failure = gate_failure(
            hypothesis,
            cell.cell_id,
            ((r.arm, r.seed, r.metrics) for r in results if r.cell_id == cell.cell_id),
        )
        if failure is not None:
            incomplete.append(Incomplete(cell.cell_id, failure))
            continue
        t = [values[effect.treatment][s] for s in seeds]
        c = None if effect.control is None else [values[effect.control][s] for s in seeds]
        try:
            v = stats.evaluate(
                kind=effect.kind,
                metric=effect.metric,
                treatment_name=effect.treatment,
                control_name=effect.control,
                treatment=t,
                control=c,
                direction=decision.direction,
                threshold=decision.threshold,
                confidence=decision.confidence,
                equivalence=decision.equivalence,
                seed=f"{hypothesis.content_hash}/{cell.cell_id}",
            )
        except stats.StatsError as exc:
            incomplete.append(Incomplete(cell.cell_id, str(exc)))
            continue
        est = v.estimate
        verdicts.append(
            CellVerdict(
                cell_id=cell.cell_id,
                outcome=v.outcome,
                estimate=est.estimate,
                ci_low=est.low,
                ci_high=est.high,
                confidence=est.confidence,
                ci_method=est.method,
                n=est.n,
                seeds=seeds,
                degenerate=est.degenerate,
                rule=v.rule,
                p_value=v.p_value,
            )
        )
    return verdicts, incomplete


def summary_line(outcomes: Sequence[str]) -> str:
    """ "confirmed in 6 of 8 cells; refuted in 2" (or the single outcome without a grid)."""
    if not outcomes:
        return "no verdict"
    if len(outcomes) == 1:
        return outcomes[0]
    counts = {o: outcomes.count(o) for o in ("confirmed", "refuted", "inconclusive")}
    parts = [f"{o} in {n} of {len(outcomes)} cells" for o, n in counts.items() if n]
    return "; ".join(parts)


@dataclass(frozen=True)
class FamilyMember:
    """One verdict in a correction family: its id, raw outcome, p-value and alpha."""

    verdict_id: int
    family: str
    outcome: str
    p_value: float
    alpha: float


@dataclass(frozen=True)
class Adjusted:
    verdict_id: int
    adjusted_p: float
    adjusted_outcome: str
    correction: str


def correct_family(members: Sequence[FamilyMember], method: str) -> list[Adjusted]:
    """Multiple-comparison correction within each family.

    The one-sided p-value tests the pre-registered direction, so the correction can only take
    a confirmation away: a raw "confirmed" whose adjusted p exceeds its alpha (1 - confidence)
    becomes "inconclusive" at the family level; refuted and inconclusive stand as they are.
    """
    if method not in CORRECTIONS:
        raise stats.StatsError(f"unknown correction {method!r} (known: {', '.join(CORRECTIONS)})")
    by_family: dict[str, list[FamilyMember]] = {}
    for m in members:
        by_family.setdefault(m.family, []).append(m)
    out: list[Adjusted] = []
    for family in sorted(by_family):
        group = by_family[family]
        adjusted = stats.adjust([m.p_value for m in group], method)
        label = f"{method} over {len(group)} ({family})"
        for m, p in zip(group, adjusted, strict=True):
            outcome = m.outcome
            if outcome == "confirmed" and p > m.alpha:
                outcome = "inconclusive"
            out.append(Adjusted(m.verdict_id, float(p), outcome, label))
    return out
