"""From a URL to a working SQLAlchemy engine, or to one clear `LedgerError` line.

Three things matter here and nowhere else:

- A bad URL must fail *before* anything is created on disk: for SQLite we check the path
  ourselves (the driver would happily create a file in a wrong place, or fail with a bare
  "unable to open database file").
- SQLite is used by several processes at once (local workers): WAL, a busy timeout, foreign
  keys on, and `BEGIN IMMEDIATE` for writing transactions so that read-then-write sequences
  (claiming a trial) are serialized instead of failing with "database is locked" on upgrade.
- PostgreSQL URLs without a driver get psycopg 3 (the installed one), and a connect timeout
  so an unreachable server is an error within seconds, not a hang.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from .errors import LedgerError

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10
_READ_OPTION = "verisim_read_only"


def default_url(data_dir: str | os.PathLike[str]) -> str:
    """The SQLite file `<data_dir>/ledger.db` as a URL (the directory must exist to open it)."""
    return URL.create(
        "sqlite", database=str(Path(data_dir).resolve() / "ledger.db")
    ).render_as_string()


def display_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def parse_url(raw: str) -> URL:
    """Parse and normalize a URL (`postgresql://` -> `postgresql+psycopg://`)."""
    if not isinstance(raw, str) or not raw.strip():
        raise LedgerError("ledger URL is empty")
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError) as exc:
        raise LedgerError(f"cannot parse ledger URL {raw!r}: {_first_line(exc)}") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL (`None` for an in-memory database)."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _check_sqlite_path(url: URL) -> None:
    path = sqlite_path(url)
    if path is None:
        return
    where = display_url(url)
    if path.exists():
        if path.is_dir():
            raise LedgerError(f"ledger {where}: {path} is a directory, not a database file")
        if not os.access(path, os.R_OK | os.W_OK):
            raise LedgerError(f"ledger {where}: {path} is not readable and writable")
        return
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise LedgerError(f"ledger {where}: directory {parent} does not exist")
    if not parent.is_dir():
        raise LedgerError(f"ledger {where}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise LedgerError(f"ledger {where}: directory {parent} is not writable")


def _sqlite_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if sqlite_path(url) is None:
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"]["check_same_thread"] = False
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not open transactions.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if sqlite_path(url) is not None:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(_READ_OPTION, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _server_engine(url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def make_engine(raw_url: str) -> Engine:
    """A connected, configured engine; raises `LedgerError` (one line) and creates nothing
    when the URL is unparseable, names an unknown driver, or cannot be reached/opened."""
    url = parse_url(raw_url)
    where = display_url(url)
    if is_sqlite(url):
        _check_sqlite_path(url)
    try:
        engine = _sqlite_engine(url) if is_sqlite(url) else _server_engine(url)
    except NoSuchModuleError:
        raise LedgerError(f"ledger {where}: unknown database driver {url.drivername!r}") from None
    except ImportError as exc:
        raise LedgerError(f"ledger {where}: database driver not installed ({exc})") from None
    except (ArgumentError, TypeError, ValueError) as exc:
        raise LedgerError(f"ledger {where}: {_first_line(exc)}") from None
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        engine.dispose()
        raise LedgerError(f"cannot open ledger {where}: {_first_line(exc)}") from None
    return engine


def reader(engine: Engine) -> Engine:
    """The same engine, but its transactions start as plain (deferred) reads on SQLite."""
    return engine.execution_options(**{_READ_OPTION: True})


@contextmanager
def translate_errors(what: str, *, keep_integrity: bool = False) -> Iterator[None]:
    """Database errors in the middle of an operation become one-line `LedgerError`s.

    `keep_integrity=True` lets `IntegrityError` through, for callers that treat a unique-key
    race with another writer as an expected outcome (and retry or report it themselves).
    """
    try:
        yield
    except IntegrityError as exc:
        if keep_integrity:
            raise
        raise LedgerError(f"{what}: {_first_line(exc)}") from None
    except DBAPIError as exc:
        raise LedgerError(f"{what}: {_first_line(exc)}") from None
