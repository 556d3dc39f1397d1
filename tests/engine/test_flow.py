"""The flow end to end on planted truths: known outcomes, levers, resume, recompute.

One in-process run per module (Prefect's session harness, the default thread task runner; the
trials still run in their own processes), then the assertions read the ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ledger import Ledger

PLANTED = Path(__file__).resolve().parents[1] / "data" / "hypotheses" / "planted"


def run_flow(url: str, figures: Path, **kwargs: Any) -> dict[str, Any]:
    from engine.ratchet.flow import research_run

    result: dict[str, Any] = research_run(
        ledger_url=url,
        hypotheses_dir=str(PLANTED),
        budget_seconds=kwargs.pop("budget_seconds", 300.0),
        figures_dir=str(figures),
        **kwargs,
    )
    return result


@pytest.fixture(scope="module")
def planted_run(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("planted")
    url = f"sqlite:///{root / 'ledger.db'}"
    first = run_flow(url, root / "figures")
    second = run_flow(url, root / "figures")
    return {"url": url, "root": root, "first": first, "second": second}


def outcomes(ledger: Ledger) -> dict[tuple[str, str], str | None]:
    """The decisive (family-adjusted) outcome of every current verdict."""
    ids = {v.content_hash: v.hypothesis_id for v in ledger.hypotheses()}
    return {(ids[v.hypothesis_hash], v.cell_id): v.adjusted_outcome for v in ledger.verdicts()}


def test_planted_truths_come_out_as_they_must(planted_run: dict[str, Any]) -> None:
    with Ledger(planted_run["url"]) as ledger:
        got = outcomes(ledger)
    assert got[("PLANT-oracle", "")] == "confirmed"
    assert got[("PLANT-null", "")] == "refuted"
    assert got[("PLANT-curve", "rho=0.0")] == "confirmed"
    assert got[("PLANT-curve", "rho=1.0")] == "refuted"  # both keep H = T: inside the band
    assert got[("PLANT-oracle/longer", "")] == "confirmed"
    assert planted_run["first"]["status"] == "finished"


def test_lever_child_is_preregistered_with_its_parent(planted_run: dict[str, Any]) -> None:
    with Ledger(planted_run["url"]) as ledger:
        versions = {v.hypothesis_id: v for v in ledger.hypotheses()}
        parent, child = versions["PLANT-oracle"], versions["PLANT-oracle/longer"]
        assert child.parent_hash == parent.content_hash and child.lever_id == "longer"
        assert dict(child.content)["params"]["steps"] == 16
        levers = ledger.levers(parent_hash=parent.content_hash)
        assert [(lv.lever_id, lv.when, lv.child_hash) for lv in levers] == [
            ("longer", "confirmed", child.content_hash)
        ]
        # Pre-registration: every version was recorded before its first trial was claimed.
        for v in versions.values():
            claims = [t.claimed_at for t in ledger.trials(hypothesis=v.content_hash)]
            assert claims and v.registered_at <= min(c for c in claims if c is not None)


def test_every_verdict_carries_its_evidence(planted_run: dict[str, Any]) -> None:
    with Ledger(planted_run["url"]) as ledger:
        verdicts = ledger.verdicts()
        assert len(verdicts) == 6
        for v in verdicts:
            assert v.n == len(v.seeds) and tuple(v.seeds) == tuple(range(v.n))
            assert v.ci_low is not None and v.ci_high is not None and v.ci_low <= v.ci_high
            assert v.p_value is not None and v.correction is not None
            assert v.adjusted_outcome in ("confirmed", "refuted", "inconclusive")
            assert v.rule.startswith("confirmed iff")
            # The decisive interval is at the member's level, never narrower than the raw one.
            assert v.adjusted_alpha is not None and v.alpha is not None
            assert v.adjusted_alpha <= v.alpha and v.confidence == pytest.approx(1 - 2 * v.alpha)
            assert v.adjusted_ci_low is not None and v.adjusted_ci_low <= v.ci_low
        curve = [v for v in verdicts if v.cell_id]
        assert {v.family for v in curve} == {curve[0].family} and len(curve) == 3
        assert all(v.correction == "holm over 3 (PLANT-curve)" for v in curve)
        trials = ledger.trials()
        assert len(trials) == 61 and {t.status for t in trials} == {"finished"}
    summary = planted_run["first"]
    assert summary["trials"]["finished"] == 61
    assert any(c["child"] == "PLANT-oracle/longer" for c in summary["children"])
    assert [Path(f).name for f in summary["figures"]] == ["PLANT-curve-horizon-vs-rho.png"]


def test_second_run_resumes_without_repeating(planted_run: dict[str, Any]) -> None:
    second = planted_run["second"]
    assert second["trials"] == {"finished": 0, "failed": 0, "crashed": 0, "cut": 0, "reused": 0}
    assert second["concluded"] == [] and second["status"] == "finished"
    with Ledger(planted_run["url"]) as ledger:
        assert ledger.trials(run_id=second["run_id"]) == []
        assert ledger.verdicts(run_id=second["run_id"]) == []
        assert len(ledger.verdicts(current_only=False)) == 6


def test_recompute_rewrites_nothing_when_the_finding_is_the_same(
    planted_run: dict[str, Any],
) -> None:
    third = run_flow(planted_run["url"], planted_run["root"] / "figures", recompute=True)
    assert third["trials"]["finished"] == 0
    assert {c["hypothesis"] for c in third["concluded"]} == {
        "PLANT-oracle",
        "PLANT-oracle/longer",
        "PLANT-null",
        "PLANT-curve",
    }
    with Ledger(planted_run["url"]) as ledger:
        assert len(ledger.verdicts(current_only=False)) == 6  # same findings: no new rows


def test_artifacts_reach_prefect(planted_run: dict[str, Any]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["run-summary", "verdict-family", "verdict-plant-null"])
            )
        )
    keys = {a.key for a in found}
    assert {"run-summary", "verdict-family", "verdict-plant-null"} <= keys
    # the harness's server is shared by this worker's tests: pick this module's run summaries
    planted = [a for a in found if a.key == "run-summary" and "PLANT-curve" in str(a.data)]
    assert planted, "no run summary of the planted run"
    assert any("data:image/png;base64," in str(a.data) for a in planted)  # the H_eps(rho) plot


def test_a_trial_cut_by_the_budget_is_marked_and_the_run_says_so(
    prefect_api: str, tmp_path: Path
) -> None:
    from engine.ratchet.flow import research_run

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    result = research_run(
        ledger_url=url,
        hypotheses_dir=str(PLANTED.parent / "slow"),
        budget_seconds=8.0,
        figures_dir=str(tmp_path / "figures"),
    )
    assert result["status"] == "budget_exhausted"
    assert result["trials"]["cut"] == 1 and result["trials"]["finished"] == 0
    with Ledger(url) as ledger:
        trials = ledger.trials()
        # the other seeds never started: they stay in the ledger's queue, planned
        statuses = [t.status for t in trials]
        assert statuses.count("cut") == 1 and set(statuses) == {"cut", "pending"}
        assert ledger.verdicts() == []
        assert ledger.runs()[0].status == "budget_exhausted"


def test_figures_command_redraws_from_the_ledger(
    planted_run: dict[str, Any], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from engine.cli.app import app

    result = CliRunner().invoke(
        app, ["figures", "--ledger", planted_run["url"], "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "PLANT-curve-horizon-vs-rho.png").read_bytes()[:4] == b"\x89PNG"
