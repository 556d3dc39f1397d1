"""The confirmation child's seeds: five or more fresh model seeds beside its evaluation seeds,
planned from the search file and checked when the file is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from search_fixtures import search_data, search_hypothesis, to_toml
from typer.testing import CliRunner

from engine.cli.app import app
from engine.execution.trials import plan_trials
from engine.experiments.catalog import build_catalog
from engine.experiments.data import EVAL_SEED_OFFSET
from engine.search.confirm import confirmation_hypothesis
from engine.search.gate import SEALED_SEED_BASE
from hypotheses import Hypothesis, HypothesisError, check_file, parse_hypothesis
from hypotheses import power as power_module
from hypotheses.search import CONFIRM_SEED_END


def _child(seeds: list[int], seed: int, **search: object) -> tuple[Hypothesis, Hypothesis]:
    data = search_data(**search)
    data["seeds"] = {"initial": seeds}
    h = parse_hypothesis(data, catalog=build_catalog())
    assert h.search is not None
    best = {**h.search.base, "train_iters": 8}
    return h, confirmation_hypothesis(h, seed, best, 3, build_catalog())


def test_the_confirmation_fits_fresh_models_on_every_evaluation_seed() -> None:
    h, child = _child([0, 500_001], 500_001, confirm_seeds=3, confirm_models=6)
    assert child.seeds.model == (500_000, 500_002, 500_003, 500_004, 500_005, 500_006)
    assert not set(child.seeds.model) & set(h.seeds.initial)  # never a search's fit seed
    start = 1000 + 3 * 500_001
    assert child.seeds.initial == (start, start + 1, start + 2)
    _, other = _child([0, 500_001], 0, confirm_seeds=3, confirm_models=6)
    assert not set(other.seeds.initial) & set(child.seeds.initial)
    assert other.seeds.model == child.seeds.model
    trials = plan_trials(child)
    assert len(trials) == 6 * 3 * 2 == len({t.key for t in trials})
    for t in trials:
        assert t.model_seed == t.spec.model_seed == t.spec.arm.params["model_seed"]
        assert t.spec.arm.params["train_iters"] == (8 if t.arm == "best" else 4)
    assert {t.model_seed for t in trials} == set(child.seeds.model)


def test_a_search_declares_at_least_five_model_seeds() -> None:
    assert search_hypothesis().search.confirm_models == 5  # type: ignore[union-attr]
    with pytest.raises(HypothesisError, match=r"search\.confirm_models: must be >= 5"):
        search_hypothesis(confirm_models=4)


def test_confirmation_evaluation_stays_below_the_sealed_cells() -> None:
    assert CONFIRM_SEED_END + EVAL_SEED_OFFSET == SEALED_SEED_BASE


def test_a_search_whose_confirmation_would_leave_its_range_is_refused(tmp_path: Path) -> None:
    ok = search_data(confirm_seeds=2)
    ok["seeds"] = {"initial": [449_499]}  # its last confirmation seed is 899_999
    path = tmp_path / "ok.toml"
    path.write_text(to_toml(ok))
    assert check_file(path, build_catalog())[1] == []
    bad = search_data(confirm_seeds=2)
    bad["seeds"] = {"initial": [449_500]}
    path = tmp_path / "bad.toml"
    path.write_text(to_toml(bad))
    out = CliRunner().invoke(app, ["hypotheses", "validate", str(path)])
    assert out.exit_code == 2
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and "search.confirm_seeds: the confirmation cannot run" in lines[0]
    assert "search seed 449500" in lines[0] and "below 449500" in lines[0]


def test_the_confirmation_power_check_is_the_loaders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a bootstrap too coarse to reach alpha, the search file itself is refused."""
    path = tmp_path / "s.toml"
    path.write_text(to_toml(search_data()))
    assert check_file(path, build_catalog())[1] == []
    monkeypatch.setattr(power_module, "BOOTSTRAP_RESAMPLES", 9)
    problems = check_file(path, build_catalog())[1]
    assert [p.field for p in problems] == ["search.confirm_seeds"]
    assert "the confirmation can never reach a decision" in problems[0].reason


def test_hypotheses_list_shows_the_confirmation_the_engine_will_build(tmp_path: Path) -> None:
    import json

    data = search_data(confirm_seeds=3)
    data["seeds"] = {"initial": [0, 2]}
    (tmp_path / "s.toml").write_text(to_toml(data))
    out = CliRunner().invoke(app, ["hypotheses", "list", "--hypotheses", str(tmp_path),
                                   "--format", "json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    (row,) = json.loads(out.stdout)
    plan = row["confirmation"]
    h = parse_hypothesis(data, catalog=build_catalog())
    for seed in (0, 2):
        child = confirmation_hypothesis(h, seed, dict(h.arms["base"].params), 0, build_catalog())
        assert plan["experiment"] == child.experiment and plan["arms"] == ["best", "base"]
        assert plan["model_seeds"] == list(child.seeds.model or ())
        assert plan["eval_seeds"][str(seed)] == list(child.seeds.initial)
        assert plan["trials_each"] == len(plan_trials(child)) == 5 * 3 * 2


def test_a_confirmation_trial_carries_its_share_of_one_cached_fit() -> None:
    data = search_data(confirm_seeds=4)
    data["estimated_trial_seconds"] = 20.0
    h = parse_hypothesis(data, catalog=build_catalog())
    base = dict(h.arms["base"].params)
    assert confirmation_hypothesis(h, 0, base, 0, None).estimated_trial_seconds == 5.0
    uncached = confirmation_hypothesis(h, 0, {**base, "cache": False}, 0, None)
    assert uncached.estimated_trial_seconds == 20.0


def test_a_confirmation_too_large_to_register_is_refused_with_its_search() -> None:
    with pytest.raises(HypothesisError, match=r"search\.confirm_seeds: the confirmation would"):
        search_hypothesis(confirm_models=1000, confirm_seeds=101)
    with pytest.raises(HypothesisError, match=r"search\.confirm_models: must be <= 10000"):
        search_hypothesis(confirm_models=10_001)
