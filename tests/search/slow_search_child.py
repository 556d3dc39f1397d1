"""A search run in its own process, slowly, so a test can SIGKILL it mid-search.

argv: data directory, ledger URL, seconds per trial. Uses the fake gate of
`search_fixtures.run_search` (the driver and ledger are real).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import Any

from search_fixtures import lr_loss, run_search, search_hypothesis

from ledger import Ledger


def main() -> None:
    home, url, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
    os.environ["VERISIM_HOME"] = home

    def slow(config: Mapping[str, Any], eval_set: str) -> float:
        time.sleep(pause)
        return lr_loss(config, eval_set)

    with Ledger(url) as ledger:
        run_search(ledger, search_hypothesis(controller="optuna", trials=8), loss=slow)


if __name__ == "__main__":
    main()
