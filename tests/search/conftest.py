"""Each search test gets its own data directory (so its own seal) and ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger import Ledger


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("VERISIM_HOME", str(path))
    return path


@pytest.fixture
def ledger(home: Path) -> Iterator[Ledger]:
    with Ledger(f"sqlite:///{home / 'ledger.db'}") as opened:
        yield opened
