"""The live progress bar counts what the ledger holds, and comes and goes cleanly."""

from __future__ import annotations

import time
from typing import Any

from engine.cli.run import _counts, live_progress
from ledger import Ledger


def test_counts_read_the_latest_run(filled_ledger: tuple[str, dict[str, Any]]) -> None:
    url, _ = filled_ledger
    with Ledger(url) as ledger:
        run_id, counts, verdicts = _counts(ledger, since=time.time() - 600)
        assert (run_id, counts, verdicts) == (1, {"finished": 4}, 1)
        assert _counts(ledger, since=time.time() + 600) == (None, {}, 0)


def test_progress_bar_polls_and_stops(filled_ledger: tuple[str, dict[str, Any]]) -> None:
    url, _ = filled_ledger
    started = time.time()
    with live_progress(url, started - 1.0, budget_seconds=60.0):
        time.sleep(1.2)
    assert time.time() - started < 10
