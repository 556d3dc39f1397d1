"""`verisim-engine run` behind the CLI: start the flow, show live progress, return the summary.

The progress bar reads the ledger (a second, read-only connection polled once a second), not
Prefect's state: the ledger is the record, so what the bar counts is exactly what a later
`ledger trials` will show. The budget's clock starts here, before Prefect's start-up, so the
whole command honours the budget.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.runners import RunnerSpec
from engine.summary import RunSummary

POLL_SECONDS = 1.0


def _counts(ledger: Any, since: float) -> tuple[int | None, dict[str, int], int]:
    """(run id, trial counts by status, verdicts written) for the run started after `since`."""
    runs = [r for r in ledger.runs() if r.started_at.timestamp() >= since - 1.0]
    if not runs:
        return None, {}, 0
    run_id = runs[-1].id
    counts: dict[str, int] = {}
    for t in ledger.trials(run_id=run_id):
        counts[t.status] = counts.get(t.status, 0) + 1
    verdicts = len(ledger.verdicts(run_id=run_id))
    return run_id, counts, verdicts


@contextmanager
def live_progress(ledger_url: str, started: float, budget_seconds: float) -> Iterator[None]:
    """A rich progress bar on stderr (time used of the budget, trials and verdicts so far)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ledger import Ledger, LedgerError

    stop = threading.Event()
    progress = Progress(
        TextColumn("[bold]budget"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("run", total=budget_seconds, status="starting Prefect...")

    def poll() -> None:
        ledger: Any = None
        while not stop.is_set():
            try:
                if ledger is None:
                    ledger = Ledger(ledger_url, check_schema=False)
                run_id, counts, verdicts = _counts(ledger, started)
                status = (
                    "starting Prefect..."
                    if run_id is None
                    else f"run {run_id}: {counts.get('finished', 0)} trials done, "
                    f"{counts.get('running', 0)} running, {counts.get('cut', 0)} cut, "
                    f"{counts.get('failed', 0)} failed; {verdicts} verdicts"
                )
            except LedgerError:
                status = "waiting for the ledger..."
            progress.update(
                task, completed=min(budget_seconds, time.time() - started), status=status
            )
            stop.wait(POLL_SECONDS)
        if ledger is not None:
            ledger.close()

    thread = threading.Thread(target=poll, name="verisim-progress", daemon=True)
    with progress:
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)


def execute_run(
    *,
    ledger_url: str,
    budget_seconds: float,
    hypotheses_dir: Path,
    runner: RunnerSpec,
    recompute: bool,
    correction: str,
    show_progress: bool,
    figures_dir: Path | None = None,
) -> RunSummary:
    """Run the flow (Prefect environment already applied) and return its summary."""
    started = time.time()
    from engine.ui import running_ui_api

    api = running_ui_api()
    if api is not None and not os.environ.get("PREFECT_API_URL"):
        os.environ["PREFECT_API_URL"] = api  # a `verisim-engine ui` is up: report to it live

    from engine.flow import research_run
    from engine.runners import make_task_runner

    task_runner: Any = make_task_runner(runner)
    flow_fn = research_run.with_options(task_runner=task_runner)
    kwargs: dict[str, Any] = {
        "ledger_url": ledger_url,
        "hypotheses_dir": str(hypotheses_dir),
        "budget_seconds": budget_seconds,
        "deadline": started + budget_seconds,
        "workers": runner.workers,
        "recompute": recompute,
        "correction": correction,
        "runner_label": runner.describe(),
        "figures_dir": None if figures_dir is None else str(figures_dir),
    }
    if show_progress:
        with live_progress(ledger_url, started, budget_seconds):
            result = flow_fn(**kwargs)
    else:
        result = flow_fn(**kwargs)
    return RunSummary.from_dict(dict(result))
