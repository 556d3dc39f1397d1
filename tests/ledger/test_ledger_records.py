"""Hypothesis versions, runs, verdicts, levers, lookups and export."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from ledger_fixtures import T0, FakeClock, content, register, trial_args, verdict_args
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ledger import (
    HypothesisVersion,
    Ledger,
    LedgerError,
    LeverRecord,
    NotFoundError,
    RunRecord,
    TrialRecord,
    VerdictRecord,
)
from ledger.jsonutil import digest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hypotheses"))
from hyp_fixtures import BASE

from hypotheses import derive_child, parse_hypothesis


def test_register_is_idempotent_and_checks_the_hash(ledger: Ledger, clock: FakeClock) -> None:
    v1 = register(ledger)
    clock.advance(5)
    assert register(ledger) == v1
    assert v1.registered_at == T0 and v1.depth == 0 and v1.content == content("H1")
    body = content("H1", params={"hosts": 6})
    with pytest.raises(LedgerError, match="is not the sha256 of the canonical content"):
        ledger.register_hypothesis(body, digest(content("H1")), "H1", "t", None)
    with pytest.raises(LedgerError, match="64-character"):
        ledger.register_hypothesis(body, "abc", "H1", "t", None)
    with pytest.raises(LedgerError, match="already registered as 'H1' with other lineage"):
        ledger.register_hypothesis(content("H1"), v1.content_hash, "H1-renamed", "t", None)


def test_ledger_hash_agrees_with_hypotheses_package(ledger: Ledger) -> None:
    h = parse_hypothesis(copy.deepcopy(BASE))
    v = ledger.register_hypothesis(h.canonical(), h.content_hash, h.id, h.title, "h11.toml")
    child = derive_child(h, "scale")
    c = ledger.register_hypothesis(
        child.canonical(),
        child.content_hash,
        child.id,
        child.title,
        None,
        parent_hash=child.parent,
        lever_id="scale",
        depth=child.depth,
    )
    assert c.parent_hash == v.content_hash and parse_hypothesis(c.content) == child


def test_children_need_a_registered_parent_and_consistent_depth(ledger: Ledger) -> None:
    parent = register(ledger)
    with pytest.raises(LedgerError, match="go together"):
        ledger.register_hypothesis(
            content("H1/x"),
            digest(content("H1/x")),
            "H1/x",
            "t",
            None,
            parent_hash=parent.content_hash,
        )
    body = content("H1/x")
    with pytest.raises(LedgerError, match="is not registered"):
        ledger.register_hypothesis(
            body, digest(body), "H1/x", "t", None, parent_hash="e" * 64, lever_id="x", depth=1
        )
    with pytest.raises(LedgerError, match="depth 2 but its parent has depth 0"):
        ledger.register_hypothesis(
            body,
            digest(body),
            "H1/x",
            "t",
            None,
            parent_hash=parent.content_hash,
            lever_id="x",
            depth=2,
        )


def test_lineage_and_levers(ledger: Ledger) -> None:
    root = register(ledger, "H1")
    a = register(ledger, "H1/a", parent=root, lever="a")
    b = register(ledger, "H1/b", parent=root, lever="b")
    ab = register(ledger, "H1/a/b", parent=a, lever="b")
    register(ledger, "H2")
    assert [v.hypothesis_id for v in ledger.lineage("H1")] == ["H1", "H1/a", "H1/b", "H1/a/b"]
    assert [v.hypothesis_id for v in ledger.lineage(a.content_hash)] == ["H1", "H1/a", "H1/a/b"]
    assert [v.hypothesis_id for v in ledger.lineage(ab.content_hash[:10])] == [
        "H1",
        "H1/a",
        "H1/a/b",
    ]
    with pytest.raises(NotFoundError):
        ledger.lineage("H99")
    verdict = ledger.write_verdict(verdict_args(root))
    lever = ledger.add_lever(
        parent_hash=root.content_hash,
        lever_id="a",
        when="confirmed",
        child_hash=a.content_hash,
        verdict_id=verdict.id,
    )
    assert (
        ledger.add_lever(
            parent_hash=root.content_hash, lever_id="a", when="confirmed", child_hash=a.content_hash
        )
        == lever
    )
    with pytest.raises(LedgerError, match="different target"):
        ledger.add_lever(
            parent_hash=root.content_hash, lever_id="a", when="refuted", child_hash=a.content_hash
        )
    with pytest.raises(LedgerError, match="is not derived from"):
        ledger.add_lever(
            parent_hash=a.content_hash, lever_id="b", when="refuted", child_hash=b.content_hash
        )
    with pytest.raises(LedgerError, match="exactly one of child_hash or next_id"):
        ledger.add_lever(parent_hash=root.content_hash, lever_id="n", when="refuted")
    nxt = ledger.add_lever(
        parent_hash=root.content_hash, lever_id="then", when="refuted", next_id="H2"
    )
    assert (nxt.child_hash, nxt.next_id) == (None, "H2")
    assert [lv.lever_id for lv in ledger.levers(root.content_hash)] == ["a", "then"]


def test_runs(ledger: Ledger, clock: FakeClock) -> None:
    run = ledger.start_run(
        code_version="abc", host="box", budget_seconds=3600, workers=2, hypotheses_dir="hyp/"
    )
    assert (run.status, run.workers, run.budget_seconds, run.started_at) == (
        "running",
        2,
        3600.0,
        T0,
    )
    clock.advance(30)
    assert ledger.heartbeat_run(run.id).last_heartbeat == clock.now
    done = ledger.finish_run(run.id, "budget_exhausted", {"verdicts": 3, "family": "holm"})
    assert done.status == "budget_exhausted" and done.summary == {"verdicts": 3, "family": "holm"}
    assert ledger.finish_run(run.id, "budget_exhausted", {"verdicts": 3, "family": "holm"}) == done
    with pytest.raises(LedgerError, match="already ended"):
        ledger.finish_run(run.id, "failed")
    with pytest.raises(LedgerError, match="status"):
        ledger.finish_run(run.id, "exploded")
    with pytest.raises(NotFoundError):
        ledger.heartbeat_run(999)
    with pytest.raises(LedgerError, match="workers"):
        ledger.start_run(code_version="abc", host="box", workers=0)
    assert ledger.runs() == [done]


def test_verdicts_are_idempotent_and_recompute_supersedes(ledger: Ledger, clock: FakeClock) -> None:
    h = register(ledger)
    first = ledger.write_verdict(verdict_args(h))
    assert ledger.write_verdict(verdict_args(h, run_id=None)) == first
    changed = verdict_args(h, outcome="inconclusive", ci_low=-0.1, estimate=0.2)
    with pytest.raises(LedgerError, match="pass recompute=True"):
        ledger.write_verdict(changed)
    clock.advance(1)
    second = ledger.write_verdict(changed, recompute=True)
    assert second.id != first.id and second.outcome == "inconclusive"
    assert ledger.verdicts() == [second]
    history = ledger.verdicts(current_only=False)
    assert [(v.id, v.superseded) for v in history] == [(first.id, True), (second.id, False)]
    other_cell = ledger.write_verdict(
        verdict_args(h, cell="rho=0.1", degenerate=True, ci_low=0.3, ci_high=0.3, estimate=0.3)
    )
    assert other_cell.degenerate and other_cell.seeds == (0, 1, 2, 3, 4)
    assert [v.cell_id for v in ledger.verdicts(hypothesis="H1")] == ["", "rho=0.1"]
    assert ledger.verdicts(outcome="refuted") == []
    adjustment = {
        "adjusted_outcome": "inconclusive",
        "adjusted_p": 0.2,
        "adjusted_alpha": 0.025,
        "adjusted_ci_low": -0.2,
        "adjusted_ci_high": 0.6,
        "correction": "holm over 2 (H1)",
    }
    annotated = ledger.annotate_verdict(second.id, adjustment)
    assert (annotated.adjusted_outcome, annotated.adjusted_p, annotated.correction) == (
        "inconclusive",
        0.2,
        "holm over 2 (H1)",
    )
    assert annotated.decisive == "inconclusive"
    assert ledger.write_verdict(changed) == annotated  # the correction is not the finding
    # Stored once: the same adjustment again is a no-op, a different one is refused.
    assert ledger.annotate_verdict(second.id, adjustment) == annotated
    with pytest.raises(LedgerError, match="never rewritten"):
        ledger.annotate_verdict(second.id, {**adjustment, "adjusted_outcome": "confirmed"})
    with pytest.raises(LedgerError, match="never rewritten"):
        ledger.write_verdict({**changed, **adjustment, "adjusted_p": 0.01})
    assert ledger.verdicts(hypothesis="H1")[0] == annotated
    # An explicit recompute may re-adjust: the old row is superseded, never edited.
    redone = ledger.write_verdict({**changed, **adjustment, "adjusted_p": 0.01}, recompute=True)
    assert redone.id != annotated.id and redone.adjusted_p == 0.01
    assert ledger.get(f"verdict:{annotated.id}").superseded  # type: ignore[union-attr]


def test_families_are_fixed_when_registered(ledger: Ledger) -> None:
    a, b = register(ledger, "A"), register(ledger, "B")
    fam = {"name": "shared", "method": "holm", "alpha": 0.05, "size": 3}
    first = ledger.register_family(key="shared@1", members=[b.content_hash, a.content_hash], **fam)
    assert first.members == tuple(sorted([a.content_hash, b.content_hash]))
    assert ledger.register_family(key="shared@1", members=[a.content_hash, b.content_hash], **fam)
    with pytest.raises(LedgerError, match="registered differently"):
        ledger.register_family(key="shared@1", members=[a.content_hash], **fam)
    with pytest.raises(LedgerError, match="already belongs"):
        ledger.register_family(key="other", members=[a.content_hash], **fam)
    assert ledger.family_of(a.content_hash) == first and ledger.family_of("0" * 64) is None
    done = ledger.complete_family("shared@1")
    assert done.completed_at is not None and ledger.complete_family("shared@1") == done
    assert ledger.export()["families"][0]["key"] == "shared@1"


@pytest.mark.parametrize(
    ("over", "fragment"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"ci_low": 0.6}, "ci_low 0.6 > ci_high 0.5"),
        ({"adjusted_ci_low": 0.6, "adjusted_ci_high": 0.5}, "adjusted_ci_low 0.6"),
        ({"confidence": 1.0}, "confidence"),
        ({"estimate": float("inf")}, "finite"),
        ({"n": -1}, "n"),
        ({"hypothesis_hash": "0" * 64}, "is not registered"),
    ],
)
def test_bad_verdicts_are_refused(ledger: Ledger, over: dict[str, Any], fragment: str) -> None:
    h = register(ledger)
    with pytest.raises(LedgerError, match=fragment):
        ledger.write_verdict(verdict_args(h, **over))
    assert ledger.verdicts(current_only=False) == []


def test_database_enforces_one_current_verdict_and_enums(ledger: Ledger) -> None:
    """The constraints hold even for writes that bypass the Ledger's own checks."""
    h = register(ledger)
    v = ledger.write_verdict(verdict_args(h))
    with ledger._engine.connect() as conn:
        row = dict(conn.execute(text("SELECT * FROM verdict")).mappings().one())
    del row["id"]
    insert = text(
        f"INSERT INTO verdict ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"
    )
    bad_writes = [
        (insert, row),  # a second current verdict for the same (hash, cell)
        (text("UPDATE verdict SET outcome = 'maybe' WHERE id = :id"), {"id": v.id}),
        (text("UPDATE verdict SET hypothesis_hash = :h"), {"h": "f" * 64}),
        (
            text(
                "INSERT INTO run (started_at, status, workers, runner, code_version, host, "
                "last_heartbeat) VALUES ('2030-01-01', 'weird', 1, 'r', 'c', 'h', '2030-01-01')"
            ),
            {},
        ),
    ]
    for stmt, params in bad_writes:
        with pytest.raises(IntegrityError), ledger._engine.begin() as conn:
            conn.execute(stmt, params)
    superseded = dict(row, superseded=True)
    with ledger._engine.begin() as conn:  # superseded rows may repeat (the history)
        conn.execute(insert, superseded)
        conn.execute(insert, superseded)
    assert len(ledger.verdicts(current_only=False)) == 3 and ledger.verdicts() == [v]


