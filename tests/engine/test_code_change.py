"""After a code change a run re-runs trials instead of reusing the old code's results, and a
verdict is judged on the current code's trials only (an old result is never mixed in)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from engine.execution import batch, trials
from engine.execution.source_hash import source_hash
from ledger import Ledger

FILE = """
id = "CODE-A"
title = "oracle against null"
claim = "The oracle's horizon exceeds the null proposer's."
source = "test: code change"
world = "filesystem"
experiment = "horizon_curve"

[params]
rho = 0.0
steps = 6

[arms.oracle]
proposer = "oracle"

[arms.null]
proposer = "null"

[seeds]
initial = [0, 1, 2, 3, 4]  # 5: the fewest that can decide at 0.05

[effect]
metric = "horizon"
kind = "difference"
treatment = "oracle"
control = "null"

[decision]
direction = "greater"
threshold = 0.0
"""


def run(url: str, directory: Path, **kwargs: Any) -> dict[str, Any]:
    from engine.ratchet.flow import research_run

    result: dict[str, Any] = research_run(
        ledger_url=url,
        hypotheses_dir=str(directory),
        budget_seconds=120.0,
        figures_dir=str(directory / "figures"),
        **kwargs,
    )
    return result


def test_a_code_change_reruns_and_judges_only_the_new_code(
    prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "code_a.toml").write_text(FILE)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    first = run(url, tmp_path)
    assert first["trials"]["finished"] == 10
    with Ledger(url) as ledger:
        (verdict,) = ledger.verdicts()
        old = {t.key for t in ledger.trials()}
        assert {t.code_hash for t in ledger.trials()} == {source_hash()}
    # Poison the old code's results: judged together with the new ones they would move the CI.
    with sqlite3.connect(url.removeprefix("sqlite:///")) as con:
        con.execute("""UPDATE trial SET metrics = '{"horizon":-100.0}' WHERE arm = 'oracle'""")
    edited = "e" * 64
    monkeypatch.setattr(trials, "source_hash", lambda: edited)
    monkeypatch.setattr(batch, "source_hash", lambda: edited)
    second = run(url, tmp_path, recompute=True)
    assert second["trials"]["finished"] == 10 and second["trials"]["reused"] == 0
    with Ledger(url) as ledger:
        rows = ledger.trials()
        (current,) = ledger.verdicts()
    assert len(rows) == 20 and {t.key for t in rows} > old
    assert {t.code_hash for t in rows if t.key not in old} == {edited}
    assert (current.outcome, current.estimate, current.ci_low) == (
        verdict.outcome,
        verdict.estimate,
        verdict.ci_low,
    )
