"""graph_rssm training cost per iteration against world size, and its log-log growth exponent.

For each host count N the network world (N hosts, 3 ports) gives the same amount of training
data (weighted rollouts, seeds 0-2 x 40 steps); the model is the seed's graph arm (d_model,
3 message-passing rounds, 2 decoder layers, 2 heads, batch 32). The time per iteration is the
difference between two fits of different lengths divided by the extra iterations, so data
building and model construction cancel out. The seed's dense [B, N, N] adjacency grew about
x4 per doubling of N (exponent ~2); message passing over edge lists should grow at most
linearly. Run: `python bench/train_scaling.py [--hosts 25 50 100 200] [--device cuda]`.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time

from proposers.graph_rssm import GraphRSSMProposer
from worlds import get_world


def per_iteration(hosts: int, device: str, d_model: int, iters: int, repeats: int) -> float:
    world = get_world("network", hosts=hosts, ports=3)
    data = [world.trajectory("weighted", s, 40) for s in range(3)]
    params = {"d_model": d_model, "batch_size": 32, "device": device, "cache": False}

    def fit_seconds(n: int) -> float:
        proposer = GraphRSSMProposer(world, **params, train_iters=n)
        start = time.perf_counter()
        proposer.fit(data, 0)
        if device.startswith("cuda"):
            import torch

            torch.cuda.synchronize()
        return time.perf_counter() - start

    fit_seconds(2)  # warm-up: imports, allocator, kernels
    best = math.inf
    for _ in range(repeats):
        best = min(best, (fit_seconds(2 + iters) - fit_seconds(2)) / iters)
    return best


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) on log(x) (1.0: linear growth)."""
    from scipy.stats import linregress

    return float(linregress([math.log(x) for x in xs], [math.log(y) for y in ys]).slope)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, nargs="+", default=[25, 50, 100, 200])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("VERISIM_CACHE_DIR", tempfile.mkdtemp(prefix="verisim-bench-"))
    times = [
        per_iteration(n, args.device, args.d_model, args.iters, args.repeats) for n in args.hosts
    ]
    print(f"graph_rssm training, device={args.device}, d_model={args.d_model}, batch 32")
    print(f"{'hosts':>6} {'ms/iter':>10} {'x prev':>8}")
    for i, (n, t) in enumerate(zip(args.hosts, times, strict=True)):
        ratio = f"{t / times[i - 1]:8.2f}" if i else f"{'':>8}"
        print(f"{n:>6} {1000 * t:>10.2f} {ratio}")
    if len(times) > 1:
        print(f"log-log growth exponent: {slope([float(h) for h in args.hosts], times):.2f}")


if __name__ == "__main__":
    main()
