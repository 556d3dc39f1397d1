"""Two processes on one SQLite ledger: fresh-file migration and claims never collide."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from ledger_fixtures import claim_worker, register, trial_args

from ledger import Ledger, default_url

N_KEYS = 60


def test_two_processes_claim_each_trial_exactly_once(tmp_path: Path) -> None:
    url = default_url(tmp_path)  # not created yet: both workers race to migrate it
    ctx = mp.get_context("spawn")
    go = ctx.Barrier(2)
    out = ctx.Queue()
    procs = [ctx.Process(target=claim_worker, args=(url, f"w{i}", N_KEYS, go, out)) for i in (1, 2)]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    won1, won2 = results["w1"], results["w2"]
    assert not set(won1) & set(won2)
    print(f"claims won: w1={len(won1)} w2={len(won2)}")
    with Ledger(url) as led:
        h = register(led, "H1")
        all_keys = {trial_args(h, seed=s)["key"] for s in range(N_KEYS)}
        assert set(won1) | set(won2) == all_keys
        trials = led.trials(hypothesis=h.content_hash)
        assert len(trials) == N_KEYS
        assert all(t.status == "finished" and t.attempts == 1 for t in trials)
        assert all(t.host == t.worker for t in trials)
        assert len(led.hypotheses()) == 1
