"""The one claim policy: how often a claim's holder heartbeats, and when a claim is stale.

Every path that runs trials (a flow's trial batch, a queue worker, a Prefect work-pool flow
run) claims through the ledger and heartbeats on `heartbeat_s`; every claimer judges another's
claim by the same `is_stale`. Before this there were three numbers (a batch heartbeating every
60 s, a queue worker calling a claim stale after 30 s, the ledger's default of 600 s), so a
queue worker could take over a trial that a live batch was still running.

The grace period is several heartbeats long, so a busy machine or a slow database round trip
never makes a live claim look dead; a claim of a dead worker goes back to the queue within it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_BEATS_PER_GRACE = 3
"""A claim is stale only after at least this many heartbeats were missed in a row."""


@dataclass(frozen=True)
class ClaimPolicy:
    """`heartbeat_s`: how often a holder refreshes its claim; `stale_after_s`: the grace."""

    heartbeat_s: float = 10.0
    stale_after_s: float = 60.0

    def __post_init__(self) -> None:
        if not 0 < self.heartbeat_s * MIN_BEATS_PER_GRACE <= self.stale_after_s:
            raise ValueError(
                f"claim policy: need 0 < {MIN_BEATS_PER_GRACE} x heartbeat <= stale_after "
                f"(a live claim must never look stale), got heartbeat {self.heartbeat_s}s, "
                f"stale after {self.stale_after_s}s"
            )

    def is_stale(self, last_sign_of_life: datetime | None, now: datetime) -> bool:
        """Whether a running claim's holder has been silent longer than the grace period."""
        if last_sign_of_life is None:
            return True
        return now - last_sign_of_life > timedelta(seconds=self.stale_after_s)


DEFAULT_CLAIM_POLICY = ClaimPolicy()
