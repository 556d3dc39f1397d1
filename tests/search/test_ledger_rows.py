"""`search_candidate` rows: one per proposal slot, settled once, tied to a registered search."""

from __future__ import annotations

from typing import Any

import pytest
from search_fixtures import search_hypothesis

from ledger import Ledger, LedgerError


def slot(h: Any, idx: int = 0, **over: Any) -> dict[str, Any]:
    return {
        "search_hash": h.content_hash,
        "search_seed": 0,
        "idx": idx,
        "generation": 0,
        "parent_idx": None,
        "controller": "base",
        "config": {"lr": 0.01},
        "edit": {},
        "move": None,
        "proposal": None,
        "status": "proposed",
        "trial_key": "k" * 64,
        "seal_digest": "d" * 64,
        "reason": None,
        "run_id": None,
        **over,
    }


def test_a_slot_is_written_once_and_settled_once(ledger: Ledger) -> None:
    h = search_hypothesis()
    with pytest.raises(LedgerError, match="is not registered"):
        ledger.add_candidate(**slot(h))
    ledger.register_hypothesis(h.canonical(), h.content_hash, h.id, h.title, None)
    first = ledger.add_candidate(**slot(h))
    again = ledger.add_candidate(**slot(h, config={"lr": 0.5}))  # a racing proposer
    assert again == first and dict(again.config) == {"lr": 0.01}
    done = ledger.settle_candidate(
        first.id, status="scored", score=1.5, loss=1.5, recheck_key=None, recheck_loss=None,
        flagged=False, kept=True, best_after=1.5, reason="base",
    )  # fmt: skip
    assert done.kept and done.status == "scored"
    with pytest.raises(LedgerError, match="already scored"):
        ledger.settle_candidate(
            first.id, status="scored", score=0.0, loss=0.0, recheck_key=None,
            recheck_loss=None, flagged=False, kept=True, best_after=0.0, reason="x",
        )  # fmt: skip
    with pytest.raises(LedgerError, match="finite"):
        other = ledger.add_candidate(**slot(h, idx=1))
        ledger.settle_candidate(
            other.id, status="scored", score=float("nan"), loss=1.0, recheck_key=None,
            recheck_loss=None, flagged=False, kept=False, best_after=1.5, reason="x",
        )  # fmt: skip
    with pytest.raises(LedgerError, match="proposed or refused"):
        ledger.add_candidate(**slot(h, idx=2, status="scored"))
    refused = ledger.add_candidate(
        **slot(h, idx=3, status="refused", trial_key=None, reason="names 'oracle'")
    )
    assert refused.reason == "names 'oracle'"
    assert [c.idx for c in ledger.candidates(h.content_hash)] == [0, 1, 3]
    assert [c["idx"] for c in ledger.export()["search_candidates"]] == [0, 1, 3]


def test_a_generation_is_written_whole_or_not_at_all(ledger: Ledger) -> None:
    """A resumed search must never find half a generation (its rest would be proposed from
    another history): one bad row and none of its generation is stored."""
    h = search_hypothesis()
    ledger.register_hypothesis(h.canonical(), h.content_hash, h.id, h.title, None)
    with pytest.raises(LedgerError, match="proposed or refused"):
        ledger.add_candidates([slot(h, idx=0), slot(h, idx=1), slot(h, idx=2, status="kept")])
    assert ledger.candidates(h.content_hash) == []
    written = ledger.add_candidates([slot(h, idx=0), slot(h, idx=1)])
    assert [c.idx for c in written] == [0, 1]
    assert [c.idx for c in ledger.candidates(h.content_hash)] == [0, 1]