def test_get_resolves_any_reference(ledger: Ledger) -> None:
    h = register(ledger)
    run = ledger.start_run(code_version="c", host="h")
    args = trial_args(h)
    ledger.claim_trial(**args, run_id=run.id)
    v = ledger.write_verdict(verdict_args(h))
    lv = ledger.add_lever(parent_hash=h.content_hash, lever_id="n", when="confirmed", next_id="H2")
    assert isinstance(ledger.get("H1"), HypothesisVersion)
    assert ledger.get(h.content_hash[:8]) == h
    assert ledger.get(f"hypothesis:{h.content_hash}") == h
    assert isinstance(ledger.get(args["key"]), TrialRecord)
    assert ledger.get(f"trial:{args['key'][:6]}") == ledger.get_trial(args["key"])
    assert isinstance(ledger.get(f"run:{run.id}"), RunRecord)
    assert isinstance(ledger.get(f"verdict:{v.id}"), VerdictRecord)
    assert isinstance(ledger.get(f"lever:{lv.id}"), LeverRecord)
    assert ledger.get(str(run.id)) == ledger.get_run(run.id)
    with pytest.raises(NotFoundError):
        ledger.get("zzzz-nothing")
    with pytest.raises(LedgerError, match="integers"):
        ledger.get("run:abc")
    assert ledger.get_hypothesis("H1") == h and ledger.get_hypothesis("nope") is None


def test_export_is_json_and_complete(ledger: Ledger) -> None:
    h = register(ledger)
    run = ledger.start_run(code_version="c", host="h")
    args = trial_args(h)
    ledger.claim_trial(**args, run_id=run.id)
    ledger.finish_trial(args["key"], {"m": 1.0}, 0.5)
    ledger.write_verdict(verdict_args(h, run_id=run.id))
    ledger.add_lever(parent_hash=h.content_hash, lever_id="n", when="confirmed", next_id="H2")
    ledger.register_family(
        key="H1@x", name="H1", method="holm", alpha=0.05, size=1, members=[h.content_hash]
    )
    data = json.loads(json.dumps(ledger.export()))
    assert {k: len(v) for k, v in data.items() if isinstance(v, list)} == {
        "hypotheses": 1,
        "runs": 1,
        "trials": 1,
        "verdicts": 1,
        "levers": 1,
        "families": 1,
        "search_candidates": 0,
    }
    assert data["schema_revision"] == ledger.schema_revision()
    assert data["hypotheses"][0]["content"] == content("H1")
    assert data["trials"][0]["metrics"] == {"m": 1.0}
    assert data["runs"][0]["started_at"] == T0.isoformat()
