"""`python -m engine.cli ...` is the `verisim-engine` command."""

from engine.cli.app import main

main()
