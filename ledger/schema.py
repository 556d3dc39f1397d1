"""The schema's revision: read it, compare it with this code's, and upgrade it via alembic.

Opening a ledger whose schema is behind (or ahead of) the code must fail loudly rather than
write rows the schema does not expect. SQLite ledgers are private files, so they upgrade
themselves on open; a shared server is upgraded explicitly (`verisim-engine ledger upgrade`)
before workers start, never by whichever worker happens to open it first.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from .errors import SchemaError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """A programmatic alembic config (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise SchemaError("the ledger has no migrations (broken installation)")
    return head


def known_revisions() -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def current_revision(engine: Engine) -> str | None:
    """The database's revision (`None`: no ledger schema yet)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """`alembic upgrade head` in one transaction; returns the head revision."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    return head_revision()


def check(engine: Engine, *, where: str, auto_upgrade: bool) -> str:
    """Make sure the schema is at head (upgrading if allowed), or raise `SchemaError`."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return head
    if current is not None and current not in known_revisions():
        raise SchemaError(
            f"ledger {where} has schema revision {current!r}, newer than this code knows "
            f"(head {head!r}): upgrade verisim-engine"
        )
    if auto_upgrade:
        return upgrade(engine)
    state = f"revision {current!r}" if current else "no ledger schema"
    raise SchemaError(
        f"ledger {where} has {state}, this code needs {head!r}: run `verisim-engine ledger upgrade`"
    )
