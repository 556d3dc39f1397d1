"""The engine: the loop, the experiment kinds, the statistics, and the autonomous ratchet.

It composes the other packages (worlds, proposers, hypotheses, ledger) and is the only one that
imports Prefect, and only in `engine.flow`, `engine.run_command` and `engine.artifacts`, which
run after `engine.settings` has pointed Prefect into the data directory. Importing `engine` itself
is cheap: the trial processes import only what a trial needs.

Public surface, by module:

- `engine.flow.research_run(ledger_url, hypotheses_dir, budget_seconds, deadline=None,
  workers=1, recompute=False, correction="holm", runner_label=..., figures_dir=None)`:
  the Prefect flow; returns the run summary as a dict (`engine.summary.RunSummary`).
- `engine.run_command.execute_run(...)`: the flow behind `verisim-engine run` (task runner, one
  Prefect API for every process, the live progress bar).
- `engine.cli.app` / `main`: the `verisim-engine` command line (Typer).
- `engine.budget`: `parse_budget("1h30m") -> 5400.0`, `format_seconds`, `Budget`, `BudgetError`.
- `engine.settings`: data directory (`VERISIM_HOME`), ledger URL resolution
  (`--ledger` > `VERISIM_LEDGER_URL` > SQLite in the data dir), Prefect's environment.
- `engine.trials`: `TrialRequest`, `plan_trials(h)`, `trial_key(...)`, spec (de)serialization,
  `execute(spec)`; `engine.isolation.TrialProcess` runs trials in a killable child process
  (`engine.trial_child` is that child); `engine.batch.run_batch` is the idempotent trial task
  body.
- `engine.runners`: which Prefect task runner carries the trials (process pool, local or remote
  Dask); `engine.workers`: standalone workers that drain the ledger's trial queue with claims
  and heartbeats (the Prefect-free way to add machines).
- `engine.scheduler`: pure choice of the next version that fits the budget (`choose`,
  `CostModel`); `engine.ratchet.Ratchet`: the ledger writes of pre-registration, verdicts and
  levers; `engine.verdicts`: per-cell verdicts and the family correction.
- `engine.figures`, `engine.artifacts`, `engine.views`, `engine.replay`, `engine.ui`.
- `engine.loop`, `engine.policies`, `engine.operators`, `engine.experiments`, `engine.stats`:
  see their modules.
"""
