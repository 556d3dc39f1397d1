"""What a run of configuration searches achieved, read from its ledger: per search, the base
and best gate score, candidates, kept, refused, flagged, the confirmation's verdict, and the
candidate throughput (candidates per hour of wall time the search's candidate trials spanned,
and per hour of trial time on one core).

    .venv/bin/python bench/search_report.py --ledger sqlite:///.verisim/ledger.db

It only reads; run the searches first, e.g.
`verisim-engine run --budget 40m --workers 2 --hypotheses DIR` on a folder holding the
`AR-search-*` files.
"""

from __future__ import annotations

import argparse
import json

from engine.reporting.search_views import search_report
from ledger import Ledger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ledger", required=True)
    parser.add_argument("--format", choices=["table", "json"], default="table")
    args = parser.parse_args()
    rows = []
    with Ledger(args.ledger) as ledger:
        trials = {t.key: t for t in ledger.trials()}
        for version in ledger.hypotheses():
            if dict(version.content).get("experiment") != "config_search":
                continue
            report = search_report(ledger, version.content_hash)
            cands = report["candidates"]
            runs = [trials[c["trial_key"]] for c in cands if c["trial_key"] in trials]
            done = [t for t in runs if t.status == "finished" and t.started_at and t.finished_at]
            span = (
                (max(t.finished_at for t in done) - min(t.started_at for t in done)).total_seconds()
                if done
                else 0.0
            )
            body = sum(t.duration_s or 0.0 for t in done)
            base = next((c["score"] for c in cands if c["idx"] == 0), None)
            best = report["frontier"][-1]["score"] if report["frontier"] else None
            rows.append(
                {
                    "search": version.hypothesis_id,
                    "controller": dict(version.content)["search"]["controller"],
                    "base": base,
                    "best": best,
                    "best_edit": report["frontier"][-1]["edit"] if report["frontier"] else None,
                    "candidates": len([c for c in cands if c["status"] != "refused"]),
                    "kept": len(report["frontier"]),
                    "refused": len([c for c in cands if c["status"] == "refused"]),
                    "flagged": len([c for c in cands if c["flagged"]]),
                    "scored_trials": len(done),
                    "per_hour_wall": 3600 * len(done) / span if span else None,
                    "per_hour_core": 3600 * len(done) / body if body else None,
                    "confirmation": report["confirmations"],
                }
            )
    if args.format == "json":
        print(json.dumps(rows, indent=2, default=str))
        return
    for r in rows:
        print(
            f"{r['search']} [{r['controller']}]: base {r['base']} -> best {r['best']} "
            f"{r['best_edit']}; {r['candidates']} candidates, {r['kept']} kept, "
            f"{r['refused']} refused, {r['flagged']} flagged; "
            f"{r['scored_trials']} gate trials, "
            f"{_rate(r['per_hour_wall'])}/h wall, {_rate(r['per_hour_core'])}/h per core; "
            f"confirmation {r['confirmation'] or 'not yet'}"
        )


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


if __name__ == "__main__":
    main()
