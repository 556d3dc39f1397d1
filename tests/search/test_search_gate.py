"""The gate: sealed cells nobody else can read, and hostile candidates refused before they run."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from search_fixtures import run_search, search_hypothesis

from engine.execution.trials import spec_to_dict
from engine.experiments.base import ExperimentError
from engine.search.gate import SEALED_SEED_BASE, ConfigSearchGate, SealError, open_seal
from engine.search.space import screen
from ledger import Ledger


def test_the_seal_is_created_once_owner_only_and_draws_fixed_cells(home: Path) -> None:
    seal = open_seal(home)
    assert stat.S_IMODE(seal.path.stat().st_mode) == 0o600
    again = open_seal(home)
    assert again.digest == seal.digest
    cells = seal.cells("a" * 64, "primary", 4)
    assert cells == again.cells("a" * 64, "primary", 4)
    assert all(c >= SEALED_SEED_BASE for c in cells) and len(set(cells)) == 4
    assert seal.cells("a" * 64, "recheck", 4) != cells
    assert seal.cells("b" * 64, "primary", 4) != cells
    assert seal.digest[:12] in repr(seal) and str(cells[0]) not in repr(seal)


def test_searches_of_one_problem_share_cells_whatever_their_controller(
    home: Path, ledger: Ledger
) -> None:
    a = run_search(ledger, search_hypothesis(controller="bandit"), home=home, stop_after=0)
    b = run_search(ledger, search_hypothesis(controller="optuna"), home=home, stop_after=0)
    c = run_search(ledger, search_hypothesis(objective="delta_exact"), home=home, stop_after=0)
    assert a.hypothesis.content_hash != b.hypothesis.content_hash
    assert a.cells_key == b.cells_key != c.cells_key


def test_another_data_directory_has_another_seal(tmp_path: Path) -> None:
    a, b = open_seal(tmp_path / "a"), open_seal(tmp_path / "b")
    assert a.digest != b.digest
    assert a.cells("a" * 64, "primary", 2) != b.cells("a" * 64, "primary", 2)


def test_nothing_a_candidate_or_controller_reads_holds_the_sealed_cells(
    home: Path, ledger: Ledger
) -> None:
    h = search_hypothesis()
    driver = run_search(ledger, h, home=home)
    cells = driver.seal.cells(driver.cells_key, "primary", 2) + driver.seal.cells(
        driver.cells_key, "recheck", 2
    )
    rows = ledger.candidates(h.content_hash)
    view = driver.view(rows)
    readable = [json.dumps(spec_to_dict(r.spec), sort_keys=True) for r in driver.step(0)]
    readable += [json.dumps(c.to_dict()) for c in rows]
    readable += [json.dumps(t.to_dict(), default=str) for t in ledger.trials()]
    readable += [repr(view)]
    text = "\n".join(readable)
    assert driver.seal.digest in text  # the digest is on record ...
    for seed in cells:
        assert str(seed) not in text  # ... the cells are not
    assert driver.seal._secret.hex() not in text


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"lr": 0.01, "oracle": "fake"}, "'oracle', a parameter of the judge"),
        ({"lr": 0.01, "eval_seeds": [1]}, "'eval_seeds', a parameter of the judge"),
        ({"lr": 0.01, "model_seed": 7}, "'model_seed', a parameter of the judge"),
        ({"lr": 0.01, "metric": "token_accuracy"}, "parameter of the judge"),
        ({"lr": 0.01, "d_model": 256}, "sets 'd_model', a knob outside the declared space"),
        ({"lr": 0.5}, "sets lr=0.5, outside its allowed values"),
        ({"train_iters": 3}, "sets train_iters=3, outside its allowed values"),
        ({"train_iters": 4000}, "exceeds the per-trial compute ceiling 8"),
        ({"n_layer": 1, "n_head": 1, "train_iters": 4}, "drops base parameter 'd_model'"),
    ],
)
def test_hostile_candidates_are_refused_with_the_reason(
    config: dict[str, object], fragment: str
) -> None:
    h = search_hypothesis()
    assert h.search is not None
    full = {**h.search.base, **config}
    if "d_model" not in config and fragment.startswith("drops"):
        full.pop("d_model")
    reason = screen(h.search, h.search.base, full)
    assert reason is not None and fragment in reason


def test_in_space_candidates_pass_the_screen() -> None:
    h = search_hypothesis()
    assert h.search is not None
    assert screen(h.search, h.search.base, dict(h.search.base)) is None
    assert screen(h.search, h.search.base, {**h.search.base, "lr": 0.01, "train_iters": 8}) is None


def test_the_gate_kind_refuses_a_judge_knob_or_a_larger_ceiling_even_unscreened(
    home: Path, ledger: Ledger
) -> None:
    h = search_hypothesis()
    ledger.register_hypothesis(h.canonical(), h.content_hash, h.id, h.title, None)
    driver = run_search(ledger, h, home=home, stop_after=0)
    good = driver.request({"d_model": 8, "n_head": 1, "n_layer": 1, "train_iters": 4}, "primary", 0)
    for bad_params, fragment in (
        ({**good.spec.arm.params, "train_iters": 64}, "exceeds the compute ceiling 8"),
        ({**good.spec.arm.params, "seal": "x"}, "judge parameter 'seal'"),
    ):
        spec = type(good.spec)(
            good.spec.world,
            good.spec.world_config,
            good.spec.experiment,
            good.spec.params,
            type(good.spec.arm)(good.spec.arm.proposer, bad_params),
            0,
        )
        with pytest.raises(ExperimentError, match=fragment):
            ConfigSearchGate().run(spec)


def test_a_trial_scored_under_another_seal_does_not_run(
    home: Path, ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = search_hypothesis()
    driver = run_search(ledger, h, home=home, stop_after=0)
    request = driver.request(dict(h.search.base) if h.search else {}, "primary", 0)
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("VERISIM_HOME", str(elsewhere))
    with pytest.raises(SealError, match="no seal"):
        ConfigSearchGate().run(request.spec)
    open_seal(elsewhere)
    with pytest.raises(SealError, match="is not the one this search was scored with"):
        ConfigSearchGate().run(request.spec)
