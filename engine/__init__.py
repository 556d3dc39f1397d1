"""The engine: composes worlds, proposers, hypotheses and the ledger into autonomous research.

Each sub-package is one concern, named for it:

- `engine.rollout`: the propose -> consult -> verify -> correct loop, its consultation policies
  and its correction operators (pure; no Prefect, no ledger; typed over `World[S, A]`).
- `engine.experiments`: the experiment kinds, pure functions `(params, arm, seed) -> metrics`,
  and the catalogue of names that hypothesis files are validated against.
- `engine.judging`: the statistics (paired bootstrap, decision rule, family correction) and the
  per-cell verdicts built from them.
- `engine.execution`: trial identity (keys, specs), idempotent trial batches, the killable trial
  process, the Prefect task runners, queue workers, exact replay, and process lifetime (a
  stopped CLI takes every process it started with it).
- `engine.ratchet`: the Prefect flow that runs a research session until its budget is spent,
  the scheduler that picks what fits, budget strings, and the ledger writes of
  pre-registration, verdicts and levers.
- `engine.reporting`: the run summary, figures, ledger views and Prefect artifacts.
- `engine.cli`: the `verisim-engine` command line (Typer) and its terminal output.
- `engine.settings`: the data directory, ledger URL resolution and Prefect's environment.

Only `engine.ratchet.flow`, `engine.cli.run` and `engine.reporting.artifacts` import Prefect, and
they run after `engine.settings` has pointed Prefect into the data directory, so a trial process
imports only what a trial needs. docs/architecture.md has a paragraph per sub-package and the
path from a hypothesis file to a verdict row.
"""
