"""The SSL / scaling registrations: model-seed replication, the surface, the k ladder."""

from __future__ import annotations

import pytest

from engine.experiments.catalog import build_catalog
from hypotheses import Hypothesis, default_registry_dir, load_directory


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
        "S3-residual-frontier",
    } <= set(ssl)
    for h in ssl.values():
        assert len(h.seeds.initial) >= 5, h.id
        assert "seed" in h.source and "for comparison only" in h.source, h.id
        assert {lever.when for lever in h.levers} == {"confirmed", "refuted", "inconclusive"}


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
