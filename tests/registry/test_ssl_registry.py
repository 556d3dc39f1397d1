"""The SSL / scaling registrations: model-seed replication, the surface, the k ladder."""

from __future__ import annotations

import pytest

from engine.experiments.catalog import build_catalog
from hypotheses import Hypothesis, default_registry_dir, derive_child, load_directory
from hypotheses.power import power_problem


@pytest.fixture(scope="module")
def ssl() -> dict[str, Hypothesis]:
    every = load_directory(default_registry_dir(), build_catalog())
    return {h.id: h for h in every if "ssl" in h.tags}


def test_every_ssl_claim_is_registered_with_at_least_five_model_seeds(
    ssl: dict[str, Hypothesis],
) -> None:
    assert {
        "EN8-collapse-smoke",
        "EN9-contrastive-smoke",
        "LS2-collapse-surface",
        "LS2-contrastive-surface",
        "LS3-collapse-300",
        "EN9-k-recovery",
        "EN8-residual-smoke",
        "EN8-residual-horizon",
        "EN8-oracle-owns-d",
        "S3-residual-frontier",
    } <= set(ssl)
    for h in ssl.values():
        assert h.seeds.model is not None and len(h.seeds.model) >= 5, h.id
        assert len(h.seeds.initial) >= 2, h.id  # a second level for the bootstrap to resample
        assert all(arm.params.get("model_seed") == 0 for arm in h.arms.values()), h.id
        assert power_problem(h) is None, h.id
        assert "seed" in h.source and "for comparison only" in h.source, h.id
        assert {lever.when for lever in h.levers} == {"confirmed", "refuted", "inconclusive"}


def test_a_replication_fits_fresh_models_on_fresh_heldout_sets(
    ssl: dict[str, Hypothesis],
) -> None:
    """The replicate levers are a new sample of the recipe, never the same fits read again."""
    replicated = 0
    for h in ssl.values():
        for lever in h.levers:
            if lever.id != "replicate":
                continue
            child = derive_child(h, lever)
            assert h.seeds.model is not None and child.seeds.model is not None
            assert len(child.seeds.model) >= len(h.seeds.model), h.id
            assert not set(child.seeds.model) & set(h.seeds.model), h.id
            assert not set(child.seeds.initial) & set(h.seeds.initial), h.id
            replicated += 1
    assert replicated >= 7


def test_the_surface_is_one_file_over_world_and_arm_axes(ssl: dict[str, Hypothesis]) -> None:
    for name in ("LS2-collapse-surface", "LS2-contrastive-surface"):
        cells = ssl[name].cells()
        got = {(c.world_config["hosts"], c.arm_params[ssl[name].effect.treatment]["d_model"])
               for c in cells}  # fmt: skip
        assert got == {(n, d) for n in (25, 50, 100, 200) for d in (64, 128)}


def test_the_k_ladder_reaches_upstreams_recovery_point(ssl: dict[str, Hypothesis]) -> None:
    h = ssl["EN9-k-recovery"]
    assert h.params["k_negatives"] == 8
    assert {c.world_config["hosts"] for c in h.cells()} == {100, 200}
    refuted = {lever.id: lever.set_ for lever in h.levers_for("refuted")}
    assert refuted == {"k16": {"params.k_negatives": 16}, "k32": {"params.k_negatives": 32}}


def test_hypotheses_list_counts_model_seeds_and_planned_trials() -> None:
    """`hypotheses list` shows the model seeds next to the evaluation seeds, and the trials a
    file plans (what a budget has to pay for), the same count the engine registers."""
    import json

    from typer.testing import CliRunner

    from engine.cli.app import app
    from engine.execution.trials import plan_trials

    out = CliRunner().invoke(
        app, ["hypotheses", "list", "--hypotheses", str(default_registry_dir()), "-f", "json"]
    )
    assert out.exit_code == 0, out.output
    rows = {r["id"]: r for r in json.loads(out.stdout)}
    for h in load_directory(default_registry_dir(), build_catalog()):
        row = rows[h.id]
        assert row["seeds"] == len(h.seeds.initial)
        assert row["models"] == len(h.seeds.model or ())
        assert row["trials"] == len(plan_trials(h))
    k = rows["EN9-k-recovery"]
    assert (k["cells"], k["seeds"], k["models"], k["trials"]) == (2, 2, 5, 2 * 2 * 2 * 5)
