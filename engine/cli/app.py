"""`verisim-engine`: run the research engine, inspect its ledger, replay trials, open the UI.

The CLI is thin: each command parses and validates its input, then calls one engine function.
Every piece of bad input (a malformed hypothesis file, a bad ledger URL, a bad budget) is
reported as one line on stderr with a non-zero exit and no traceback, and it is caught before
the ledger is opened, so a mistake never leaves half a run behind. Prefect is imported only by
the commands that need it, after its environment has been pointed into the data directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from engine.cli.output import Format, render
from engine.cli.usage import EXIT_BAD_INPUT, EXIT_FAILED, OneLineUsageErrors
from engine.ratchet.budget import BudgetError, format_seconds, parse_budget
from engine.settings import (
    SettingsError,
    check_ledger_url,
    data_paths,
    resolve_ledger_url,
)

app = typer.Typer(
    name="verisim-engine",
    cls=OneLineUsageErrors,
    help="An autonomous research engine for oracle-grounded world models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
hypotheses_app = typer.Typer(
    help="The pre-registered hypotheses.", no_args_is_help=True, pretty_exceptions_enable=False
)
ledger_app = typer.Typer(
    help="What the engine has run and concluded.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(hypotheses_app, name="hypotheses")
app.add_typer(ledger_app, name="ledger")


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print the error on stderr (one line per problem) and return the exit to raise."""
    typer.echo(f"verisim-engine: error: {message}", err=True)
    return typer.Exit(code)


def _known_errors() -> tuple[type[BaseException], ...]:
    from engine.cli.ui import UIError
    from engine.execution.trials import TrialError
    from engine.judging.stats import StatsError
    from hypotheses import HypothesisError
    from ledger import LedgerError

    return (
        BudgetError,
        SettingsError,
        HypothesisError,
        LedgerError,
        TrialError,
        StatsError,
        UIError,
    )


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the engine's typed input errors into one stderr line and exit code 2."""
    try:
        yield
    except _known_errors() as exc:
        raise fail(str(exc)) from None


# --- shared options ------------------------------------------------------------------------

LedgerOpt = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        help="SQLAlchemy URL of the ledger (env VERISIM_LEDGER_URL; default: "
        "a SQLite file in VERISIM_HOME, ./.verisim/ by default).",
        show_default=False,
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
HypothesesOpt = Annotated[
    Path | None,
    typer.Option(
        "--hypotheses",
        help="Directory of hypothesis TOML files (default: the shipped registry).",
        show_default=False,
    ),
]


def _ledger_url(option: str | None, *, must_exist: bool) -> str:
    url = resolve_ledger_url(option)
    if option is None and not os.environ.get("VERISIM_LEDGER_URL") and not must_exist:
        data_paths().home.mkdir(parents=True, exist_ok=True)
    check_ledger_url(url, must_exist=must_exist)
    return url


def _open_ledger(option: str | None, *, must_exist: bool = True) -> Any:
    from ledger import Ledger

    return Ledger(_ledger_url(option, must_exist=must_exist))


def _hypotheses_dir(option: Path | None) -> Path:
    from hypotheses import default_registry_dir

    directory = option if option is not None else Path(default_registry_dir())
    if not directory.is_dir():
        raise SettingsError(f"hypotheses directory {directory} does not exist")
    return directory


def _check_output_file(out: Path) -> None:
    """Refuse an output path that cannot be written, before any work is done."""
    if out.is_dir():
        raise SettingsError(f"--out {out} is a directory; give a file name")
    if not out.parent.is_dir():
        raise SettingsError(f"--out {out}: directory {out.parent} does not exist")


def _check_output_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SettingsError(f"--out {out} exists and is not a directory")


def _print(rows: list[dict[str, Any]], fmt: Format, columns: list[str] | None = None) -> None:
    # A terminal gets tables that fit it; a pipe or file gets whole cells (nothing to wrap for).
    width = shutil.get_terminal_size((200, 24)).columns if sys.stdout.isatty() else 200
    typer.echo(render(rows, fmt, columns=columns if fmt is Format.table else None, width=width))


# --- run -----------------------------------------------------------------------------------


