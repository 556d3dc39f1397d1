"""From a hypothesis version's finished trials to one verdict record per cell, and its family.

Pure functions over plain values: the trials come in as (cell, arm, seed, metrics) and the
verdicts go out as `CellVerdict`s, the one record the ledger stores (`Ledger.write_verdict`
takes it as it is). The test's Monte Carlo parts are seeded from the content hash and cell, so
re-judging the same trials gives the same verdict.

A cell whose trials are incomplete (a failed or missing trial in either arm) gets no verdict:
a failed trial must never be averaged into, or silently dropped from, a paired comparison.
Nor does a cell whose model fails the file's pre-registered competence gate (`gate.py`): its
reason says "not competent", which is a finding about the model, not about the effect.

Two outcomes per cell: the raw one (alpha = 1 - confidence) and the family-adjusted one (the
member's Holm or BH level, `stats.member_levels`), each with the interval at its own level.
The adjusted one decides; it is filled in when the family is complete (`adjust_family`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from engine.judging import stats
from engine.judging.families import SANITY_CORRECTION, FamilyPlan, is_sanity, own_family
from engine.judging.gate import gate_failure
from hypotheses import Hypothesis

DEFAULT_CORRECTION = "holm"
CORRECTIONS = stats.CORRECTIONS


@dataclass(frozen=True)
class TrialResult:
    """The part of a finished trial a verdict reads (`model_seed` None: no model seeds)."""

    cell_id: str
    arm: str
    seed: int
    metrics: Mapping[str, float]
    model_seed: int | None = None


@dataclass(frozen=True)
class CellVerdict:
    """One cell's verdict, as the ledger stores it (field names are the ledger's columns).

    `ci_low`/`ci_high` are the raw interval (its ends the one-sided 1 - alpha bounds;
    `confidence` = 1 - 2 alpha is its two-sided coverage); the `adjusted_*` fields are the
    decisive outcome and the interval at the member's family level `adjusted_alpha`.
    """

    hypothesis_hash: str
    cell_id: str
    outcome: str
    effect_metric: str
    effect_kind: str
    estimate: float
    ci_low: float | None
    ci_high: float | None
    confidence: float
    ci_method: str
    n: int
    seeds: tuple[int, ...]
    degenerate: bool
    rule: str
    p_value: float
    alpha: float
    family: str | None = None
    adjusted_outcome: str | None = None
    adjusted_p: float | None = None
    adjusted_alpha: float | None = None
    adjusted_ci_low: float | None = None
    adjusted_ci_high: float | None = None
    correction: str | None = None
    run_id: int | None = None

    @property
    def decisive(self) -> str:
        """The outcome that decides: the adjusted one (the raw one until the family is done)."""
        return self.adjusted_outcome or self.outcome


@dataclass(frozen=True)
class Incomplete:
    """A cell that cannot be judged yet (or ever, if a trial failed), and why."""

    cell_id: str
    reason: str


def _finite(x: float) -> float | None:
    """An interval end the ledger can store: an unreachable bound (+-inf) is stored as None."""
    return x if x not in (float("inf"), float("-inf")) else None


def _arm_values(
    results: Iterable[TrialResult], cell_id: str, arm: str, metric: str
) -> dict[tuple[int, int | None], float]:
    out: dict[tuple[int, int | None], float] = {}
    for r in results:
        if r.cell_id == cell_id and r.arm == arm:
            if metric not in r.metrics:
                raise stats.StatsError(
                    f"trial {arm!r} seed {r.seed} has no metric {metric!r} "
                    f"(has: {', '.join(sorted(r.metrics))})"
                )
            out[(r.seed, r.model_seed)] = float(r.metrics[metric])
    return out


def model_seeds(h: Hypothesis) -> tuple[int | None, ...]:
    """The file's model seeds, or (None,) when the evaluation seeds are the only level."""
    declared = h.seeds.model
    return tuple(declared) if declared else (None,)


def cell_evidence(
    h: Hypothesis, results: Sequence[TrialResult]
) -> tuple[dict[str, stats.Evidence], list[Incomplete]]:
    """The evidence of every cell whose pre-registered trials all finished in every arm."""
    effect, decision = h.effect, h.decision
    units = [(s, m) for m in model_seeds(h) for s in sorted(h.seeds.initial)]
    arms = [effect.treatment] + ([effect.control] if effect.control is not None else [])
    out: dict[str, stats.Evidence] = {}
    incomplete: list[Incomplete] = []
    for cell in h.cells():
        try:
            values = {arm: _arm_values(results, cell.cell_id, arm, effect.metric) for arm in arms}
        except stats.StatsError as exc:
            incomplete.append(Incomplete(cell.cell_id, str(exc)))
            continue
        missing = {arm: sorted(set(units) - set(v), key=str) for arm, v in values.items()}
        missing = {arm: m for arm, m in missing.items() if m}
        if missing:
            text = "; ".join(
                f"{arm} seeds {[s if mdl is None else (mdl, s) for s, mdl in m]}"
                for arm, m in sorted(missing.items())
            )
            incomplete.append(Incomplete(cell.cell_id, f"not all trials finished ({text})"))
            continue
        failure = gate_failure(
            h,
            cell.cell_id,
            ((r.arm, r.seed, r.metrics) for r in results if r.cell_id == cell.cell_id),
        )
        if failure is not None:
            incomplete.append(Incomplete(cell.cell_id, failure))
            continue
        t = [values[effect.treatment][u] for u in units]
        c = None if effect.control is None else [values[effect.control][u] for u in units]
        groups = None if h.seeds.model is None else [int(m) for _, m in units]  # type: ignore[arg-type]
        try:
            out[cell.cell_id] = stats.evidence(
                kind=effect.kind,
                treatment=t,
                control=c,
                direction=decision.direction,
                threshold=decision.threshold,
                equivalence=decision.equivalence,
                seed=f"{h.content_hash}/{cell.cell_id}",
                model_groups=groups,
            )
        except stats.StatsError as exc:
            incomplete.append(Incomplete(cell.cell_id, str(exc)))
    return out, incomplete


