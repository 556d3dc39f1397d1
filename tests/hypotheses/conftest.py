from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hyp_fixtures import BASE, Writer
from hyp_tomlw import dumps

from hypotheses import Catalog, ExperimentInfo


@pytest.fixture
def catalog() -> Catalog:
    return Catalog(
        worlds=frozenset({"network", "filesystem"}),
        proposers=frozenset({"graph_rssm", "flat_transformer", "null"}),
        experiments={
            "one_step": ExperimentInfo(
                metrics=frozenset({"delta_exact", "bits_to_correct"}),
                params=frozenset({"hosts", "steps", "driver", "rho", "policy"}),
            ),
            "horizon_curve": ExperimentInfo(
                metrics=frozenset({"horizon"}), params=frozenset({"rho", "epsilon"})
            ),
        },
    )


@pytest.fixture
def doc() -> dict[str, Any]:
    """A fresh, valid hypothesis document (mutate freely)."""
    return copy.deepcopy(BASE)


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """write(doc_or_text, name="h.toml") -> path of the written file."""

    def _write(content: dict[str, Any] | str, name: str = "h.toml") -> Path:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else dumps(content), encoding="utf-8")
        return path

    return _write
