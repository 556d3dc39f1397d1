"""Fixtures for the scale-out tests: a throwaway PostgreSQL cluster and fresh ledgers in it.

One cluster per test session (per xdist worker), started on a free loopback port in a temp
dir and removed at the end; each test gets its own database with the schema applied the way
production does it (`upgrade` before any worker opens it). Without PostgreSQL binaries the
tests that need them skip, saying how to get them.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgcluster import PgCluster, PgUnavailable

import ledger

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        cluster = PgCluster.create()
        cluster.start()
    except PgUnavailable as exc:
        pytest.skip(f"no PostgreSQL server available: {exc}")
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A fresh database at the ledger's head schema (restarting the server if a test stopped it)."""
    if not pg_cluster.running():
        pg_cluster.start()
    url = pg_cluster.create_database(f"ledger_{next(_databases)}")
    ledger.upgrade(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return ledger.default_url(tmp_path)


# The engine-from-its-CLI harness lives with the browser tests; share it rather than copy it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ui"))
