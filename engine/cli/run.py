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
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from engine.execution.runners import RunnerSpec
from engine.reporting.summary import RunSummary
from engine.settings import EPHEMERAL_STARTUP_SECONDS

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
                    f"{counts.get('failed', 0)} failed, {counts.get('crashed', 0)} crashed; "
                    f"{verdicts} verdicts"
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


@contextmanager
def prefect_api() -> Iterator[None]:
    """Make sure every process of the run talks to one Prefect API.

    With `PREFECT_API_URL` set (a `verisim-engine ui`, a user's server, the test harness) that
    one is used. Otherwise Prefect would start a temporary server in *each* process that needs
    one, and every process-pool worker would pay ~10-20 s for its own; so one temporary server
    is started here, over the data directory's database, and exported to the workers.
    """
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    from engine.cli.ui import running_ui_api

    api = running_ui_api()
    if api is not None:  # a `verisim-engine ui` is up: report to it, the flows show live
        os.environ["PREFECT_API_URL"] = api
        try:
            yield
        finally:
            os.environ.pop("PREFECT_API_URL", None)
        return
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = SubprocessASGIServer()
    server.start(timeout=int(EPHEMERAL_STARTUP_SECONDS))
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield
    finally:
        _drain_prefect_workers()
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()


def _drain_prefect_workers() -> None:
    """Send buffered logs and events before the server goes (else exit waits on retries)."""
    import inspect

    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def drain() -> None:
        try:
            result: Any = APILogWorker.instance().drain()
            if inspect.isawaitable(result):
                await result
        except RuntimeError:  # never started: nothing to drain
            pass
        result = EventsWorker.drain_all()
        if inspect.isawaitable(result):
            await result

    run_coro_as_sync(drain())


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
    from engine.execution.runners import make_task_runner
    from engine.ratchet.flow import research_run

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
    with ExitStack() as stack:
        if show_progress:
            stack.enter_context(live_progress(ledger_url, started, budget_seconds))
        stack.enter_context(prefect_api())
        result = flow_fn(**kwargs)
    return RunSummary.from_dict(dict(result))
