from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own weight cache, so hits and misses are the test's own (and no
    test writes into the checkout's `.verisim/`)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("VERISIM_CACHE_DIR", str(cache))
    return cache
