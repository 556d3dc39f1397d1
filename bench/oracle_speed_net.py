"""Network oracle speed: steps/s per driver and world size, plus apply and divergence.

    .venv/bin/python bench/oracle_speed_net.py                 # N = 5, 25, 100, 300; 5,000 steps
    .venv/bin/python bench/oracle_speed_net.py --steps 20000 --sizes 100 300 --json out.json

For each (N, driver) a trajectory is generated once; its actions are then replayed from the
initial state and only `step` is timed (driver sampling excluded), best of `--repeat` runs.
`apply` is timed replaying the recorded deltas on the recorded states, `divergence` on
consecutive states (which share structure, the loop's common case) and on a state against an
independently rebuilt copy of its successor (nothing shared, the worst case). The upstream
pure-Python reference runs about 21k steps/s at N=100 and 16k at N=300 (weighted driver); the
target here is 3x that: 63k and 48k.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from typing import Any

from worlds.network import FlowClose, NetworkWorld
from worlds.network.apply import apply
from worlds.network.metrics import divergence
from worlds.network.oracle import step

TARGETS = {100: 63_000, 300: 48_000}


def best_of(repeat: int, run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def measure(n: int, driver: str, steps: int, repeat: int, seed: int) -> dict[str, Any]:
    world = NetworkWorld(hosts=n, ports=3)
    records = world.trajectory(driver, seed, steps)
    actions = [r.action for r in records]
    initial = world.initial_state()

    def replay() -> None:
        s = initial
        for a in actions:
            s = step(s, a).state

    pairs = [(r.state, r.transition.delta) for r in records]

    def replay_apply() -> None:
        for s, d in pairs:
            apply(s, d)

    consecutive = [(r.state, r.transition.state) for r in records]
    stride = max(1, steps // 500)
    rebuilt = [
        (r.state, world.from_json(world.to_json(r.transition.state))) for r in records[::stride]
    ]

    def div_shared() -> None:
        for a, b in consecutive:
            divergence(a, b)

    def div_rebuilt() -> None:
        for a, b in rebuilt:
            divergence(a, b)

    last = records[-1].transition.state if records else initial
    drops = sum(
        isinstance(e, FlowClose)
        for r in records
        if r.action.command == "advance"
        for e in r.transition.delta
    )
    return {
        "hosts": n,
        "driver": driver,
        "steps": steps,
        "step_per_s": steps / best_of(repeat, replay),
        "apply_per_s": steps / best_of(repeat, replay_apply),
        "divergence_shared_per_s": steps / best_of(repeat, div_shared),
        "divergence_rebuilt_per_s": len(rebuilt) / best_of(repeat, div_rebuilt),
        "lazy_drops_per_1000": 1000 * drops / max(steps, 1),
        "final_links": len(last.links),
        "final_flows": len(last.flows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 25, 100, 300])
    parser.add_argument("--drivers", nargs="+", default=list(NetworkWorld().driver_names()))
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()

    print(f"python {platform.python_version()} on {platform.machine()}; {args.steps} steps")
    header = (
        f"{'N':>5} {'driver':<12} {'step/s':>10} {'apply/s':>10} "
        f"{'div/s':>10} {'div-cold/s':>11} {'drops/1k':>9} {'links':>6} {'flows':>6}"
    )
    print(header)
    rows = []
    for n in args.sizes:
        for driver in args.drivers:
            row = measure(n, driver, args.steps, args.repeat, args.seed)
            rows.append(row)
            target = TARGETS.get(n) if driver == "weighted" else None
            note = f"  (target {target:,})" if target else ""
            print(
                f"{n:>5} {driver:<12} {row['step_per_s']:>10,.0f} {row['apply_per_s']:>10,.0f} "
                f"{row['divergence_shared_per_s']:>10,.0f} "
                f"{row['divergence_rebuilt_per_s']:>11,.0f} "
                f"{row['lazy_drops_per_1000']:>9.1f} {row['final_links']:>6} "
                f"{row['final_flows']:>6}{note}"
            )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
