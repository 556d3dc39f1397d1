"""The read-only ledger commands print every format and refuse a missing ledger cleanly."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from engine.cli.app import app

runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def test_runs_hypotheses_trials_verdicts_in_every_format(
    filled_ledger: tuple[str, dict[str, Any]],
) -> None:
    url, _ = filled_ledger
    runs = json.loads(invoke("ledger", "runs", "--ledger", url, "--format", "json").stdout)
    assert [r["status"] for r in runs] == ["finished"]
    hyps = json.loads(invoke("ledger", "hypotheses", "--ledger", url, "-f", "json").stdout)
    assert {h["id"] for h in hyps} == {"HX", "HX/more"}
    child = next(h for h in hyps if h["id"] == "HX/more")
    assert child["parent"] == "HX" and child["lever"] == "more"
    trials = list(
        csv.DictReader(io.StringIO(invoke("ledger", "trials", "--ledger", url, "-f", "csv").stdout))
    )
    assert len(trials) == 4 and {t["status"] for t in trials} == {"finished"}
    table = invoke("ledger", "verdicts", "--ledger", url)
    assert table.exit_code == 0 and "confirmed" in table.stdout and "HX" in table.stdout
    verdicts = json.loads(invoke("ledger", "verdicts", "--ledger", url, "-f", "json").stdout)
    assert verdicts[0]["estimate"] == 4.0 and verdicts[0]["n"] == 2


def test_show_lineage_export(filled_ledger: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    url, info = filled_ledger
    shown = json.loads(invoke("ledger", "show", "HX", "--ledger", url, "-f", "json").stdout)
    assert shown["hypothesis_id"] == "HX" and shown["trial_counts"] == {"finished": 4}
    text = invoke("ledger", "show", info["keys"][0], "--ledger", url)
    assert text.exit_code == 0 and "h_eps" in text.stdout
    rows = json.loads(invoke("ledger", "lineage", "HX/more", "--ledger", url, "-f", "json").stdout)
    assert [r["id"] for r in rows] == ["HX", "HX/more"]
    assert rows[1]["parent"] == "HX" and rows[1]["when"] == "confirmed"
    out = tmp_path / "export.json"
    assert invoke("ledger", "export", "--ledger", url, "--out", str(out)).exit_code == 0
    document = json.loads(out.read_text())
    assert len(document["trials"]) == 4
    upgraded = invoke("ledger", "upgrade", "--ledger", url)
    assert upgraded.exit_code == 0 and "revision" in upgraded.stdout


def test_missing_ledger_and_bad_refs_are_one_line(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'nope.db'}"
    result = invoke("ledger", "verdicts", "--ledger", missing)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "no ledger" in result.stderr
    assert not (tmp_path / "nope.db").exists()
    bad = invoke("ledger", "runs", "--ledger", "nosuchdb://x")
    assert bad.exit_code == 2 and bad.stderr.startswith("verisim-engine: error:")


def test_unknown_reference(filled_ledger: tuple[str, dict[str, Any]]) -> None:
    url, _ = filled_ledger
    result = invoke("ledger", "show", "zzzzzz", "--ledger", url)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
