"""Execution: how one trial is identified, run, isolated, distributed and replayed.

`trials` gives a trial its key and spec (a pure function of parameters, seed and code, the
code named by `source_hash`, the hash of the source a trial runs);
`batch` is the idempotent task body that runs a batch of trials and upserts their rows;
`isolation` runs trials in a killable child process (`child` is that process's entry point);
`runners` picks the Prefect task runner (process pool, local or remote Dask); `workers` drains
the ledger's trial queue without Prefect; `replay` re-runs a recorded trial and compares.
"""
