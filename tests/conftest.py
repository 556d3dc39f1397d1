"""Shared test set-up: Prefect kept inside a temporary home, one test server per session.

Prefect reads its settings from the environment when first imported, so the variables are set
here, at conftest import, before any test module imports it: no test writes to the user's
`~/.prefect` or reaches outside the machine. The `prefect_api` fixture starts Prefect's test
harness (a temporary server and database) once per session; CLI subprocesses are pointed at
it through `PREFECT_API_URL`, so each of them skips Prefect's ~20 s temporary-server start.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest puts this directory (tests/) on sys.path for this conftest; its sub-folders share
# names with the packages (tests/hypotheses, tests/engine, ...) and would shadow them as
# namespace packages. The repository root goes first so the real packages win.
_ROOT = str(Path(__file__).resolve().parents[1])
if sys.path[:1] != [_ROOT]:
    sys.path.insert(0, _ROOT)

_PREFECT_HOME = tempfile.mkdtemp(prefix="verisim-test-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """The API URL of a temporary Prefect server shared by the whole session."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        url = PREFECT_API_URL.value()
        assert url, "the Prefect test harness did not set an API URL"
        yield str(url)
