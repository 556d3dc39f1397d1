"""Where the engine keeps its files, and the environment Prefect must see before it is imported.

Everything the engine writes lives under one data directory (`VERISIM_HOME`, default
`./.verisim/`): the SQLite ledger, Prefect's home (its database, profiles, results) and the
figures. Prefect reads its settings from the environment when it is first imported, so
`prefect_environment` is applied by the CLI *before* any Prefect import; it keeps the user's own
`~/.prefect` untouched and turns analytics off so nothing leaves the machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

HOME_ENV = "VERISIM_HOME"
LEDGER_ENV = "VERISIM_LEDGER_URL"
DEFAULT_HOME = ".verisim"
LEDGER_FILE = "ledger.db"

EPHEMERAL_STARTUP_SECONDS = "90"
"""Prefect's temporary server migrates a fresh database on first start; 20 s (its default) is
too short on a loaded two-core machine, and a timeout there would look like our bug."""


class SettingsError(ValueError):
    """A setting that cannot work (a ledger URL that does not parse, an unusable data dir)."""


@dataclass(frozen=True)
class Paths:
    """The data directory and the paths inside it."""

    home: Path

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"

    @property
    def figures(self) -> Path:
        return self.home / "figures"

    @property
    def default_ledger(self) -> Path:
        return self.home / LEDGER_FILE


def data_paths(env: Mapping[str, str] | None = None) -> Paths:
    """The data directory from `VERISIM_HOME` (default `./.verisim/`), made absolute."""
    env = os.environ if env is None else env
    raw = env.get(HOME_ENV, "").strip() or DEFAULT_HOME
    return Paths(home=Path(raw).expanduser().resolve())


def resolve_ledger_url(option: str | None, env: Mapping[str, str] | None = None) -> str:
    """`--ledger`, else `VERISIM_LEDGER_URL`, else the SQLite file in the data directory."""
    env = os.environ if env is None else env
    if option is not None and option.strip():
        return option.strip()
    from_env = env.get(LEDGER_ENV, "").strip()
    if from_env:
        return from_env
    return f"sqlite:///{data_paths(env).default_ledger}"


def _in_memory(parsed: URL) -> bool:
    """A SQLite database that lives only as long as its connection."""
    database = parsed.database or ""
    if database in ("", ":memory:"):
        return True
    mode = parsed.query.get("mode")
    modes = [mode] if isinstance(mode, str) else list(mode or ())
    return "memory" in modes or (database.startswith("file:") and "mode=memory" in database)


def check_ledger_url(url: str, *, must_exist: bool = False) -> URL:
    """Refuse a ledger URL that cannot work, before anything opens it.

    It must parse, name a database driver that is installed, and keep what is written (an
    in-memory SQLite database is gone when the command exits: the ledger must outlive the
    run). For SQLite files the directory must exist, and an existing file must not be empty:
    a 0-byte file is not a ledger, and silently building a new one in it would hide that the
    old one was lost. With `must_exist` (read-only commands) the file must exist too, so a
    typo in a path reads as "no such ledger" instead of silently creating an empty one.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError) as exc:
        raise SettingsError(f"ledger URL {url!r} does not parse: {exc}") from None
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        raise SettingsError(
            f"ledger URL {url!r}: unknown database {parsed.drivername!r} "
            "(use sqlite:///path/to/ledger.db or postgresql+psycopg://...)"
        ) from None
    except ImportError as exc:
        raise SettingsError(f"ledger URL {url!r}: its driver is not installed ({exc})") from None
    if parsed.get_backend_name() != "sqlite":
        return parsed
    if _in_memory(parsed):
        raise SettingsError(
            f"ledger URL {url!r} is an in-memory database, which keeps nothing once the command "
            "exits: give a file (sqlite:///path/to/ledger.db) or a server URL"
        )
    database = parsed.database or ""
    if database.startswith("file:"):
        return parsed
    path = Path(database).expanduser()
    if path.is_file() and path.stat().st_size == 0:
        raise SettingsError(
            f"ledger file {path} is empty (0 bytes), not a ledger; delete it to start a new "
            "ledger there"
        )
    if must_exist and not path.is_file():
        raise SettingsError(f"no ledger at {path} (run `verisim-engine run` first?)")
    if not path.parent.is_dir():
        raise SettingsError(f"ledger URL {url!r}: directory {path.parent} does not exist")
    return parsed


def prefect_environment(paths: Paths) -> dict[str, str]:
    """The variables that keep Prefect local, offline and inside the data directory."""
    return {
        "PREFECT_HOME": str(paths.prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": EPHEMERAL_STARTUP_SECONDS,
        # The ledger is the record; Prefect's own result persistence would only duplicate it.
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    }


def apply_prefect_environment(
    paths: Paths, environ: MutableMapping[str, str] | None = None
) -> dict[str, str]:
    """Set the Prefect variables (call before importing Prefect) and create its home.

    `PREFECT_API_URL` is left alone: a user who points it at a running server gets that server;
    otherwise Prefect runs its temporary local server over the database in our Prefect home,
    which is the same database `verisim-engine ui` serves.
    """
    environ = os.environ if environ is None else environ
    values = prefect_environment(paths)
    paths.prefect_home.mkdir(parents=True, exist_ok=True)
    environ.update(values)
    return values
