"""The `verisim-engine` command line: `app` (Typer commands), `run` (the run command's flow
wiring and live progress), `ui` (the Prefect server), `output` (tables that fit a terminal).

Kept import-free so that `python -m engine.cli` and the console script load Typer only once.
"""
