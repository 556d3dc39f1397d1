"""Publishing the science to the Prefect UI: verdict tables, the run summary, the figures.

Prefect shows task states by default; these artifacts make the UI show what was concluded.
The content is built by pure functions (tested without Prefect); `publish_*` only hands it to
Prefect, and must be called inside a flow run. Figures are embedded as PNG data URIs in
markdown, so they display without a file server.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.reporting.figures import png_data_uri
from engine.reporting.summary import VERDICT_FIELDS, RunSummary, interval_text


def artifact_key(text: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-") or "artifact"


def _fmt(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return value


def verdict_table(verdicts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the verdict table artifact (columns in a fixed, readable order)."""
    return [{k: _fmt(v.get(k)) for k in VERDICT_FIELDS} for v in verdicts]


def summary_markdown(summary: RunSummary, figures: Sequence[Path] = ()) -> str:
    """The run summary as markdown: outcomes beside their corrected versions, then figures."""
    lines = [
        f"# Verisim run {summary.run_id}: {summary.status}",
        "",
        f"Budget {summary.budget_seconds:.0f}s, used {summary.elapsed_seconds:.0f}s. "
        f"Trials this run: {summary.trials.get('finished', 0)} finished, "
        f"{summary.trials.get('failed', 0)} failed, "
        f"{summary.trials.get('crashed', 0)} crashed, {summary.trials.get('cut', 0)} cut by the "
        f"budget, {summary.trials.get('reused', 0)} reused from the ledger.",
        "",
    ]
    if summary.concluded:
        lines += ["## Concluded this run", ""]
        lines += [f"- **{c['hypothesis']}**: {c['line']}" for c in summary.concluded]
        lines.append("")
    if summary.children:
        lines += ["## Levers pulled", ""]
        lines += [f"- {c['parent']} → **{c['child']}** (on {c['when']})" for c in summary.children]
        lines.append("")
    if summary.verdicts:
        lines += [
            "## Verdicts (decided within each pre-registered family)",
            "",
            "| hypothesis | cell | outcome | effect | CI (at its alpha) | alpha | family "
            "| raw | raw p | n |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for v in summary.verdicts:
            ci = (
                "-"
                if v["adjusted"] is None
                else interval_text(v["adjusted_ci_low"], v["adjusted_ci_high"])
            )
            alpha = "-" if v["adjusted_alpha"] is None else format(v["adjusted_alpha"], ".3g")
            lines.append(
                f"| {v['hypothesis']} | {v['cell'] or '-'} | "
                f"{v['adjusted'] or 'awaiting family'} | {v['estimate']:.4g} | {ci} | {alpha} | "
                f"{v['correction'] or '-'} | {v['outcome']} | {v['p']:.3g} | {v['n']} |"
            )
        lines.append("")
    if summary.passed_over:
        lines += ["## Carried to the next run", ""]
        lines += [f"- {hid}: {why}" for hid, why in sorted(summary.passed_over.items())]
        lines.append("")
    if summary.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in summary.notes] + [""]
    for path in figures:
        lines += [f"## {path.stem}", "", f"![{path.stem}]({png_data_uri(path)})", ""]
    return "\n".join(lines)


def publish_verdicts(hypothesis_id: str, rows: list[dict[str, Any]], line: str) -> None:
    """One table artifact per concluded hypothesis version (keyed, so the UI versions it)."""
    from prefect.artifacts import create_table_artifact

    create_table_artifact(
        table=rows,
        key=artifact_key(f"verdict-{hypothesis_id}"),
        description=f"{hypothesis_id}: {line}",
    )


def publish_summary(summary: RunSummary, figures: Sequence[Path]) -> None:
    """The family table and the markdown summary (with the figures) of a run."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    if summary.verdicts:
        create_table_artifact(
            table=verdict_table(summary.verdicts),
            key="verdict-family",
            description=("All current verdicts: the family-adjusted outcome first, raw beside it"),
        )
    create_markdown_artifact(
        markdown=summary_markdown(summary, figures),
        key="run-summary",
        description=f"Verisim run {summary.run_id}",
    )


def search_markdown(hypothesis_id: str, line: str, frontier: Sequence[dict[str, Any]],
                    figure: Path | None) -> str:  # fmt: skip
    """A finished search: its line, the kept candidates, and the frontier plot."""
    lines = [f"# Search {hypothesis_id}", "", line, "", "| seed | idx | edit | score |",
             "|---|---|---|---|"]  # fmt: skip
    for r in frontier:
        lines.append(f"| {r['seed']} | {r['idx']} | `{r['edit']}` | {_fmt(r['score'])} |")
    if figure is not None:
        lines += ["", f"![frontier]({png_data_uri(figure)})"]
    return "\n".join(lines) + "\n"


def publish_search(hypothesis_id: str, markdown: str) -> None:
    """One markdown artifact per finished search (keyed, so the UI versions it)."""
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(
        markdown=markdown,
        key=artifact_key(f"search-{hypothesis_id}"),
        description=f"configuration search {hypothesis_id}",
    )
