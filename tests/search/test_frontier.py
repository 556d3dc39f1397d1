"""Keep-if-better is the floor: whatever a controller proposes and whatever the scores are,
the frontier never regresses (property), and a jump is re-checked on the second sealed set."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_fixtures import run_search, search_hypothesis

from ledger import Ledger


def hashed_loss(salt: int, spread: float) -> Any:
    """An arbitrary (but fixed) loss landscape over configurations."""

    def loss(config: Mapping[str, Any], eval_set: str) -> float:
        text = f"{salt}:{sorted(config.items())}:{eval_set}".encode()
        return round(spread * int(hashlib.sha256(text).hexdigest()[:8], 16) / 2**32, 3)

    return loss


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    controller=st.sampled_from(["coordinate", "evolutionary", "bandit", "optuna", "llm-stub"]),
    salt=st.integers(0, 10_000),
    spread=st.sampled_from([0.5, 10.0, 1000.0]),
    trials=st.integers(1, 7),
    generation=st.integers(1, 3),
)
def test_the_frontier_is_monotone_and_kept_means_strictly_better(
    tmp_path_factory: Any,
    controller: str,
    salt: int,
    spread: float,
    trials: int,
    generation: int,
) -> None:
    home = tmp_path_factory.mktemp("frontier")
    with Ledger(f"sqlite:///{home / 'l.db'}") as ledger:
        h = search_hypothesis(controller=controller, trials=trials, generation=generation)
        driver = run_search(ledger, h, loss=hashed_loss(salt, spread), home=home)
        rows = [r for r in ledger.candidates(h.content_hash) if r.status == "scored"]
        assert len(rows) == trials + 1
        best = None
        for r in rows:
            assert r.loss is not None and r.best_after is not None
            if best is not None:
                assert r.best_after <= best  # never regresses
                assert r.kept == (r.best_after < best)
                if r.kept and not r.flagged:
                    assert r.loss < best and r.best_after == r.loss
                if not r.kept:
                    assert r.best_after == best
            best = r.best_after
        f = driver.frontier(0)
        assert (
            f.best_loss == best == min(r.loss for r in rows if r.kept)
        )  # the last kept is the best


def test_an_implausible_jump_is_rechecked_on_the_second_set_and_flagged(
    home: Path, ledger: Ledger
) -> None:
    def loss(config: Mapping[str, Any], eval_set: str) -> float:
        if config.get("train_iters") == 8:  # "too good to be true" on the primary set only
            return 0.1 if eval_set == "primary" else 5.0
        if config.get("train_iters") == 2:  # a real big gain, on both sets
            return 0.5
        return 4.0

    h = search_hypothesis(
        space={"train_iters": [2, 4, 8]}, trials=2, generation=2, anomaly_jump=0.5
    )
    run_search(ledger, h, loss=loss, home=home)
    rows = {dict(r.config)["train_iters"]: r for r in ledger.candidates(h.content_hash)}
    fake, real = rows[8], rows[2]
    assert fake.flagged and not fake.kept and fake.recheck_loss == 5.0
    assert "second sealed set gave 5" in (fake.reason or "")
    assert real.flagged and real.kept and real.recheck_loss == 0.5
    trials = {t.key: t for t in ledger.trials()}
    assert trials[fake.recheck_key or ""].cell_id == "recheck"
