"""The SSL experiment kinds at tiny sizes: determinism, cross-kind consistency, bad input."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from engine.experiments import ArmSpec, ExperimentError, TrialSpec, get_experiment
from engine.experiments.catalog import build_catalog

TINY: dict[str, Any] = {
    "iters": 6,
    "batch_size": 8,
    "train_seeds": [0, 1],
    "train_steps": 10,
    "eval_trajectories": 2,
    "eval_steps": 6,
}
ARM = {"d_model": 8, "mp_rounds": 1}


def trial(
    kind: str,
    overrides: Mapping[str, Any],
    seed: int = 0,
    hosts: int = 6,
    model_seed: int | None = None,
    **params: Any,
) -> dict[str, float]:
    arm = dict(ARM) if model_seed is None else {**ARM, "model_seed": model_seed}
    spec = TrialSpec(
        "network",
        {"hosts": hosts, "ports": 2},
        kind,
        {**TINY, **params},
        ArmSpec("graph_rssm", arm, dict(overrides)),
        seed,
        model_seed,
    )
    return get_experiment(kind).run(spec)


@pytest.mark.parametrize(
    ("kind", "overrides"),
    [
        ("jepa_collapse", {"target": "learned", "machinery": True}),
        ("jepa_collapse", {"target": "oracle", "machinery": False}),
        ("contrastive", {"mode": "oracle"}),
        ("contrastive", {"mode": "vicreg"}),
    ],
)
def test_each_kind_replays_exactly_and_depends_on_its_seed(
    kind: str, overrides: Mapping[str, Any]
) -> None:
    a = trial(kind, overrides, seed=3)
    assert a == trial(kind, overrides, seed=3)
    assert a != trial(kind, overrides, seed=4)
    assert set(a) == set(get_experiment(kind).metrics)


@pytest.mark.parametrize(
    ("kind", "overrides", "training_metrics"),
    [
        ("jepa_collapse", {"target": "oracle", "machinery": False},
         ("train_emb_std", "train_eff_rank", "final_loss")),
        ("jepa_collapse", {"target": "learned", "machinery": True},
         ("train_emb_std", "train_eff_rank", "final_loss")),
        ("contrastive", {"mode": "oracle"}, ("final_loss",)),
    ],
)  # fmt: skip
def test_the_model_seed_picks_the_fit_and_the_trial_seed_the_heldout_data(
    kind: str, overrides: Mapping[str, Any], training_metrics: tuple[str, ...]
) -> None:
    """`[seeds] model` crosses fitted models with held-out sets: the arm's `model_seed` alone
    decides the trained weights (init, projection, batch order), the trial seed alone which
    sealed rollouts they are read on."""
    a = trial(kind, overrides, seed=0, model_seed=5)
    assert a == trial(kind, overrides, seed=0, model_seed=5)
    other_model = trial(kind, overrides, seed=0, model_seed=6)
    other_data = trial(kind, overrides, seed=1, model_seed=5)
    for metric in training_metrics:
        assert a[metric] != other_model[metric], metric
        assert a[metric] == other_data[metric], metric
    assert a["eff_rank"] != other_data["eff_rank"]  # another held-out set
    assert a["eff_rank"] != other_model["eff_rank"]  # another model on the same set
    # without an explicit model seed the trial seed is both (the single-level form)
    assert trial(kind, overrides, seed=5) == trial(kind, overrides, seed=5, model_seed=5)


def residual_trial(
    objective: str, seed: int = 0, model_seed: int | None = None, observed: float = 0.5
) -> dict[str, float]:
    """A tiny `residual_objective` trial (no weight cache, so every call fits)."""
    arm = {"d_model": 8, "mp_rounds": 1, "n_layer": 1, "n_head": 1, "train_iters": 60,
           "batch_size": 8, "objective": objective, "cache": False,
           "observed_fraction": observed}  # fmt: skip
    if model_seed is not None:
        arm["model_seed"] = model_seed
    spec = TrialSpec(
        "network",
        {"hosts": 6, "ports": 2},
        "residual_objective",
        {"train_seeds": [0], "train_steps": 12, "eval_trajectories": 1, "eval_steps": 5},
        ArmSpec("graph_rssm", arm),
        seed,
        model_seed,
    )
    return get_experiment("residual_objective").run(spec)


def test_residual_objective_fits_by_model_seed_and_reads_by_trial_seed() -> None:
    a = residual_trial("likelihood", seed=0, model_seed=3)
    assert a == residual_trial("likelihood", seed=0, model_seed=3)
    assert a != residual_trial("likelihood", seed=0, model_seed=4)
    assert a != residual_trial("likelihood", seed=1, model_seed=3)


def test_contrastive_none_is_the_jepa_learned_off_cell() -> None:
    """Same data and seeds: naked BYOL is one computation whichever kind runs it."""
    jepa = trial("jepa_collapse", {"target": "learned", "machinery": False}, seed=1)
    none = trial("contrastive", {"mode": "none"}, seed=1)
    for metric in ("emb_std", "eff_rank", "final_loss"):
        assert none[metric] == jepa[metric]


def test_vicreg_ignores_k_and_oracle_does_not() -> None:
    v8 = trial("contrastive", {"mode": "vicreg"}, k_negatives=8)
    v2 = trial("contrastive", {"mode": "vicreg"}, k_negatives=2)
    assert v8 == v2
    o8 = trial("contrastive", {"mode": "oracle"}, k_negatives=8)
    o2 = trial("contrastive", {"mode": "oracle"}, k_negatives=2)
    assert o8["final_loss"] != o2["final_loss"]


def test_branch_sets_grow_with_the_world_unless_fixed() -> None:
    small = trial("contrastive", {"mode": "vicreg"}, hosts=6, branch_scale=3)
    big = trial("contrastive", {"mode": "vicreg"}, hosts=12, branch_scale=3)
    fixed = trial("contrastive", {"mode": "vicreg"}, hosts=12, branches="fixed")
    per_set = {k: m["branches_scored"] / m["branch_sets"] for k, m in
               {"small": small, "big": big, "fixed": fixed}.items()}  # fmt: skip
    assert per_set["big"] > per_set["small"]
    assert per_set["fixed"] <= 11 < per_set["big"]
    assert 0 < big["chance_top1"] < fixed["chance_top1"]


def test_readouts_are_on_heldout_anchors_not_training_ones() -> None:
    m = trial("jepa_collapse", {"target": "oracle", "machinery": False})
    assert m["heldout_examples"] == 12 and m["train_examples"] == 20
    assert m["emb_std"] != m["train_emb_std"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"target": "ema"}, "must be one of learned, oracle"),
        ({"train_seeds": [100_000]}, "sealed evaluation range"),
        ({"iters": 0}, "must be >= 1"),
        ({"k": 8}, "unknown parameter"),
    ],
)
def test_bad_params_are_refused_at_validation(params: dict[str, Any], message: str) -> None:
    check = build_catalog().experiments["jepa_collapse"].check
    with pytest.raises(ExperimentError, match=message):
        check(params)


def test_contrastive_refuses_bad_branch_mode_and_wrong_arms() -> None:
    with pytest.raises(ExperimentError, match="must be one of world, fixed"):
        get_experiment("contrastive").validate({"branches": "all"})
    spec = TrialSpec("network", {}, "contrastive", TINY, ArmSpec("flat_transformer"), 0)
    with pytest.raises(ExperimentError, match="proposer 'graph_rssm'"):
        get_experiment("contrastive").run(spec)
    spec = TrialSpec("network", {}, "contrastive", TINY, ArmSpec("graph_rssm", {"width": 3}), 0)
    with pytest.raises(ExperimentError, match="unknown arm parameter"):
        get_experiment("contrastive").run(spec)


def test_residual_mask_marks_exactly_the_undecided_edits() -> None:
    from proposers.graph_rssm import GraphRSSMProposer
    from worlds.network import NetworkWorld
    from worlds.network.partition import edit_hosts

    world = NetworkWorld(hosts=6, ports=2)
    half = GraphRSSMProposer(world, observed_fraction=0.5)
    full = GraphRSSMProposer(world, observed_fraction=1.0)
    assert half.observed == {"h0", "h1", "h2"}
    seen_residual = False
    for r in world.trajectory("traffic", 2, 40):
        target = half.codec.target(r.state, r.action, r.transition.delta)
        mask = half.residual_mask(r.transition.delta, len(target))
        assert len(mask) == len(target) and mask[-1] is False
        assert not any(full.residual_mask(r.transition.delta, len(target)))
        pos = 0
        for edit in r.transition.delta:
            span = len(half.codec.target(r.state, r.action, (edit,))) - 1
            undecided = not edit_hosts(edit) <= half.observed
            assert mask[pos : pos + span] == [undecided] * span
            seen_residual |= undecided
            pos += span
    assert seen_residual


def test_residual_objective_kind_replays_and_its_arms_differ() -> None:
    a = residual_trial("residual")
    assert a == residual_trial("residual")
    assert a != residual_trial("likelihood")
    assert 0.0 <= a["residual_share"] <= 1.0 and a["train_examples"] == 12
    # the horizons are steps of the 5-step held-out rollout; the gain is their difference
    assert 0.0 <= a["unaided_horizon"] <= 5.0 and 0.0 <= a["faithful_horizon"] <= 5.0
    assert a["oracle_d_horizon_gain"] == pytest.approx(a["faithful_horizon"] - a["unaided_horizon"])
    # one held-out rollout here, so its mean per-bit value is that rollout's H / bits
    assert a["oracle_bits"] > 0
    assert a["horizon_per_oracle_bit"] == a["faithful_horizon"] / a["oracle_bits"]


def test_with_every_host_observed_the_oracle_owns_everything() -> None:
    """Observed fraction 1: every edit is decided, so the oracle supplies the whole successor
    and the horizon is the rollout's length whatever the model learned."""
    full = residual_trial("likelihood", observed=1.0)
    assert full["faithful_horizon"] == 5.0 and full["residual_share"] == 0.0


