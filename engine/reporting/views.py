"""Read-only views of the ledger as rows: what the CLI prints and the artifacts show.

Each view is a list of flat dicts with stable column names, so one renderer serves table,
JSON and CSV, and the run summary reuses the verdict view. Hypothesis ids are joined in
beside hashes: people read ids, the ledger keys on hashes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.reporting.figures import Figure, TrialValue, horizon_figures

RUN_COLUMNS = ["id", "status", "started_at", "finished_at", "budget", "workers", "runner", "trials"]
HYPOTHESIS_COLUMNS = ["id", "hash", "parent", "lever", "depth", "registered_at", "status"]
TRIAL_COLUMNS = [
    "key",
    "hypothesis",
    "cell",
    "arm",
    "seed",
    "status",
    "code",
    "duration_s",
    "device",
    "metrics",
]
VERDICT_COLUMNS = [
    "hypothesis",
    "cell",
    "adjusted",
    "estimate",
    "adjusted_ci_low",
    "adjusted_ci_high",
    "adjusted_alpha",
    "adjusted_p",
    "outcome",
    "p",
    "n",
    "method",
    "reason",
]
"""The table leads with what decides (the family-adjusted outcome and the interval at the
level it used); the raw outcome and p stand beside it."""
LINEAGE_COLUMNS = ["depth", "id", "hash", "parent", "lever", "when", "outcomes"]


def _ids(ledger: Any) -> dict[str, str]:
    return {v.content_hash: v.hypothesis_id for v in ledger.hypotheses()}


def runs(ledger: Any) -> list[dict[str, Any]]:
    counts: dict[int, dict[str, int]] = {}
    for t in ledger.trials():
        if t.run_id is not None:
            per = counts.setdefault(t.run_id, {})
            per[t.status] = per.get(t.status, 0) + 1
    rows = []
    for r in ledger.runs():
        per = counts.get(r.id, {})
        rows.append(
            {
                **r.to_dict(),
                "budget": r.budget_seconds,
                "trials": ", ".join(f"{n} {s}" for s, n in sorted(per.items())) or "-",
            }
        )
    return rows


def hypotheses(ledger: Any) -> list[dict[str, Any]]:
    ids = _ids(ledger)
    judged: dict[str, list[str]] = {}
    for v in ledger.verdicts():
        judged.setdefault(v.hypothesis_hash, []).append(v.adjusted_outcome or "awaiting-family")
    rows = []
    for h in ledger.hypotheses():
        outcomes = judged.get(h.content_hash, [])
        rows.append(
            {
                "id": h.hypothesis_id,
                "hash": h.content_hash,
                "parent": ids.get(h.parent_hash or "", None),
                "lever": h.lever_id,
                "depth": h.depth,
                "registered_at": h.registered_at.isoformat(),
                "title": h.title,
                "source_file": h.source_file,
                "status": ",".join(sorted(set(outcomes))) if outcomes else "registered",
            }
        )
    return rows


def trials(
    ledger: Any, hypothesis: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    ids = _ids(ledger)
    rows = []
    for t in ledger.trials(hypothesis=hypothesis, status=status):
        d = t.to_dict()
        d["hypothesis"] = ids.get(t.hypothesis_hash, t.hypothesis_hash[:12])
        d["cell"] = t.cell_id
        d["code"] = (t.code_hash or "-")[:12]  # the full hash is `code_hash` (json, csv)
        rows.append(d)
    return rows


def verdict_row(v: Any, ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": v.id,
        "hypothesis": ids.get(v.hypothesis_hash, v.hypothesis_hash[:12]),
        "hash": v.hypothesis_hash,
        "cell": v.cell_id,
        "adjusted": v.adjusted_outcome,
        "estimate": v.estimate,
        "adjusted_ci_low": v.adjusted_ci_low,
        "adjusted_ci_high": v.adjusted_ci_high,
        "adjusted_alpha": v.adjusted_alpha,
        "adjusted_p": v.adjusted_p,
        "family": v.family,
        "correction": v.correction,
        "outcome": v.outcome,
        "ci_low": v.ci_low,
        "ci_high": v.ci_high,
        "alpha": v.alpha,
        "confidence": v.confidence,
        "n": v.n,
        "seeds": list(v.seeds),
        "method": v.ci_method,
        "degenerate": v.degenerate,
        "p": v.p_value,
        "metric": v.effect_metric,
        "kind": v.effect_kind,
        "rule": v.rule,
        "run_id": v.run_id,
        "superseded": v.superseded,
        "created_at": v.created_at.isoformat(),
    }


def verdicts(ledger: Any, include_superseded: bool = False) -> list[dict[str, Any]]:
    ids = _ids(ledger)
    return [verdict_row(v, ids) for v in ledger.verdicts(current_only=not include_superseded)]


def _gap_reason(h: Any, cell_id: str, trials: list[Any]) -> str | None:
    """Why a cell whose trials are all settled has no verdict (None: it may still get one)."""
    from engine.judging.gate import gate_failure

    dead = [t for t in trials if t.settled and t.status != "finished"]
    if dead:
        parts = [
            f"{t.arm} seed {t.seed} {t.status}: {t.error or 'no error recorded'}" for t in dead
        ]
        return f"{len(dead)} trial(s) will not finish ({'; '.join(parts)})"
    if h is None:
        return None
    finished = [(t.arm, t.seed, dict(t.metrics or {})) for t in trials if t.status == "finished"]
    return gate_failure(h, cell_id, finished)


def _finish_time(t: Any) -> float:
    return t.finished_at.timestamp() if t.finished_at is not None else float("-inf")


def no_verdicts(ledger: Any) -> list[dict[str, Any]]:
    """Cells that have no current verdict and will not get one from their trials, with why:
    a trial failed (or crashed past the bound), or the model failed the file's competence gate.

    Read from the trials of the newest code hash in each cell (a cell re-run after a code
    change is judged on the new code's trials, so that is where its reason lies).
    """
    from hypotheses import HypothesisError, parse_hypothesis

    ids = _ids(ledger)
    rows: list[dict[str, Any]] = []
    for version in ledger.hypotheses():
        trials = ledger.trials(hypothesis=version.content_hash)
        if not trials:
            continue
        judged = {v.cell_id for v in ledger.verdicts(hypothesis=version.content_hash)}
        try:
            h = parse_hypothesis(dict(version.content), file="<ledger>")
        except HypothesisError:
            h = None
        by_cell: dict[str, list[Any]] = {}
        for t in trials:
            by_cell.setdefault(t.cell_id, []).append(t)
        for cell_id in sorted(set(by_cell) - judged):
            cell = by_cell[cell_id]
            code = max(cell, key=_finish_time).code_hash
            reason = _gap_reason(h, cell_id, [t for t in cell if t.code_hash == code])
            if reason is None:
                continue
            rows.append(
                {
                    "hypothesis": ids.get(version.content_hash, version.content_hash[:12]),
                    "hash": version.content_hash,
                    "cell": cell_id,
                    "outcome": "no verdict",
                    "reason": reason,
                    "code": (code or "-")[:12],
                }
            )
    return rows


def family_rows(ledger: Any) -> list[dict[str, Any]]:
    """The current verdicts (the family the run summary reports)."""
    return verdicts(ledger)


def lineage(ledger: Any, ref: str) -> list[dict[str, Any]]:
    from ledger import NotFoundError

    chain = ledger.lineage(ref)
    if not chain:
        raise NotFoundError(f"no hypothesis {ref!r} in the ledger")
    ids = {v.content_hash: v.hypothesis_id for v in chain}
    ids.update(_ids(ledger))
    fired = {(lv.parent_hash, lv.child_hash): lv.when for lv in ledger.levers()}
    rows = []
    for h in chain:
        outcomes = sorted(
            {
                v.adjusted_outcome or "awaiting-family"
                for v in ledger.verdicts(hypothesis=h.content_hash)
            }
        )
        rows.append(
            {
                "depth": h.depth,
                "id": h.hypothesis_id,
                "hash": h.content_hash,
                "parent": ids.get(h.parent_hash or ""),
                "lever": h.lever_id,
                "when": fired.get((h.parent_hash, h.content_hash)),
                "outcomes": ",".join(outcomes) or "-",
            }
        )
        rows += _search_chain(ledger, h)
    return rows


def _search_chain(ledger: Any, version: Any) -> list[dict[str, Any]]:
    """For a configuration search, its candidates' chain base -> ... -> best, per seed."""
    if dict(version.content).get("experiment") != "config_search":
        return []
    from engine.reporting.search_views import lineage_rows

    return [
        {
            "depth": version.depth,
            "id": f"{version.hypothesis_id}#seed{r['seed']}.{r['idx']}",
            "hash": "",
            "parent": version.hypothesis_id if r["step"] == 0 else "^",
            "lever": r["move"],
            "when": "kept" if r["kept"] else "parent",
            "outcomes": "-" if r["score"] is None else f"score {r['score']:.4g}",
        }
        for r in lineage_rows(ledger.candidates(version.content_hash))
    ]


def show(ledger: Any, ref: str) -> dict[str, Any]:
    """Any row by reference, with its related rows (a version's verdicts and trial counts)."""
    from ledger import HypothesisVersion, RunRecord

    record = ledger.get(ref)
    detail: dict[str, Any] = {"kind": type(record).__name__, **record.to_dict()}
    if isinstance(record, HypothesisVersion):
        ids = _ids(ledger)
        detail["verdicts"] = [
            verdict_row(v, ids) for v in ledger.verdicts(hypothesis=record.content_hash)
        ]
        counts: dict[str, int] = {}
        for t in ledger.trials(hypothesis=record.content_hash):
            counts[t.status] = counts.get(t.status, 0) + 1
        detail["trial_counts"] = counts
    elif isinstance(record, RunRecord):
        counts = {}
        for t in ledger.trials(run_id=record.id):
            counts[t.status] = counts.get(t.status, 0) + 1
        detail["trial_counts"] = counts
    return detail


def show_text(detail: Mapping[str, Any]) -> str:
    """`key: value` lines; nested values as compact JSON."""
    import json

    lines = []
    for key, value in detail.items():
        if isinstance(value, Mapping | list):
            text = json.dumps(value, sort_keys=True, default=str)
            if len(text) > 160 and isinstance(value, list):
                lines.append(f"{key}:")
                lines += [f"  - {json.dumps(item, sort_keys=True, default=str)}" for item in value]
                continue
            lines.append(f"{key}: {text}")
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


def export(ledger: Any) -> dict[str, Any]:
    return dict(ledger.export())


def figures_from_ledger(ledger: Any) -> list[Figure]:
    """H_eps(rho)-style figures for every version whose finished trials vary rho."""
    versions = {v.content_hash: v for v in ledger.hypotheses()}
    values: list[TrialValue] = []
    metrics: dict[str, str] = {}
    for t in ledger.trials(status="finished"):
        version = versions.get(t.hypothesis_hash)
        if version is None or t.metrics is None:
            continue
        content = dict(version.content)
        metric = str(dict(content.get("effect", {})).get("metric", ""))
        if not metric:
            continue
        spec = dict(t.spec)
        arm = dict(spec.get("arm", {}))
        params = {**dict(spec.get("params", {})), **dict(arm.get("overrides", {}))}
        metrics[version.hypothesis_id] = metric
        values.append(TrialValue(version.hypothesis_id, t.arm, params, dict(t.metrics)))
    return horizon_figures(values, metrics)
