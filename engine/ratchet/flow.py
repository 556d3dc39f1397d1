"""The Prefect flow `research_run`: the engine's autonomous loop, until the budget is spent.

    pre-register every loaded version  ->  keep every worker busy with the highest-priority
      batch that fits the budget, across versions (`engine.ratchet.dispatch`)  ->  record each
      trial as it lands  ->  the moment a version's last trial lands: bootstrap, decide, write
      the verdict (adjusted within its pre-registered family), pull the levers of the adjusted
      outcome (derive + pre-register; the child joins the queue)  ->  until the queue is empty
      or nothing fits  ->  publish artifacts, close the run

The ledger is the record and Prefect state is disposable: each trial task is idempotent on
its trial keys and upserts its own ledger rows, so re-running the flow on the same ledger
resumes (finished trials are reused, verdicts are not recomputed unless asked). Prefect's
result caching is therefore off (`NO_CACHE`): a cache keyed on task inputs alone would not see
an oracle change, and the trial key already includes the content hash, seed and code version.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from engine.execution.batch import holder_is_dead, ledger_for, run_batch
from engine.execution.identity import engine_version
from engine.execution.source_hash import source_hash
from engine.execution.trials import TrialRequest
from engine.experiments.catalog import build_catalog
from engine.judging.trends import trend_line
from engine.judging.verdicts import DEFAULT_CORRECTION
from engine.ratchet.dispatch import Dispatch, Landed, drive
from engine.ratchet.registration import Ratchet, source_files
from engine.reporting import search_views
from engine.reporting.artifacts import (
    publish_search,
    publish_summary,
    publish_verdicts,
    search_markdown,
    verdict_table,
)
from engine.reporting.figures import draw
from engine.reporting.summary import RunSummary
from engine.reporting.views import family_rows, figures_from_ledger
from engine.settings import data_paths

FINISH_RESERVE_MAX_SECONDS = 60.0


def finish_reserve(budget_seconds: float) -> float:
    """Time kept back from trials for verdicts, figures and artifacts at the end."""
    return min(FINISH_RESERVE_MAX_SECONDS, max(2.0, 0.03 * budget_seconds))


@task(name="trial-batch", cache_policy=NO_CACHE, task_run_name="{label}")
def trial_batch(
    ledger_url: str,
    run_id: int,
    requests: list[TrialRequest],
    deadline: float,
    estimates: list[float | None],
    label: str,
) -> dict[str, Any]:
    """Run one batch (one hypothesis version, cell and arm; a run of its seeds)."""
    return run_batch(ledger_url, run_id, requests, deadline, estimates).to_dict()


def _close_dead_runs(ledger: Any) -> list[int]:
    """Mark runs of this host whose process is gone as interrupted (a killed earlier run)."""
    closed = []
    host = socket.gethostname()
    for r in ledger.runs():
        if r.status != "running" or r.host != host or not (r.note or "").startswith("pid "):
            continue
        if holder_is_dead(f"{host}:{(r.note or '')[4:]}"):
            ledger.finish_run(r.id, "interrupted", {"note": "its process died"})
            closed.append(r.id)
    return closed


def _label(requests: list[TrialRequest]) -> str:
    first = requests[0]
    cell = f"[{first.cell_id}]" if first.cell_id else ""
    seeds = ",".join(str(r.seed) for r in requests)
    return f"{first.hypothesis_id}{cell} {first.arm} seeds {seeds}"


@flow(name="research_run", log_prints=False)
def research_run(
    ledger_url: str,
    hypotheses_dir: str,
    budget_seconds: float,
    deadline: float | None = None,
    workers: int = 1,
    recompute: bool = False,
    correction: str = DEFAULT_CORRECTION,
    runner_label: str = "process-pool",
    figures_dir: str | None = None,
) -> dict[str, Any]:
    """Run the ratchet until the queue is empty or the budget is spent; return the summary.

    `deadline` (time.time() seconds) is when the budget ends; by default the budget starts
    now. The CLI passes it so Prefect's own start-up counts against the budget too.
    """
    from hypotheses import load_directory

    logger = get_run_logger()
    end = deadline if deadline is not None else time.time() + budget_seconds
    started = end - budget_seconds
    trial_deadline = end - finish_reserve(budget_seconds)
    catalog = build_catalog()
    directory = Path(hypotheses_dir)
    loaded = load_directory(directory, catalog)
    ledger = ledger_for(ledger_url)
    for closed in _close_dead_runs(ledger):
        logger.info("run %s had been killed; marked interrupted", closed)
    run = ledger.start_run(
        code_version=f"verisim-engine/{engine_version()}+src/{source_hash()[:16]}",
        host=socket.gethostname(),
        budget_seconds=float(budget_seconds),
        workers=workers,
        runner=runner_label,
        hypotheses_dir=str(directory),
        note=f"pid {os.getpid()}",
    )
    summary = RunSummary(
        run_id=run.id,
        status="running",
        budget_seconds=float(budget_seconds),
        elapsed_seconds=0.0,
        correction=correction,
        trials={"finished": 0, "failed": 0, "crashed": 0, "cut": 0, "reused": 0},
    )
    try:
        ratchet = Ratchet(
            ledger, catalog, run.id, recompute=recompute, correction=correction, log=logger.info
        )
        ratchet.preregister(loaded, source_files(directory, catalog))
        logger.info(
            "pre-registered %d version(s); %d queued", len(ratchet.versions), len(ratchet.queue)
        )
        _loop(ratchet, ledger_url, run.id, trial_deadline, workers, summary, logger)
        summary.passed_over.update(ratchet.skipped)
        for c in ratchet.done:
            summary.concluded.append({"hypothesis": c.hypothesis.id, "line": c.line})
            summary.children += [
                {"parent": c.hypothesis.id, "child": ch.id, "when": ch.lever_path[-1]}
                for ch in c.children
            ]
            summary.notes += [f"{c.hypothesis.id}: {n}" for n in c.lever_notes]
            summary.notes += [f"{c.hypothesis.id}: {trend_line(t)}" for t in c.trends]
            summary.notes += [
                f"{c.hypothesis.id} [{g.cell_id or 'all'}]: no verdict: {g.reason}"
                for g in c.incomplete
            ]
        summary.verdicts = family_rows(ledger)
        for c in ratchet.done:
            rows = [v for v in summary.verdicts if v["hash"] == c.hypothesis.content_hash]
            if rows:
                publish_verdicts(c.hypothesis.id, verdict_table(rows), c.line)
        out_dir = Path(figures_dir) if figures_dir else data_paths().figures
        paths = [draw(fig, out_dir) for fig in figures_from_ledger(ledger)]
        paths += _publish_searches(ledger, ratchet, out_dir)
        summary.figures = [str(p) for p in paths]
        summary.status = "finished" if not ratchet.queue else "budget_exhausted"
        summary.elapsed_seconds = time.time() - started
        publish_summary(summary, paths)
        ledger.finish_run(run.id, summary.status, summary.to_dict())
    except BaseException as exc:
        summary.status = "failed"
        summary.elapsed_seconds = time.time() - started
        summary.notes.append(f"{type(exc).__name__}: {exc}")
        ledger.finish_run(run.id, "failed", summary.to_dict())
        raise
    return summary.to_dict()


class PrefectBatches:
    """`dispatch.BatchRunner` over the flow's task runner: one `trial-batch` task per batch."""

    def __init__(self, ledger_url: str, run_id: int) -> None:
        self.ledger_url = ledger_url
        self.run_id = run_id
        self._futures: dict[Any, Dispatch] = {}

    def submit(self, dispatch: Dispatch, deadline: float) -> None:
        future = trial_batch.submit(
            self.ledger_url,
            self.run_id,
            list(dispatch.requests),
            deadline,
            list(dispatch.estimates),
            _label(list(dispatch.requests)),
        )
        self._futures[future] = dispatch

    def wait(self) -> list[Landed]:
        future = next(as_completed(list(self._futures)))
        dispatch = self._futures.pop(future)
        return [Landed.from_report(dispatch, future.result())]