def _record(
    h: Hypothesis, cell_id: str, ev: stats.Evidence, family: FamilyPlan | None
) -> CellVerdict:
    alpha = stats.alpha_of(h.decision.confidence)
    raw = ev.at(alpha)
    effect, decision = h.effect, h.decision
    rule = stats.rule_text(
        kind=effect.kind,
        metric=effect.metric,
        treatment=effect.treatment,
        control=effect.control,
        direction=decision.direction,
        threshold=decision.threshold,
        confidence=decision.confidence,
        equivalence=decision.equivalence,
        n=ev.n,
        method=ev.method,
        family=None if family is None else family.label,
    )
    return CellVerdict(
        hypothesis_hash=h.content_hash,
        cell_id=cell_id,
        outcome=raw.outcome,
        effect_metric=effect.metric,
        effect_kind=effect.kind,
        estimate=ev.estimate,
        ci_low=_finite(raw.low),
        ci_high=_finite(raw.high),
        confidence=raw.confidence,
        ci_method=ev.method,
        n=ev.n,
        seeds=tuple(sorted(h.seeds.initial)),
        degenerate=ev.degenerate,
        rule=rule,
        p_value=ev.p_value,
        alpha=alpha,
        family=None if family is None else family.key,
    )


def _adjusted(
    v: CellVerdict, ev: stats.Evidence, level: float, p: float, label: str
) -> CellVerdict:
    at = ev.at(level)
    return dataclasses.replace(
        v,
        adjusted_outcome=at.outcome,
        adjusted_p=min(1.0, p),
        adjusted_alpha=level,
        adjusted_ci_low=_finite(at.low),
        adjusted_ci_high=_finite(at.high),
        correction=label,
    )


def judge(
    h: Hypothesis, results: Sequence[TrialResult], family: FamilyPlan | None = None
) -> tuple[list[CellVerdict], list[Incomplete]]:
    """Raw verdicts for every complete cell; adjusted too when every cell is complete and the
    family is this version alone (the default: `family` None means its own family), or the
    file is a sanity check (outside every family: adjusted = raw). A shared family's members
    are adjusted together by `adjust_family` once the last of them is judged."""
    if family is None and not is_sanity(h):
        family = own_family(h, DEFAULT_CORRECTION)
    evidence, incomplete = cell_evidence(h, results)
    verdicts = [_record(h, cell, ev, family) for cell, ev in evidence.items()]
    if incomplete:
        return verdicts, incomplete
    if family is None:
        verdicts = [
            _adjusted(v, evidence[v.cell_id], v.alpha, v.p_value, SANITY_CORRECTION)
            for v in verdicts
        ]
    elif family.members == (h.content_hash,):
        verdicts = adjust_family(family, {h.content_hash: (h, evidence)}, verdicts)
    return verdicts, incomplete


def adjust_family(
    family: FamilyPlan,
    members: Mapping[str, tuple[Hypothesis, Mapping[str, stats.Evidence]]],
    verdicts: Sequence[CellVerdict],
) -> list[CellVerdict]:
    """Every member verdict with its adjusted outcome, p, level and interval.

    `verdicts` must be the whole family (`family.size` of them): a family is adjusted once,
    complete, never piecemeal.
    """
    if len(verdicts) != family.size:
        raise stats.StatsError(
            f"family {family.key} has {family.size} tests, {len(verdicts)} verdicts given"
        )
    p = [v.p_value for v in verdicts]
    levels = stats.member_levels(p, family.alpha, family.method)
    adjusted_p = stats.adjust(p, family.method)
    out = []
    for v, level, ap in zip(verdicts, levels, adjusted_p, strict=True):
        ev = members[v.hypothesis_hash][1][v.cell_id]
        out.append(_adjusted(v, ev, level, ap, family.label))
    return out


def summary_line(outcomes: Sequence[str]) -> str:
    """ "confirmed in 6 of 8 cells; refuted in 2" (or the single outcome without a grid)."""
    if not outcomes:
        return "no verdict"
    if len(outcomes) == 1:
        return outcomes[0]
    counts = {o: outcomes.count(o) for o in ("confirmed", "refuted", "inconclusive")}
    parts = [f"{o} in {n} of {len(outcomes)} cells" for o, n in counts.items() if n]
    return "; ".join(parts)
