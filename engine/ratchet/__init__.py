"""The ratchet: the autonomous research session and the choices it makes.

`flow` is the Prefect flow `research_run`; `scheduler` picks the next version and batches that
fit the remaining budget (pure); `budget` parses and formats budgets; `registration` writes
pre-registrations, verdicts and lever children to the ledger.
"""