@app.command()
def run(
    budget: Annotated[
        str, typer.Option("--budget", "-b", help="Wall-clock budget: 90s, 15m, 24h, 1h30m.")
    ],
    hypotheses: HypothesesOpt = None,
    ledger: LedgerOpt = None,
    workers: Annotated[
        int, typer.Option("--workers", "-w", help="Trials run in parallel (processes).")
    ] = 1,
    recompute: Annotated[
        bool,
        typer.Option(
            "--recompute", help="Recompute verdicts that already exist (trials are kept)."
        ),
    ] = False,
    runner: Annotated[
        str, typer.Option("--runner", help="process (local processes) | dask.")
    ] = "process",
    dask_address: Annotated[
        str | None,
        typer.Option("--dask-address", help="tcp://HOST:PORT of an existing Dask scheduler."),
    ] = None,
    correction: Annotated[
        str | None,
        typer.Option(
            "--correction", help="Family correction: holm | bh (default holm).", show_default=False
        ),
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show the live progress bar.")
    ] = True,
) -> None:
    """Run the research engine until the budget is spent (resumes an existing ledger)."""
    # Imported here, not at the top: the statistics pull in scipy (seconds on a loaded
    # machine), which no other command needs.
    from engine.execution.runners import RunnerError, resolve_runner
    from engine.experiments.catalog import build_catalog
    from engine.judging.verdicts import CORRECTIONS, DEFAULT_CORRECTION
    from hypotheses import load_directory

    correction = DEFAULT_CORRECTION if correction is None else correction
    with user_errors():
        try:
            seconds = parse_budget(budget)
            if correction not in CORRECTIONS:
                raise SettingsError(
                    f"unknown --correction {correction!r} (known: {', '.join(CORRECTIONS)})"
                )
            url = _ledger_url(ledger, must_exist=False)
            spec = resolve_runner(runner, workers=workers, address=dask_address, ledger_url=url)
        except RunnerError as exc:
            raise SettingsError(str(exc)) from None
        directory = _hypotheses_dir(hypotheses)
        catalog = build_catalog()
        loaded = load_directory(directory, catalog)
        if not loaded:
            raise SettingsError(f"no hypothesis files in {directory}")
        _open_ledger(ledger, must_exist=False).close()
    if spec.kind == "process":  # local trial processes start while Prefect is imported
        from engine.execution import spares

        spares.prestart(spec.workers)

    from engine.settings import apply_prefect_environment

    apply_prefect_environment(data_paths())
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    from engine.cli.run import execute_run

    with user_errors():
        summary = execute_run(
            ledger_url=url,
            budget_seconds=seconds,
            hypotheses_dir=directory,
            runner=spec,
            recompute=recompute,
            correction=correction,
            show_progress=progress and sys.stderr.isatty(),
        )
    typer.echo(summary.text())
    if summary.failed:
        raise typer.Exit(EXIT_FAILED)


# --- hypotheses ----------------------------------------------------------------------------


@hypotheses_app.command("list")
def hypotheses_list(hypotheses: HypothesesOpt = None, fmt: FormatOpt = Format.table) -> None:
    """The registered hypotheses in run order (priority, then id).

    `seeds` are the evaluation seeds per arm and cell, `models` the fitted-model seeds each of
    them runs under (0: one level), `trials` what the file plans (lever children excluded).
    """
    from engine.execution.trials import plan_trials
    from engine.experiments.catalog import build_catalog
    from hypotheses import load_directory

    with user_errors():
        loaded = load_directory(_hypotheses_dir(hypotheses), build_catalog())
    rows = [
        {
            "id": h.id,
            "priority": h.priority,
            "world": h.world,
            "experiment": h.experiment,
            "arms": ",".join(f"{n}={a.proposer}" for n, a in sorted(h.arms.items())),
            "cells": len(h.cells()),
            "seeds": len(h.seeds.initial),
            "models": len(h.seeds.model or ()),
            "trials": len(plan_trials(h)),
            "metric": h.effect.metric,
            "title": h.title,
            "hash": h.content_hash,
            **({} if h.search is None else {"confirmation": _confirmation_plan(h)}),
        }
        for h in loaded
    ]
    cols = ["id", "priority", "world", "experiment", "arms", "cells", "seeds", "models", "trials"]
    cols += ["metric", "title"]
    _print(rows, fmt, cols)


def _confirmation_plan(h: Any) -> dict[str, Any]:
    """A search file's confirmation children, as the file fixes them: the model seeds they
    share, each search seed's evaluation seeds, and the trials of one child."""
    from engine.search.confirm import CONFIRM_EXPERIMENT
    from hypotheses.search import confirmation_seeds

    plans = {s: confirmation_seeds(h.search, h.seeds.initial, s) for s in h.seeds.initial}
    models = next(iter(plans.values()))["model"]
    return {
        "experiment": CONFIRM_EXPERIMENT,
        "arms": ["best", "base"],
        "model_seeds": models,
        "eval_seeds": {str(s): p["initial"] for s, p in plans.items()},
        "trials_each": len(models) * h.search.confirm_seeds * 2,
    }


