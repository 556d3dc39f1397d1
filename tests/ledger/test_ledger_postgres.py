"""The PostgreSQL code paths against a real, throwaway server (skipped where none can start).

SQLite serializes writers outright; PostgreSQL is where `FOR UPDATE SKIP LOCKED`, unique-key
races at commit, timestamptz and the partial unique index on verdicts really get exercised.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from ledger_fixtures import claim_worker, register, trial_args, verdict_args
from sqlalchemy import text

import ledger as ledger_pkg
from ledger import Ledger, LedgerError, SchemaError, jsonutil
from ledger.schema import head_revision
from ledger.tables import CorrectionFamilyRow, metadata

pytestmark = pytest.mark.postgres

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    pgcluster = pytest.importorskip("pgcluster")
    try:
        with pgcluster.throwaway_cluster() as running:
            yield running
    except pgcluster.PgUnavailable as exc:
        pytest.skip(str(exc))


def test_postgres_ledger_end_to_end(cluster: Any) -> None:
    url = cluster.create_database("ledger_e2e")
    with pytest.raises(SchemaError, match="run `verisim-engine ledger upgrade`"):
        Ledger(url)
    assert ledger_pkg.upgrade(url) == head_revision()
    with Ledger(url) as led:
        with led._engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        h = register(led)
        run = led.start_run(code_version="c", host="h")
        args = trial_args(h)
        assert led.claim_trial(**args, run_id=run.id, worker="w1")
        assert not led.claim_trial(**args, worker="w2")
        t = led.finish_trial(args["key"], {"m": 0.25}, 1.0)
        assert t.finished_at is not None and t.finished_at.tzinfo is not None
        v1 = led.write_verdict(verdict_args(h))
        assert led.write_verdict(verdict_args(h)) == v1
        v2 = led.write_verdict(
            verdict_args(h, outcome="refuted", ci_high=-0.1, ci_low=-0.5, estimate=-0.3),
            recompute=True,
        )
        assert [v.id for v in led.verdicts()] == [v2.id]
        lv = led.add_lever(
            parent_hash=h.content_hash, lever_id="n", when="refuted", next_id="H2", verdict_id=v2.id
        )
        assert led.get(f"lever:{lv.id}") == lv
        assert led.export()["trials"][0]["metrics"] == {"m": 0.25}
        with pytest.raises(LedgerError):
            led.claim_trial(**dict(args, hypothesis_hash="0" * 64))


def test_postgres_concurrent_claims(cluster: Any) -> None:
    url = cluster.create_database("ledger_claims")
    ledger_pkg.upgrade(url)
    ctx = mp.get_context("spawn")
    go = ctx.Barrier(3)
    out = ctx.Queue()
    n = 60
    procs = [ctx.Process(target=claim_worker, args=(url, f"w{i}", n, go, out)) for i in (1, 2, 3)]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    won = [set(keys) for keys in results.values()]
    assert sum(len(w) for w in won) == len(set().union(*won)) == n
    with Ledger(url) as led:
        trials = led.trials()
        assert len(trials) == n and all(t.status == "finished" and t.attempts == 1 for t in trials)


def test_postgres_a_family_registered_by_two_runs_at_once(
    cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs starting together plan the same family from the same files. The loser of the
    insert race (PostgreSQL: a unique violation at the key once the winner commits) re-reads
    the winner's row, checks it is the same family and returns it, instead of failing the run.
    The race is forced: another connection inserts the row and commits only once this call's
    insert is waiting on it."""
    url = cluster.create_database("ledger_family_race")
    ledger_pkg.upgrade(url)
    with Ledger(url) as led, Ledger(url) as other:
        a = register(led, "A")
        attempts: list[int] = []
        inner = Ledger._register_family

        def counted(self: Ledger, s: Any, inp: Any) -> Any:
            attempts.append(1)
            return inner(self, s, inp)

        monkeypatch.setattr(Ledger, "_register_family", counted)
        winner = other._engine.connect()
        held = winner.begin()
        winner.execute(
            CorrectionFamilyRow.__table__.insert().values(  # type: ignore[attr-defined]
                key="F@1",
                name="F",
                method="holm",
                alpha=0.05,
                size=1,
                members=jsonutil.dumps([a.content_hash]),
                registered_at=datetime.now(UTC),
            )
        )

        def commit_once_blocked() -> None:
            waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            with other._engine.connect() as probe:
                deadline = time.monotonic() + 60
                while probe.execute(waiting).scalar_one() == 0 and time.monotonic() < deadline:
                    time.sleep(0.02)
            held.commit()
            winner.close()

        committer = threading.Thread(target=commit_once_blocked)
        committer.start()
        record = led.register_family(
            key="F@1", name="F", method="holm", alpha=0.05, size=1, members=[a.content_hash]
        )
        committer.join(60)
        assert record.key == "F@1" and record.members == (a.content_hash,)
        assert len(attempts) == 2  # the first attempt lost the race; the second read the row
        assert [f.key for f in led.families()] == ["F@1"]
