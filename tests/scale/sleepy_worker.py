"""A worker process for the fault tests: the real claim/heartbeat loop, a sleeping trial body.

    python tests/scale/sleepy_worker.py LEDGER_URL NAME HEARTBEAT_S STALE_AFTER_S

Prints the drain report's summary; exits 1 if the ledger could not be opened or was lost.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trialqueue import SleepExecutor

from engine.execution.workers import WorkerIdentity, drain
from ledger import ClaimPolicy, Ledger, LedgerError


def main(argv: list[str]) -> int:
    url, name, heartbeat_s, stale_after_s = argv[0], argv[1], float(argv[2]), float(argv[3])
    try:
        ledger = Ledger(url, claim_policy=ClaimPolicy(heartbeat_s, stale_after_s))
    except LedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with ledger:
        report = drain(
            ledger,
            identity=WorkerIdentity.here(name),
            executor=SleepExecutor(),
            poll_s=0.2,
        )
    print(report.summary(), flush=True)
    return 1 if report.stopped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
