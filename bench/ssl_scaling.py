"""The EN8 collapse cell against world size: wall time and peak memory per host count.

The cell is SPEC-9's scaling unit: d_model 128, 3 message-passing rounds, two JEPA trainings
of 400 iterations (oracle-anchored and learned target, anti-collapse machinery off) on the
seed's training data (weighted rollouts, seeds 0-2 x 40 steps), plus their readouts on the
sealed held-out anchors (3 x 24 steps), one model seed. It runs through the real
`jepa_collapse` experiment kind, each host count in a fresh subprocess so the peak RSS is that
size's own (`ru_maxrss` of the child; on CUDA also `torch.cuda.max_memory_allocated`).

The upstream implementation of this cell took 121 s at 50 hosts and 282 s at 100 hosts on
this machine class (dense N x N adjacency). Here message passing runs over edge lists with
the message products reordered and isolated hosts merged (see `proposers/ssl/`), so the cost
follows the hosts a trajectory touches plus its edges. The log-log slope of wall time on N is
printed (1 = linear).

Run: `OMP_NUM_THREADS=1 python bench/ssl_scaling.py [--hosts 50 100 200 300] [--iters 400]
[--device cuda]`. Timings on a shared machine vary with its load; the script prints the
1-minute load average and the child's CPU seconds beside each row (with one torch thread the
CPU time is close to what an idle core would take).

`python bench/ssl_scaling.py --registry` instead prints the SSL / scaling files of the shipped
registry in run order (priority) with their trial counts and the cumulative estimated hours
(from each file's `estimated_trial_seconds`; lever children not included), per worker count.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time


def one_cell(hosts: int, iters: int, device: str, d_model: int) -> dict[str, float]:
    import torch

    from engine.experiments import ArmSpec, TrialSpec, get_experiment

    kind = get_experiment("jepa_collapse")
    arm_params = {"d_model": d_model, "mp_rounds": 3}
    params = {"iters": iters, "device": device, "cache": False}  # time the training itself
    # warm the imports and kernels on a tiny cell so the first row is not charged for them
    kind.run(
        TrialSpec(
            "network",
            {"hosts": 5, "ports": 3},
            "jepa_collapse",
            {"iters": 2, "device": device, "cache": False},
            ArmSpec("graph_rssm", arm_params, {}),
            0,
        )
    )
    start = time.perf_counter()
    out: dict[str, float] = {}
    for target in ("oracle", "learned"):
        spec = TrialSpec(
            "network",
            {"hosts": hosts, "ports": 3},
            "jepa_collapse",
            params,
            ArmSpec("graph_rssm", arm_params, {"target": target, "machinery": False}),
            0,
        )
        m = kind.run(spec)
        out[f"{target}_eff_rank"] = m["eff_rank"]
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        out["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    out["seconds"] = time.perf_counter() - start
    out["cpu_seconds"] = time.process_time()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) on log(x) (1.0: linear growth)."""
    from scipy.stats import linregress

    return float(linregress([math.log(x) for x in xs], [math.log(y) for y in ys]).slope)


def registry_hours() -> None:
    from engine.execution.trials import plan_trials
    from engine.experiments.catalog import build_catalog
    from hypotheses import default_registry_dir, load_directory

    every = load_directory(default_registry_dir(), build_catalog())
    ssl = [h for h in every if "ssl" in h.tags]
    before = sum(
        len(plan_trials(h)) * (h.estimated_trial_seconds or 1.0) for h in every if h not in ssl
    )
    print(f"files before the SSL ones: {before / 3600:.2f} h estimated (1 worker)")
    total = before
    print(f"{'id':<26} {'trials':>6} {'est. s':>7} {'cum. h (1 w)':>13} {'cum. h (2 w)':>13}")
    for h in ssl:
        n = len(plan_trials(h))
        total += n * (h.estimated_trial_seconds or 1.0)
        print(f"{h.id:<26} {n:>6} {h.estimated_trial_seconds:>7.0f} {total / 3600:>13.2f} "
              f"{total / 7200:>13.2f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, nargs="+", default=[50, 100, 200, 300])
    ap.add_argument("--iters", type=int, default=400)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--registry", action="store_true", help="estimated registry hours instead")
    args = ap.parse_args()
    if args.registry:
        registry_hours()
        return
    if args.child is not None:
        print(json.dumps(one_cell(args.child, args.iters, args.device, args.d_model)))
        return
    rows: list[tuple[int, dict[str, float]]] = []
    print(f"EN8 collapse cell: d{args.d_model}, 2 x {args.iters} JEPA iterations, {args.device}")
    print(
        f"{'hosts':>6} {'seconds':>8} {'cpu s':>7} {'peak RSS MB':>12} {'rank o/l':>13} {'load':>5}"
    )
    for hosts in args.hosts:
        cmd = [sys.executable, __file__, "--child", str(hosts), "--iters", str(args.iters),
               "--d-model", str(args.d_model), "--device", args.device]  # fmt: skip
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append((hosts, row))
        ranks = f"{row['oracle_eff_rank']:.1f}/{row['learned_eff_rank']:.1f}"
        extra = f"  cuda peak {row['cuda_peak_mb']:.0f} MB" if "cuda_peak_mb" in row else ""
        print(f"{hosts:>6} {row['seconds']:>8.1f} {row['cpu_seconds']:>7.1f} "
              f"{row['peak_rss_mb']:>12.0f} {ranks:>13} "
              f"{os.getloadavg()[0]:>5.1f}{extra}")  # fmt: skip
    if len(rows) > 1:
        exponent = slope([float(h) for h, _ in rows], [r["seconds"] for _, r in rows])
        print(f"log-log slope of wall time on hosts: {exponent:.2f}")


if __name__ == "__main__":
    main()