@pytest.mark.parametrize(
    ("kind", "overrides", "trainer"),
    [
        ("jepa_collapse", {"target": "oracle", "machinery": False},
         "engine.experiments.jepa_collapse.train_jepa"),
        ("contrastive", {"mode": "oracle"}, "engine.experiments.contrastive_ssl.train_contrastive"),
    ],
)  # fmt: skip
def test_a_model_read_on_another_heldout_set_is_loaded_not_retrained(
    kind: str,
    overrides: Mapping[str, Any],
    trainer: str,
    _isolated_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With `[seeds] model` a fitted model is read on several held-out sets: the first trial
    trains and stores it, the others load it, with the metrics an uncached trial gets."""
    trial(kind, overrides, seed=0, model_seed=5)
    stored = sorted((_isolated_cache / "ssl").glob("*.pt"))
    assert len(stored) == 1
    fresh = trial(kind, overrides, seed=1, model_seed=5, cache=False)

    def refuse(*_: Any) -> Any:
        raise AssertionError("a cached model was trained again")

    monkeypatch.setattr(trainer, refuse)
    assert trial(kind, overrides, seed=1, model_seed=5) == fresh  # another held-out set
    assert trial(kind, overrides, seed=1, model_seed=5, eval_steps=4) != fresh  # eval-only
    with pytest.raises(AssertionError, match="trained again"):
        trial(kind, overrides, seed=0, model_seed=6)  # another model is another key
    with pytest.raises(AssertionError, match="trained again"):
        trial(kind, overrides, seed=0, model_seed=5, iters=7)  # so is another recipe
    assert sorted((_isolated_cache / "ssl").glob("*.pt")) == stored


def test_loading_the_registry_does_not_import_torch() -> None:
    """The CLI, the flow and every trial process check files against the SSL kinds' params
    and metrics; only an SSL trial itself may pay torch's import."""
    import subprocess
    import sys

    code = (
        "import sys; from engine.experiments.catalog import build_catalog;"
        "from hypotheses import load_directory;"
        "load_directory(__import__('pathlib').Path('hypotheses'), build_catalog());"
        "print('torch' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_each_kinds_declaration_is_its_implementation() -> None:
    from engine.experiments.ssl_kinds import SSL_KINDS

    for lazy in SSL_KINDS:
        kind = lazy._kind
        assert (lazy.name, lazy.metrics, lazy.params) == (kind.name, kind.metrics, kind.params)
