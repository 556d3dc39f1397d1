"""What the SSL weight cache saves: one EN8 smoke trial trained, then read on another held-out set.

With `[seeds] model` every fitted model is read on each evaluation seed's held-out set, one
trial each. The first trial of a model trains it and stores the weights; the next loads them.
This runs the shipped `en8-collapse-smoke.toml` oracle/off arm (5 hosts, d48, 400 JEPA
iterations) for model seed 0 on evaluation seeds 0 (a miss) and 1 (a hit) in a fresh,
temporary cache, and prints both wall times and whether the hit's metrics equal a second hit's
and its training readouts the miss's (they must: the loaded tensors are the trained ones).

Run: `OMP_NUM_THREADS=1 python bench/ssl_cache.py`.
"""

from __future__ import annotations

import os
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    os.environ["VERISIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="verisim-ssl-cache-")
    from engine.experiments import ArmSpec, TrialSpec, get_experiment

    path = ROOT / "hypotheses" / "registry" / "en8-collapse-smoke.toml"
    f = tomllib.loads(path.read_text())
    arm = f["arms"]["oracle_off"]
    kind = get_experiment("jepa_collapse")

    def run(seed: int, model: int) -> tuple[float, dict[str, Any]]:
        params = {**arm["params"], "model_seed": model}
        spec = TrialSpec(
            "network",
            f["world_config"],
            "jepa_collapse",
            f["params"],
            ArmSpec("graph_rssm", params, arm["overrides"]),
            seed,
            model,
        )
        start = time.perf_counter()
        metrics = kind.run(spec)
        return time.perf_counter() - start, metrics

    run(0, 99)  # imports and kernels, not charged to either row
    miss, first = run(0, 0)
    hit, second = run(1, 0)
    _, again = run(1, 0)
    same_fit = all(first[m] == second[m] for m in ("final_loss", "train_emb_std", "train_eff_rank"))
    print(f"miss (trains): {miss:.2f} s   hit (loads): {hit:.2f} s")
    print(f"hit metrics replay: {second == again}   same fitted model: {same_fit}")


if __name__ == "__main__":
    main()
