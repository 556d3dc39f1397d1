"""A cell that will get no verdict says why in `ledger verdicts`: a failed (or crashed past the
bound) trial with its error, or a model that failed the file's competence gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from engine.cli.app import app
from engine.execution.trials import plan_trials
from engine.reporting.views import no_verdicts
from hypotheses import Hypothesis, parse_hypothesis
from ledger import Ledger
from ledger.tables import MAX_CRASHES


def hypothesis(gate: bool) -> Hypothesis:
    data: dict[str, Any] = {
        "id": "NV-gate" if gate else "NV",
        "title": "t",
        "claim": "c",
        "source": "seed",
        "world": "filesystem",
        "experiment": "horizon_curve",
        "params": {"steps": 4, "competence": True},
        "grid": {"rho": [0.0, 0.5]},
        "arms": {"a": {"proposer": "oracle"}},
        "seeds": {"initial": [0, 1]},
        "effect": {"metric": "horizon", "kind": "value", "treatment": "a"},
        "decision": {"direction": "greater", "threshold": 0.0},
    }
    if gate:
        data["gate"] = {"metric": "competence_delta_exact", "threshold": 0.5, "why": "K2"}
    return parse_hypothesis(data)


def record(ledger: Ledger, h: Hypothesis, outcome: Any) -> None:
    ledger.register_hypothesis(h.canonical(), h.content_hash, h.id, h.title, None)
    for req in plan_trials(h):
        outcome(ledger, req, req.row())


def test_failed_and_crashed_trials_and_incompetent_models_are_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"

    def fail_one(ledger: Ledger, req: Any, args: dict[str, Any]) -> None:
        if req.cell_id == "rho=0.5" and req.seed == 1:
            assert ledger.claim_trial(req.key, **args)
            ledger.fail_trial(req.key, "ValueError: planted")
        elif req.cell_id == "rho=0.5":
            for _ in range(MAX_CRASHES):
                assert ledger.claim_trial(req.key, **args)
                ledger.crash_trial(req.key, "killed by signal 9")
        else:
            assert ledger.claim_trial(req.key, **args)
            ledger.finish_trial(req.key, {"horizon": 4.0, "competence_delta_exact": 1.0}, 0.1)

    def incompetent(ledger: Ledger, req: Any, args: dict[str, Any]) -> None:
        assert ledger.claim_trial(req.key, **args)
        competence = 0.25 if req.cell_id == "rho=0.0" else 0.75
        ledger.finish_trial(req.key, {"horizon": 1.0, "competence_delta_exact": competence}, 0.1)

    with Ledger(url) as ledger:
        record(ledger, hypothesis(gate=False), fail_one)
        record(ledger, hypothesis(gate=True), incompetent)
        rows = {(r["hypothesis"], r["cell"]): r for r in no_verdicts(ledger)}
    # rho=0.0 of NV finished with no gate: it can still be judged, so it is not listed
    assert set(rows) == {("NV", "rho=0.5"), ("NV-gate", "rho=0.0")}
    failed = rows[("NV", "rho=0.5")]
    assert failed["outcome"] == "no verdict"
    assert "2 trial(s) will not finish" in failed["reason"]
    assert "a seed 1 failed: ValueError: planted" in failed["reason"]
    assert f"a seed 0 crashed: crash {MAX_CRASHES} of at most {MAX_CRASHES}" in failed["reason"]
    gate = rows[("NV-gate", "rho=0.0")]["reason"]
    assert gate.startswith("not competent in cell rho=0.0") and "0.250" in gate
    table = CliRunner().invoke(app, ["ledger", "verdicts", "--ledger", url, "-f", "json"])
    assert table.exit_code == 0 and "not competent in cell rho=0.0" in table.stdout
