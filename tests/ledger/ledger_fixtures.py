"""Shared helpers for tests/ledger (uniquely named so test files can import it safely)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ledger import ClaimPolicy, HypothesisVersion, Ledger, trial_key
from ledger.jsonutil import digest

T0 = datetime(2030, 1, 1, tzinfo=UTC)


class FakeClock:
    """A settable clock: the ledger's times become exact and stale claims testable."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def content(hid: str = "H1", **extra: Any) -> dict[str, Any]:
    """A stand-in canonical hypothesis content (the ledger only needs finite JSON)."""
    return {"id": hid, "title": f"title of {hid}", "params": {"hosts": 5}, **extra}


def register(
    ledger: Ledger,
    hid: str = "H1",
    *,
    parent: HypothesisVersion | None = None,
    lever: str | None = None,
    **extra: Any,
) -> HypothesisVersion:
    body = content(hid, **extra)
    if parent is not None:
        body["parent"] = parent.content_hash
    return ledger.register_hypothesis(
        body,
        digest(body),
        hid,
        body["title"],
        f"{hid}.toml",
        parent_hash=None if parent is None else parent.content_hash,
        lever_id=lever,
        depth=0 if parent is None else parent.depth + 1,
    )


def trial_args(
    h: HypothesisVersion, arm: str = "a", seed: int = 0, cell: str = ""
) -> dict[str, Any]:
    """Keyword arguments naming one trial of `h` (key included)."""
    return {
        "key": trial_key(h.content_hash, cell, arm, seed, "code-1"),
        "hypothesis_hash": h.content_hash,
        "cell_id": cell,
        "arm": arm,
        "seed": seed,
        "spec": {"arm": arm, "seed": seed, "cell": cell},
    }


def verdict_args(h: HypothesisVersion, cell: str = "", **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "hypothesis_hash": h.content_hash,
        "cell_id": cell,
        "outcome": "confirmed",
        "effect_metric": "delta_exact",
        "effect_kind": "difference",
        "estimate": 0.3,
        "ci_low": 0.1,
        "ci_high": 0.5,
        "confidence": 0.95,
        "ci_method": "BCa",
        "n": 5,
        "seeds": [0, 1, 2, 3, 4],
        "degenerate": False,
        "rule": "confirmed iff CI > 0.0",
        "p_value": 0.01,
    }
    base.update(over)
    return base


def claim_worker(url: str, worker: str, n_keys: int, go: Any, out: Any) -> None:
    """Process body for the concurrency test: open a (possibly fresh) ledger, register the
    same hypothesis, wait for the start signal, claim every key it can, finish what it got."""
    import random

    with Ledger(url, claim_policy=ClaimPolicy(60.0, 3600.0)) as led:
        h = register(led, "H1")
        go.wait(60)  # a Barrier: both workers start claiming together
        keys = list(range(n_keys))
        random.Random(worker).shuffle(keys)
        won = []
        for seed in keys:
            args = trial_args(h, seed=seed)
            if led.claim_trial(**args, worker=worker):
                led.finish_trial(args["key"], {"seed": seed}, 0.0, host=worker)
                won.append(args["key"])
        out.put((worker, won))
