"""The ratchet runs a search through its seam, and a finished search pre-registers its own
confirmation hypothesis, verdicted by the ordinary statistics (trials run here, in process,
with the real gate and the network flat transformer on a planted knob)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from search_fixtures import search_data, to_toml

from engine.execution.trials import execute
from engine.experiments.catalog import build_catalog
from engine.ratchet.registration import Ratchet, source_files
from engine.reporting import search_views, views
from hypotheses import OUTCOMES, load_directory
from ledger import Ledger

CHEAP: dict[str, Any] = {
    "id": "CHEAP",
    "title": "The oracle keeps a longer horizon than the null proposer",
    "claim": "c",
    "source": "test",
    "world": "network",
    "experiment": "horizon_curve",
    "priority": 1,
    "params": {"steps": 4},
    "seeds": {"initial": [0, 1, 2, 3, 4]},  # the fewest that can decide alone
    "decision": {"direction": "greater", "threshold": 0.0},
}


def _write_registry(root: Path) -> Path:
    from search_fixtures import _toml_value

    registry = root / "registry"
    registry.mkdir()
    data = search_data(space={"train_iters": [1, 30]}, trials=1, generation=1)
    data["search"]["base"]["train_iters"] = 1  # planted: 30 iterations are far better
    data["priority"] = 900
    data["levers"] = [
        {"when": outcome, "id": f"on-{outcome}", "why": "the confirmation decides", "next": "CHEAP"}
        for outcome in ("confirmed", "refuted", "inconclusive")
    ]
    levers = data.pop("levers")
    text = to_toml(data)
    for lever in levers:
        text += "[[levers]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in lever.items())
    (registry / "search.toml").write_text(text)
    cheap = to_toml(CHEAP)
    cheap += '[arms.oracle]\nproposer = "oracle"\n[arms.null]\nproposer = "null"\n'
    cheap += '[effect]\nmetric = "horizon"\nkind = "difference"\ntreatment = "oracle"\n'
    cheap += 'control = "null"\n'
    cheap += '[[levers]]\nwhen = "confirmed"\nid = "tune"\nwhy = "search the flat model"\n'
    cheap += 'next = "S-flat"\n'
    (registry / "cheap.toml").write_text(cheap)
    return registry


def _drain(ratchet: Ratchet, ledger: Ledger) -> list[str]:
    order = []
    while ratchet.queue:
        first = sorted(ratchet.queue.values(), key=lambda q: q.order)[0].hypothesis
        order.append(first.id)
        todo = ratchet.pending()[first.content_hash]
        for r in todo:
            ledger.claim_trial(
                r.key,
                **r.row(),
            )
            ledger.finish_trial(r.key, execute(r.spec), 1.0)
        if not todo:
            ratchet.conclude(first.content_hash)
    return order


def test_a_search_runs_in_the_ratchet_and_registers_its_confirmation(
    home: Path, ledger: Ledger
) -> None:
    registry = _write_registry(home)
    catalog = build_catalog()
    loaded = load_directory(registry, catalog)
    run = ledger.start_run(code_version="test", host="here", budget_seconds=60.0)
    ratchet = Ratchet(ledger, catalog, run.id)
    ratchet.preregister(loaded, source_files(registry, catalog))
    order = _drain(ratchet, ledger)
    # The cheap file's lever pulled the search forward, ahead of its own priority.
    assert order[0] == "CHEAP" and "S-flat" in order
    search = next(h for h in loaded if h.id == "S-flat")
    rows = ledger.candidates(search.content_hash)
    assert [dict(r.config)["train_iters"] for r in rows] == [1, 30]
    assert rows[1].kept and rows[1].loss is not None and rows[0].loss is not None
    assert rows[1].loss < rows[0].loss
    # The confirmation: registered as the search's child, run, and verdicted.
    listed = {r["id"]: r for r in views.hypotheses(ledger)}
    assert "S-flat/confirm-seed0" in listed
    child = ledger.get_hypothesis("S-flat/confirm-seed0")
    assert child is not None and child.parent_hash == search.content_hash
    content = dict(child.content)
    assert content["arms"]["best"]["params"]["train_iters"] == 30
    assert content["arms"]["base"]["params"]["train_iters"] == 1
    assert content["experiment"] == "one_step" and content["seeds"]["initial"] == [1000, 1001]
    # Replicated over five fresh model seeds (none is the search seed its candidates used).
    assert content["seeds"]["model"] == [500_000 + i for i in range(5)]
    assert {a["params"]["model_seed"] for a in content["arms"].values()} == {500_000}
    trials = ledger.trials(hypothesis=child.content_hash, status="finished")
    assert len(trials) == 5 * 2 * 2  # model seeds x evaluation seeds x arms
    fitted = {(t.arm, dict(t.spec)["model_seed"], dict(t.spec)["arm"]["params"]["model_seed"])
              for t in trials}  # fmt: skip
    assert {(arm, m) for arm, m, _ in fitted} == {
        (arm, 500_000 + i) for arm in ("best", "base") for i in range(5)
    } and all(m == fit for _, m, fit in fitted)
    verdicts = [v for v in views.verdicts(ledger) if v["hypothesis"] == "S-flat/confirm-seed0"]
    assert len(verdicts) == 1 and verdicts[0]["outcome"] in OUTCOMES
    assert verdicts[0]["estimate"] < 0  # best minus base bits-to-correct: the planted gain
    # The planted knob's gain survives fresh models: confirmed by the two-level bootstrap.
    assert verdicts[0]["outcome"] == "confirmed"
    assert verdicts[0]["method"].startswith("two-level bootstrap"), verdicts[0]
    # The search's own levers fire on its confirmation's outcome.
    fired = ledger.levers(parent_hash=search.content_hash)
    assert [(lv.lever_id, lv.when) for lv in fired] == [
        (f"on-{verdicts[0]['outcome']}", verdicts[0]["outcome"])
    ]
    report = search_views.search_report(ledger, "S-flat")
    assert report["confirmations"] == {"S-flat/confirm-seed0": verdicts[0]["outcome"]}
    # A second ratchet on the same ledger has nothing left to do.
    again = Ratchet(ledger, catalog, run.id)
    again.preregister(loaded, source_files(registry, catalog))
    assert not again.queue
