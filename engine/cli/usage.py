"""Click's usage errors as one line and exit code 2, like every other bad input.

Typer prints an unknown option, a missing value or an out-of-range number as a framed usage
box over several lines. The README promises one line on stderr and exit code 2 for any bad
input, whatever reports it, so the top-level group runs Click in non-standalone mode and
prints Click's own message in the engine's one-line form. Help (`--help`, or a group called
without a command) is printed as before.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def click_exceptions() -> Any:
    """Click's exception classes as this Typer raises them (recent Typer vendors Click)."""
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            return importlib.import_module(module)
        except ImportError:
            continue
    raise RuntimeError("neither typer._click nor click is importable")


def _exit(code: int) -> NoReturn:
    sys.exit(code)


class OneLineUsageErrors(TyperGroup):
    """The `verisim-engine` group: usage errors become `verisim-engine: error: ...`, exit 2."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        def invoke() -> Any:
            return super(OneLineUsageErrors, self).main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )

        if not standalone_mode:
            return invoke()
        clicks = click_exceptions()
        # Typer's own Abort; Click's where this Typer still raises Click's (vendored Click
        # has none). Resolved here, not in the except clause: an attribute error raised while
        # matching would replace the exception it was matching.
        aborts = (typer.Abort, getattr(clicks, "Abort", typer.Abort))
        try:
            code = invoke()
        except clicks.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx is not None else str(exc), err=True)
            _exit(EXIT_BAD_INPUT)
        except clicks.ClickException as exc:
            typer.echo(f"verisim-engine: error: {exc.format_message()}", err=True)
            _exit(exc.exit_code or EXIT_BAD_INPUT)
        except aborts:
            typer.echo("verisim-engine: aborted", err=True)
            _exit(EXIT_FAILED)
        _exit(code if isinstance(code, int) else 0)
