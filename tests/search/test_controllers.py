"""Controllers: deterministic given the seed, inside the space, and the LLM's fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from search_fixtures import lr_loss, run_search, search_hypothesis

from engine.search.llm_policy import build_prompt, stub_policy
from engine.search.registry import CONTROLLERS, get_controller
from engine.search.space import screen
from ledger import Ledger

SEARCHING = ["coordinate", "evolutionary", "bandit", "optuna", "llm-stub"]


def trace(ledger: Ledger, digest: str) -> list[tuple[int, str, str, str, str | None]]:
    return [
        (c.idx, c.status, c.controller, json.dumps(dict(c.config), sort_keys=True), c.reason)
        for c in ledger.candidates(digest)
    ]


@pytest.mark.parametrize("controller", SEARCHING)
def test_a_search_is_a_pure_function_of_its_seed(tmp_path: Path, controller: str) -> None:
    h = search_hypothesis(controller=controller, trials=6)
    traces = []
    for run in ("a", "b"):
        home = tmp_path / run
        home.mkdir()
        with Ledger(f"sqlite:///{home / 'l.db'}") as ledger:
            run_search(ledger, h, home=home)
            traces.append(trace(ledger, h.content_hash))
    assert traces[0] == traces[1]
    assert len([t for t in traces[0] if t[0] > 0 and t[1] != "refused"]) == 6


@pytest.mark.parametrize("controller", SEARCHING)
def test_every_controller_stays_in_the_space(home: Path, ledger: Ledger, controller: str) -> None:
    h = search_hypothesis(controller=controller, trials=8)
    assert h.search is not None
    run_search(ledger, h, home=home)
    rows = [r for r in ledger.candidates(h.content_hash) if r.status != "refused"]
    assert len(rows) == 9
    for row in rows:
        assert row.status == "scored"
        assert screen(h.search, h.search.base, dict(row.config)) is None


def test_search_seeds_give_different_searches(home: Path, ledger: Ledger) -> None:
    data_h = search_hypothesis(trials=4)
    two = data_h.model_copy(update={"seeds": data_h.seeds.model_copy(update={"initial": (0, 1)})})
    run_search(ledger, two, home=home)
    a = [dict(c.config) for c in ledger.candidates(two.content_hash, 0)]
    b = [dict(c.config) for c in ledger.candidates(two.content_hash, 1)]
    assert a[0] == b[0] and a != b


def test_smarter_controllers_find_the_planted_optimum_from_the_history(
    home: Path, ledger: Ledger
) -> None:
    """Not a benchmark (that is AR4, verdicted over seeds): the history must steer them."""
    for controller in ("bandit", "optuna", "llm-stub"):
        h = search_hypothesis(controller=controller, trials=12)
        driver = run_search(ledger, h, home=home)
        f = driver.frontier(0)
        assert f.done and f.best_loss is not None and f.base_loss is not None
        assert f.best_loss < f.base_loss, controller


@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        ("I would rather not.", "reply holds no JSON object"),
        ('{"lr": "fast"}', "outside its allowed values"),
        ('{"dropout": 0.5}', "a knob outside the declared space"),
        ('{"oracle": "mine"}', "a parameter of the judge"),
        ('{"train_iters": 100000}', "compute ceiling"),
    ],
)
def test_a_bad_llm_reply_is_recorded_refused_and_falls_back_to_coordinate(
    home: Path, ledger: Ledger, reply: str, fragment: str
) -> None:
    calls: list[str] = []

    def complete(prompt: str) -> str:
        calls.append(prompt)
        return reply

    h = search_hypothesis(controller="llm", trials=2, generation=1)
    run_search(ledger, h, home=home, complete=complete)
    rows = ledger.candidates(h.content_hash)
    refused = [r for r in rows if r.status == "refused"]
    fallback = [r for r in rows if r.controller == "llm>coordinate"]
    assert len(refused) == 2 == len(fallback) == len(calls)
    assert all(fragment in (r.reason or "") and r.proposal == reply for r in refused)
    assert all(r.trial_key is None for r in refused)
    assert all(r.status == "scored" for r in fallback)


def test_a_failing_client_falls_back_too(home: Path, ledger: Ledger) -> None:
    def broken(prompt: str) -> str:
        raise RuntimeError("model unavailable")

    h = search_hypothesis(controller="llm", trials=1, generation=1)
    run_search(ledger, h, home=home, complete=broken)
    refused = [r for r in ledger.candidates(h.content_hash) if r.status == "refused"]
    assert len(refused) == 1 and "model unavailable" in (refused[0].reason or "")


def test_the_llm_is_asked_once_per_slot_and_its_reply_is_on_record(
    home: Path, ledger: Ledger
) -> None:
    calls: list[str] = []

    def complete(prompt: str) -> str:
        calls.append(prompt)
        return stub_policy(prompt)

    h = search_hypothesis(controller="llm", trials=4)
    run_search(ledger, h, home=home, complete=complete)
    rows = [r for r in ledger.candidates(h.content_hash) if r.idx > 0]
    assert len(calls) == 4 and [r.proposal for r in rows] == [stub_policy(p) for p in calls]
    # A resumed search reads the proposals back: the model is not asked again.
    run_search(ledger, h, home=home, complete=complete)
    assert len(calls) == 4


def test_the_prompt_is_the_history_as_a_compact_table(home: Path, ledger: Ledger) -> None:
    h = search_hypothesis(trials=3)
    driver = run_search(ledger, h, home=home)
    prompt = build_prompt(driver.view(ledger.candidates(h.content_hash)))
    assert "bits_to_correct (lower is better" in prompt
    assert '"lr":{"high":0.1,"log":true,"low":0.0001}' in prompt
    assert prompt.count("\n| ") == 5  # header + the base + 3 candidates
    best = min(lr_loss(dict(c.config), "primary") for c in ledger.candidates(h.content_hash))
    assert f"{best:.6g}" in prompt


def test_unknown_controller_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown controller 'x'"):
        get_controller("x")
    assert set(SEARCHING) | {"llm"} == set(CONTROLLERS)


def test_a_live_model_is_reached_only_through_the_command_variable(
    home: Path, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex
    import sys

    h = search_hypothesis(controller="llm", trials=2, generation=1)
    monkeypatch.delenv("VERISIM_LLM_COMMAND", raising=False)
    run_search(ledger, h, home=home)
    refused = [r for r in ledger.candidates(h.content_hash) if r.status == "refused"]
    assert len(refused) == 2 and all("VERISIM_LLM_COMMAND is not set" in (r.reason or "")
                                     for r in refused)  # fmt: skip
    reply = "import sys; sys.stdin.read(); print('{\"train_iters\": 8}')"
    monkeypatch.setenv(
        "VERISIM_LLM_COMMAND", f"{shlex.quote(sys.executable)} -c {shlex.quote(reply)}"
    )
    other = search_hypothesis(controller="llm", trials=2, generation=1, eval_cells=3)
    run_search(ledger, other, home=home)
    rows = ledger.candidates(other.content_hash)
    assert rows[1].controller == "llm" and dict(rows[1].edit) == {"train_iters": 8}
    assert rows[1].proposal is not None and rows[1].move == "train_iters:+"
    assert rows[2].status == "refused" and "already tried" in (rows[2].reason or "")
    assert rows[3].controller == "llm>coordinate"
