"""Alembic environment for the ledger.

Normally driven programmatically (`ledger.schema.upgrade`), which hands over an open
connection in `config.attributes["connection"]` so the migration runs inside the caller's
transaction (on SQLite a `BEGIN IMMEDIATE` one: two processes opening a fresh ledger at once
serialize instead of both creating tables). From the command line
(`alembic -c ledger/alembic.ini ...`) the URL comes from `VERISIM_LEDGER_URL` or the ini.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from ledger.connect import make_engine
from ledger.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = os.environ.get("VERISIM_LEDGER_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set VERISIM_LEDGER_URL (or sqlalchemy.url in alembic.ini)")
    return url


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
    else:
        engine = make_engine(_url())
        try:
            with engine.begin() as conn:
                _run(conn)
        finally:
            engine.dispose()
