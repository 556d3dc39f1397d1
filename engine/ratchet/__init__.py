"""The ratchet: the autonomous research session and the choices it makes.

`flow` is the Prefect flow `research_run`; `scheduler` orders versions and estimates what fits
the remaining budget (pure); `dispatch` keeps every worker busy with batches across versions
and judges each version the moment its last batch lands; `simulation` runs that same loop on a
simulated clock; `budget` parses and formats budgets; `registration` writes pre-registrations,
verdicts and lever children to the ledger.
"""