def _publish_searches(ledger: Any, ratchet: Ratchet, out_dir: Path) -> list[Path]:
    """The frontier plot and table of every search concluded this run (figure + artifact)."""
    paths = []
    for c in ratchet.done:
        if c.hypothesis.search is None:
            continue
        digest = c.hypothesis.content_hash
        figure = search_views.frontier_plot(ledger, digest, out_dir)
        report = search_views.search_report(ledger, digest)
        publish_search(
            c.hypothesis.id, search_markdown(c.hypothesis.id, c.line, report["frontier"], figure)
        )
        if figure is not None:
            paths.append(figure)
    return paths


def _loop(
    ratchet: Ratchet,
    ledger_url: str,
    run_id: int,
    trial_deadline: float,
    workers: int,
    summary: RunSummary,
    logger: Any,
) -> None:
    """Keep the workers busy across versions until the queue is empty or nothing fits."""
    carried: set[str] = set()

    def count_carried(digest: str) -> None:
        # Trials an earlier run finished, counted once per version the first time this run
        # touches it (a resumed run's summary says what it reused).
        if digest not in carried:
            carried.add(digest)
            summary.trials["reused"] += ratchet.carried_over(digest)

    def dispatched(d: Dispatch) -> None:
        count_carried(d.digest)
        logger.info("%s %s: %s", d.mode, d.hypothesis_id, _label(list(d.requests)))

    def landed(done: Landed) -> None:
        summary.trials["finished"] += done.finished
        summary.trials["failed"] += done.failed
        summary.trials["crashed"] += done.crashed
        summary.trials["cut"] += done.cut
        summary.trials["reused"] += done.reused

    def concluded(digest: str, conclusion: Any) -> None:
        count_carried(digest)
        h = conclusion.hypothesis
        logger.info("%s: %s", h.id, conclusion.line)
        for child in conclusion.children:
            logger.info("lever %s -> %s (pre-registered)", h.id, child.id)

    result = drive(
        ratchet,
        PrefectBatches(ledger_url, run_id),
        workers=workers,
        trial_deadline=trial_deadline,
        clock=time.time,
        on_dispatch=dispatched,
        on_landed=landed,
        on_concluded=concluded,
    )
    if ratchet.queue:
        logger.info("stopping with %d version(s) queued: %s", len(ratchet.queue), result.stopped)
