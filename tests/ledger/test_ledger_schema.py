"""URLs, SQLite settings, and the alembic schema (migration == metadata, revision checks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import ledger as ledger_pkg
from ledger import Ledger, LedgerError, SchemaError, default_url
from ledger.schema import head_revision
from ledger.tables import LEDGER_TABLE_NAMES, metadata


def _files(path: Path) -> list[str]:
    return sorted(p.name for p in path.rglob("*"))


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "ledger URL is empty"),
        ("not a url", "cannot parse ledger URL"),
        ("nosuchdb://user@host/db", "unknown database driver 'nosuchdb'"),
        ("mysql+nosuchdriver://u@h/db", "unknown database driver"),
        ("postgresql://postgres@127.0.0.1:1/nowhere", "cannot open ledger postgresql+psycopg://"),
    ],
)
def test_bad_urls_fail_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, fragment: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LedgerError) as info:
        Ledger(url)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert _files(tmp_path) == []


def test_password_is_not_echoed() -> None:
    with pytest.raises(LedgerError) as info:
        Ledger("postgresql://me:s3cret@127.0.0.1:1/db")
    assert "s3cret" not in str(info.value) and "***" in str(info.value)


def test_bad_sqlite_paths_create_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    with pytest.raises(LedgerError, match="does not exist"):
        Ledger(default_url(missing))
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(LedgerError, match="is not a directory"):
        Ledger(f"sqlite:///{blocker}/ledger.db")
    with pytest.raises(LedgerError, match="is a directory"):
        Ledger(f"sqlite:///{tmp_path}")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError, match="not a database"):
        Ledger(f"sqlite:///{garbage}")
    assert _files(tmp_path) == ["file.txt", "garbage.db"]


def test_default_url_and_sqlite_settings(tmp_path: Path) -> None:
    url = default_url(tmp_path)
    assert url == f"sqlite:///{tmp_path.resolve()}/ledger.db"
    with Ledger(url) as led:
        assert led.schema_revision() == head_revision()
        with led._engine.connect() as conn:  # the pragmas every connection gets
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert (tmp_path / "ledger.db").exists()


def test_in_memory_ledger_works() -> None:
    with Ledger("sqlite://") as led:
        assert led.runs() == []
        run = led.start_run(code_version="c", host="h")
        assert led.get_run(run.id) == run


def test_migration_matches_the_models(tmp_path: Path) -> None:
    with Ledger(default_url(tmp_path)) as led, led._engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == []
    assert tables == LEDGER_TABLE_NAMES | {"alembic_version"}


def test_metadata_create_all_equals_migration(tmp_path: Path) -> None:
    """The reverse direction: a schema made from the models has nothing the migration lacks."""
    engine = create_engine(f"sqlite:///{tmp_path}/direct.db")
    metadata.create_all(engine)
    with (
        Ledger(default_url(tmp_path)) as led,
        led._engine.connect() as migrated,
        engine.connect() as direct,
    ):
        a, b = inspect(direct), inspect(migrated)
        for table in sorted(LEDGER_TABLE_NAMES):
            assert [c["name"] for c in a.get_columns(table)] == [
                c["name"] for c in b.get_columns(table)
            ]
            assert sorted(str(i["name"]) for i in a.get_indexes(table)) == sorted(
                str(i["name"]) for i in b.get_indexes(table)
            )
            assert sorted(c["name"] or "" for c in a.get_check_constraints(table)) == sorted(
                c["name"] or "" for c in b.get_check_constraints(table)
            )
    engine.dispose()


def test_schema_behind_or_ahead_is_a_clear_error(tmp_path: Path) -> None:
    url = default_url(tmp_path)
    with Ledger(url, check_schema=False):
        pass  # an empty database: no schema yet
    with pytest.raises(SchemaError, match=r"no ledger schema.*run `verisim-engine ledger upgrade`"):
        Ledger(url, auto_upgrade=False)
    assert ledger_pkg.upgrade(url) == head_revision()
    with Ledger(url, auto_upgrade=False) as led:
        assert led.schema_revision() == head_revision()
        with led._engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    with pytest.raises(SchemaError, match="newer than this code knows"):
        Ledger(url)


def test_sqlite_upgrades_itself_on_open(tmp_path: Path) -> None:
    url = default_url(tmp_path)
    with Ledger(url, check_schema=False) as led:
        assert led.schema_revision() is None
    with Ledger(url) as led:
        assert led.schema_revision() == head_revision()
