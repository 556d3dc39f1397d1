from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_fixtures import FakeClock

from ledger import ClaimPolicy, Ledger, default_url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(tmp_path: Path, clock: FakeClock) -> Iterator[Ledger]:
    with Ledger(default_url(tmp_path), clock=clock, claim_policy=ClaimPolicy(10.0, 60.0)) as led:
        yield led
