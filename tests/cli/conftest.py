"""A small ledger written through the ledger's own API, for the read-only CLI commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hypotheses import Hypothesis, derive_child, parse_hypothesis
from ledger import Ledger


def tiny_hypothesis() -> Hypothesis:
    data: dict[str, Any] = {
        "id": "HX",
        "title": "Oracle keeps the horizon",
        "claim": "c",
        "source": "test",
        "world": "network",
        "experiment": "horizon_curve",
        "params": {"steps": 4},
        "arms": {"oracle": {"proposer": "oracle"}, "null": {"proposer": "null"}},
        "seeds": {"initial": [0, 1]},
        "effect": {
            "metric": "h_eps",
            "kind": "difference",
            "treatment": "oracle",
            "control": "null",
        },
        "decision": {"direction": "greater", "threshold": 0.0},
        "levers": [
            {"when": "confirmed", "id": "more", "why": "w", "set": {"params.steps": 8}},
        ],
    }
    return parse_hypothesis(data)


@pytest.fixture
def filled_ledger(tmp_path: Path) -> tuple[str, dict[str, Any]]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    h = tiny_hypothesis()
    child = derive_child(h, h.levers[0])
    keys = []
    with Ledger(url) as ledger:
        ledger.register_hypothesis(h.canonical(), h.content_hash, h.id, h.title, "HX.toml")
        run = ledger.start_run(code_version="test", host="here", budget_seconds=60.0)
        for arm, value in (("oracle", 4.0), ("null", 0.0)):
            for seed in (0, 1):
                key = f"{arm}-{seed}-" + "0" * 8
                spec = {"world": "network", "experiment": "horizon_curve", "seed": seed}
                ledger.claim_trial(
                    key,
                    hypothesis_hash=h.content_hash,
                    cell_id="",
                    arm=arm,
                    seed=seed,
                    spec=spec,
                    run_id=run.id,
                )
                ledger.finish_trial(key, {"h_eps": value}, 0.01)
                keys.append(key)
        verdict = ledger.write_verdict(
            {
                "hypothesis_hash": h.content_hash,
                "cell_id": "",
                "outcome": "confirmed",
                "effect_metric": "h_eps",
                "effect_kind": "difference",
                "estimate": 4.0,
                "ci_low": 4.0,
                "ci_high": 4.0,
                "confidence": 0.9,
                "ci_method": "degenerate",
                "n": 2,
                "seeds": [0, 1],
                "degenerate": True,
                "rule": "confirmed iff ...",
                "p_value": 0.25,
                "run_id": run.id,
            }
        )
        ledger.register_hypothesis(
            child.canonical(),
            child.content_hash,
            child.id,
            child.title,
            None,
            parent_hash=h.content_hash,
            lever_id="more",
            depth=1,
        )
        ledger.add_lever(
            parent_hash=h.content_hash,
            lever_id="more",
            when="confirmed",
            child_hash=child.content_hash,
            verdict_id=verdict.id,
            run_id=run.id,
        )
        ledger.finish_run(run.id, "finished", {"note": "test"})
    return url, {"hash": h.content_hash, "child": child.content_hash, "keys": keys}
