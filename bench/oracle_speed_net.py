"""Network oracle speed: steps/s per driver and world size, plus apply and divergence.

    .venv/bin/python bench/oracle_speed_net.py                 # N = 5, 25, 100, 300; 5,000 steps
    .venv/bin/python bench/oracle_speed_net.py --steps 20000 --sizes 100 300 --json out.json

For each (N, driver) a trajectory is generated once; its actions are then replayed from the
initial state and only `step` is timed (driver sampling excluded), median of `--repeat` runs;
`step first/last` time the first and the last `--window` steps alone (issue 10: does a step
slow down as links and flows accumulate?). `apply` is timed replaying the recorded deltas on
the recorded states, `divergence` on consecutive states (which share structure, the loop's
common case) and on a state against an independently rebuilt copy of its successor (nothing
shared, the worst case). `div/s` and `div-cold/s` build their objects afresh before EVERY pass
(`div/s` re-rolls the trajectory from a rebuilt initial state, so consecutive states share
structure as in the loop), so no pass sees fact counts, links or hashes cached by an earlier
one; `div-warm/s` repeats the pass on the same objects. `reach` times
`reachability_faithfulness` on (state, rebuilt successor) pairs from the last window, fresh
objects each pass, against the matrix-building comparison it replaced ("x" = speed-up). The upstream
pure-Python reference runs about 21k steps/s at N=100 and 16k at N=300 (weighted driver); the
target here is 3x that: 63k and 48k.

Figures (`--sizes 300 --repeat 3`, one run on 2 shared cores, 2026-12-01, load average ~4.6):
weighted 58k steps/s (first 500 steps 61k, last 500 54k, x0.88), uniform 60k (x0.95),
adversarial 96k (x1.22), traffic 53k (x0.72: its open flows grow from 64 to 105 over the run,
and every `advance` checks each open flow). Consecutive-state divergence on fresh objects:
40-53k pairs/s (28k traffic); it was ~2.6-10k before successors carried their fact count
(each fresh state recounted every host and link), which the warm-only figure had hidden.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

from worlds.network import FlowClose, NetworkWorld
from worlds.network.apply import apply
from worlds.network.metrics import divergence
from worlds.network.oracle import step
from worlds.network.reach import _differing, reachability_faithfulness, reachability_matrix

TARGETS = {100: 63_000, 300: 48_000}


def median_of(
    repeat: int, run: Callable[[], None], prepare: Callable[[], None] | None = None
) -> float:
    """Median CPU time of `run` over `repeat` passes; `prepare` (untimed) runs before each.
    CPU time (`time.process_time`), so time the process spends descheduled on a shared machine
    is not charged to the pass it happened to interrupt."""
    times = []
    for _ in range(repeat):
        if prepare is not None:
            prepare()
        t0 = time.process_time()
        run()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def matrix_faithfulness(a: Any, b: Any) -> float:
    """The comparison before issue 10: build both matrices, compare entry by entry."""
    wrong, total = _differing(reachability_matrix(a), reachability_matrix(b))
    return 1.0 if total == 0 else (total - wrong) / total


def measure(n: int, driver: str, steps: int, repeat: int, seed: int, window: int) -> dict[str, Any]:
    world = NetworkWorld(hosts=n, ports=3)
    records = world.trajectory(driver, seed, steps)
    actions = [r.action for r in records]
    initial = world.initial_state()
    window = min(window, steps)

    def replay(lo: int = 0, hi: int = steps) -> Callable[[], None]:
        start = records[lo].state if records else initial

        def run() -> None:
            s = start
            for a in actions[lo:hi]:
                s = step(s, a).state

        return run

    pairs = [(r.state, r.transition.delta) for r in records]

    def replay_apply() -> None:
        for s, d in pairs:
            apply(s, d)

    consecutive: list[tuple[Any, Any]] = []

    def reroll() -> None:  # the trajectory's states again, as new objects: no cached facts
        s = world.from_json(world.to_json(initial))
        consecutive.clear()
        for a in actions:
            nxt = step(s, a).state
            consecutive.append((s, nxt))
            s = nxt

    stride = max(1, steps // 500)
    rebuilt: list[tuple[Any, Any]] = []

    def rebuild() -> None:  # fresh objects for every cold pass: nothing cached survives
        rebuilt[:] = [
            (
                world.from_json(world.to_json(r.state)),
                world.from_json(world.to_json(r.transition.state)),
            )
            for r in records[::stride]
        ]

    def div_shared() -> None:
        for a, b in consecutive:
            divergence(a, b)

    def div_rebuilt() -> None:
        for a, b in rebuilt:
            divergence(a, b)

    tail = records[steps - window :: max(1, window // 10)]
    reach_pairs: list[tuple[Any, Any]] = []

    def rebuild_reach() -> None:
        reach_pairs[:] = [
            (
                world.from_json(world.to_json(r.state)),
                world.from_json(world.to_json(r.transition.state)),
            )
            for r in tail
        ]

    def reach_new() -> None:
        for a, b in reach_pairs:
            reachability_faithfulness(a, b)

    def reach_old() -> None:
        for a, b in reach_pairs:
            matrix_faithfulness(a, b)

    t_reach_new = median_of(repeat, reach_new, rebuild_reach)
    t_reach_old = median_of(max(1, repeat // 3), reach_old, rebuild_reach)
    last = records[-1].transition.state if records else initial
    mid = records[steps - window].state if records else initial
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
        "step_per_s": steps / median_of(repeat, replay()),
        "step_first_per_s": window / median_of(repeat, replay(0, window)),
        "step_last_per_s": window / median_of(repeat, replay(steps - window, steps)),
        "apply_per_s": steps / median_of(repeat, replay_apply),
        "divergence_shared_per_s": steps / median_of(repeat, div_shared, reroll),
        "divergence_warm_per_s": steps / median_of(repeat, div_shared),  # same objects again
        "divergence_rebuilt_per_s": len(records[::stride])
        / median_of(repeat, div_rebuilt, rebuild),
        "reach_per_s": len(tail) / t_reach_new,
        "reach_speedup": t_reach_old / t_reach_new,
        "lazy_drops_per_1000": 1000 * drops / max(steps, 1),
        "links_last_window": (len(mid.links), len(last.links)),
        "flows_last_window": (len(mid.flows), len(last.flows)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 25, 100, 300])
    parser.add_argument("--drivers", nargs="+", default=list(NetworkWorld().driver_names()))
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=int, default=500, help="steps in the first/last window")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()

    print(
        f"python {platform.python_version()} on {platform.machine()}; {args.steps} steps; "
        f"medians of {args.repeat}; first/last = {args.window}-step windows"
    )
    header = (
        f"{'N':>5} {'driver':<12} {'step/s':>9} {'first/s':>9} {'last/s':>9} {'apply/s':>9} "
        f"{'div/s':>9} {'div-warm/s':>10} {'div-cold/s':>10} {'reach/s':>8} {'reach x':>8} "
        f"{'drops/1k':>8} "
        f"{'links':>11} {'flows':>9}"
    )
    print(header)
    rows = []
    for n in args.sizes:
        for driver in args.drivers:
            row = measure(n, driver, args.steps, args.repeat, args.seed, args.window)
            rows.append(row)
            target = TARGETS.get(n) if driver == "weighted" else None
            note = f"  (target {target:,})" if target else ""
            links = "{}->{}".format(*row["links_last_window"])
            flows = "{}->{}".format(*row["flows_last_window"])
            print(
                f"{n:>5} {driver:<12} {row['step_per_s']:>9,.0f} {row['step_first_per_s']:>9,.0f} "
                f"{row['step_last_per_s']:>9,.0f} {row['apply_per_s']:>9,.0f} "
                f"{row['divergence_shared_per_s']:>9,.0f} {row['divergence_warm_per_s']:>10,.0f} "
                f"{row['divergence_rebuilt_per_s']:>10,.0f} {row['reach_per_s']:>8,.0f} "
                f"{row['reach_speedup']:>7.0f}x {row['lazy_drops_per_1000']:>8.1f} "
                f"{links:>11} {flows:>9}{note}"
            )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
