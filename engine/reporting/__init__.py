"""Reporting: what a run tells a person, read from the ledger.

`summary` is the end-of-run summary; `views` turns ledger rows into tables; `figures` draws the
H_eps(rho) curves; `artifacts` publishes verdict tables and figures as Prefect artifacts.
"""