@hypotheses_app.command("validate")
def hypotheses_validate(
    path: Annotated[
        Path | None,
        typer.Argument(help="A hypothesis file or directory (default: the shipped registry)."),
    ] = None,
) -> None:
    """Check hypothesis files; print every problem (file: field: reason) and exit 2 on any."""
    from engine.experiments.catalog import build_catalog
    from hypotheses import HypothesisError, check_file, hypothesis_files, validate_directory

    with user_errors():
        target = path if path is not None else _hypotheses_dir(None)
    catalog = build_catalog()
    problems: list[HypothesisError]
    if target.is_dir():
        problems = list(validate_directory(target, catalog))
        count = len(hypothesis_files(target))
    else:  # a file, or something that is not one: check_file says which
        _, found = check_file(target, catalog)
        problems = list(found)
        count = 1
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(f"{count} hypothesis file(s) valid in {target}")


# --- ledger --------------------------------------------------------------------------------


@ledger_app.command("runs")
def ledger_runs(ledger: LedgerOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Every run: budget, status, counts."""
    from engine.reporting import views

    with user_errors():
        rows = views.runs(_open_ledger(ledger))
    _print(rows, fmt, views.RUN_COLUMNS)


@ledger_app.command("hypotheses")
def ledger_hypotheses(ledger: LedgerOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Every pre-registered hypothesis version (files and derived children)."""
    from engine.reporting import views

    with user_errors():
        rows = views.hypotheses(_open_ledger(ledger))
    _print(rows, fmt, views.HYPOTHESIS_COLUMNS)


@ledger_app.command("trials")
def ledger_trials(
    ledger: LedgerOpt = None,
    fmt: FormatOpt = Format.table,
    hypothesis: Annotated[
        str | None, typer.Option("--hypothesis", help="Only this hypothesis id or hash prefix.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="finished | failed | crashed | cut | running.")
    ] = None,
) -> None:
    """Trials with their status, metrics and timing."""
    from engine.reporting import views

    with user_errors():
        rows = views.trials(_open_ledger(ledger), hypothesis=hypothesis, status=status)
    _print(rows, fmt, views.TRIAL_COLUMNS)


@ledger_app.command("verdicts")
def ledger_verdicts(
    ledger: LedgerOpt = None,
    fmt: FormatOpt = Format.table,
    all_: Annotated[
        bool, typer.Option("--all", help="Include verdicts superseded by --recompute.")
    ] = False,
) -> None:
    """Verdicts: outcome, effect, CI, n, and the multiple-comparison-adjusted outcome; then
    the cells that will get no verdict, each with the reason (a failed trial, an incompetent
    model)."""
    from engine.reporting import views

    with user_errors():
        opened = _open_ledger(ledger)
        rows = views.verdicts(opened, include_superseded=all_) + views.no_verdicts(opened)
    _print(rows, fmt, views.VERDICT_COLUMNS)


@ledger_app.command("show")
def ledger_show(
    ident: Annotated[str, typer.Argument(help="Hypothesis id, hash prefix, trial key or run id.")],
    ledger: LedgerOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table | json.")] = Format.table,
) -> None:
    """Everything about one hypothesis version, trial or run."""
    from engine.reporting import views

    with user_errors():
        detail = views.show(_open_ledger(ledger), ident)
    if fmt is Format.table:
        typer.echo(views.show_text(detail))
    else:
        typer.echo(json.dumps(detail, indent=2, default=str))


@ledger_app.command("lineage")
def ledger_lineage(
    ident: Annotated[str, typer.Argument(help="Hypothesis id or hash prefix.")],
    ledger: LedgerOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The lever chain from the registered file down to this version and its children."""
    from engine.reporting import views

    with user_errors():
        rows = views.lineage(_open_ledger(ledger), ident)
    _print(rows, fmt, views.LINEAGE_COLUMNS)


@ledger_app.command("search")
def ledger_search(
    ident: Annotated[str, typer.Argument(help="A config_search hypothesis id or hash prefix.")],
    ledger: LedgerOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table | json.")] = Format.table,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also draw the frontier plot into this folder.")
    ] = None,
) -> None:
    """A configuration search: its frontier, the rejected map, base -> best, and every
    candidate with its score, keep flag and any refusal reason."""
    from engine.reporting import search_views as sv

    with user_errors():
        opened = _open_ledger(ledger)
        report = sv.search_report(opened, ident)
        drawn = sv.frontier_plot(opened, ident, plot) if plot is not None else None
    if fmt is not Format.table:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    typer.echo(f"search {report['id']} ({report['hash'][:12]})")
    for title, key, cols in (
        ("frontier (kept candidates)", "frontier", sv.CANDIDATE_COLUMNS),
        ("base -> ... -> best", "lineage", sv.LINEAGE_COLUMNS),
        ("rejected map (per knob changed)", "rejected", sv.REJECTED_COLUMNS),
        ("every candidate", "candidates", sv.CANDIDATE_COLUMNS),
    ):
        typer.echo(f"\n{title}:")
        _print(report[key], Format.table, cols)
    for child, outcome in sorted(report["confirmations"].items()):
        typer.echo(f"confirmation {child}: {outcome}")
    if drawn is not None:
        typer.echo(f"frontier plot: {drawn}")


@ledger_app.command("export")
def ledger_export(
    ledger: LedgerOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of stdout (JSON).")
    ] = None,
) -> None:
    """The whole ledger as one JSON document (runs, hypotheses, trials, verdicts, levers)."""
    from engine.reporting import views

    with user_errors():
        if out is not None:
            _check_output_file(out)
        document = views.export(_open_ledger(ledger))
    text = json.dumps(document, indent=2, default=str)
    if out is None:
        typer.echo(text)
        return
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {out}")


@ledger_app.command("upgrade")
def ledger_upgrade(ledger: LedgerOpt = None) -> None:
    """Bring the ledger's schema to this version (alembic migrations)."""
    from ledger import upgrade

    with user_errors():
        url = _ledger_url(ledger, must_exist=False)
        revision = upgrade(url)
    typer.echo(f"ledger at revision {revision}")


# --- replay, figures, ui -------------------------------------------------------------------


@app.command()
def replay(
    trial: Annotated[str, typer.Argument(help="Trial key (or a unique prefix).")],
    ledger: LedgerOpt = None,
) -> None:
    """Re-run a finished trial from its ledger row; exit 1 unless the metrics match exactly."""
    from engine.execution.replay import replay_trial

    with user_errors():
        result = replay_trial(_open_ledger(ledger), trial)
    typer.echo(result.text())
    if not result.matches:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def figures(
    ledger: LedgerOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (default: VERISIM_HOME/figures)."),
    ] = None,
) -> None:
    """Regenerate the figures (H_eps vs rho, per hypothesis) from the ledger."""
    from engine.reporting.figures import draw
    from engine.reporting.views import figures_from_ledger

    target = out if out is not None else data_paths().figures
    with user_errors():
        _check_output_dir(target)
        specs = figures_from_ledger(_open_ledger(ledger))
    if not specs:
        typer.echo("no hypothesis in the ledger varies rho yet: nothing to plot")
        return
    for spec in specs:
        try:
            drawn = draw(spec, target)
        except OSError as exc:
            raise fail(f"cannot write figures into {target}: {exc.strerror or exc}") from None
        typer.echo(str(drawn))


@app.command()
def ui(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port of the Prefect UI.", min=1, max=65535)] = 4200,
) -> None:
    """Start the Prefect server (flows, task runs, verdict artifacts) and print its address."""
    from engine.cli.ui import serve
    from engine.settings import apply_prefect_environment

    apply_prefect_environment(data_paths())
    with user_errors():
        code = serve(host, port, announce=lambda url: typer.echo(f"Prefect UI: {url}"))
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point: the command, then no child process left behind.

    A stop signal (SIGTERM, SIGHUP, SIGINT) unwinds the command through its clean-up paths,
    every descendant still alive is ended, and the process then ends by that signal, as a
    service manager expects of a clean stop (`engine.execution.lifetime`).
    """
    from engine.execution.lifetime import ending_children, exit_like_signal

    code: str | int | None = 0
    with ending_children() as stop:
        try:
            app()
        except SystemExit as exc:
            code = exc.code
    if stop.signum is not None:
        exit_like_signal(stop.signum)
    if code is None or isinstance(code, int):
        _exit_now(code or 0)
    raise SystemExit(code)


def _exit_now(code: int) -> NoReturn:
    """End the process once the command is done, skipping the interpreter's teardown.

    Every resource the commands hold is closed on their own paths (the ledger, Prefect's
    temporary server, trial processes) and the exit handlers still run here; what is skipped
    is freeing the objects of Prefect, SQLAlchemy and SciPy one by one, which took 1-1.5 s
    after every `run` on this 2-core machine (measured with `bench/trials_per_hour.py`).
    """
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


__all__ = ["app", "format_seconds", "main"]


if __name__ == "__main__":
    main()
