"""Filesystem oracle speed: steps/s of `step`, plus `apply` and `divergence` throughput.

    .venv/bin/python bench/oracle_speed_fs.py [--seeds 200] [--steps 60] [--repeats 5]

Action sequences are generated first (driver sampling is excluded from every timing); each
timed pass then rolls the oracle forward from the empty state over those actions, building
every delta and every successor state, exactly as a trajectory does. `apply` is timed on the
recorded (state, delta) pairs and `divergence` on (state, successor) pairs, cold (fact sets not
yet cached: fresh state objects) and warm (cached). Best of `--repeats` passes is reported, to
damp noise from other processes on a shared machine.

Target: >= 175k steps/s for the weighted driver (3x the seed's ~58k pure-Python reference).
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

from worlds import get_world
from worlds.filesystem import FilesystemWorld, FsAction, FsState

DRIVERS = ("weighted", "uniform", "adversarial", "structural")


def _best(repeats: int, fn: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _fresh(state: FsState) -> FsState:
    """The same value without its cached hash / facts."""
    return FsState(dict(state._fs), state._cwd, dict(state._env), state._last)


def bench_driver(world: FilesystemWorld, driver: str, seeds: int, steps: int, repeats: int) -> str:
    sequences: list[list[FsAction]] = []
    pairs: list[tuple[FsState, tuple[object, ...], FsState]] = []
    for seed in range(seeds):
        records = world.trajectory(driver, seed, steps)
        sequences.append([r.action for r in records])
        pairs.extend((r.state, r.transition.delta, r.transition.state) for r in records)
    n = seeds * steps
    initial = world.initial_state()
    step = world.step

    def rollouts() -> None:
        for actions in sequences:
            state = initial
            for action in actions:
                state = step(state, action).state

    apply = world.apply

    def applies() -> None:
        for state, delta, _ in pairs:
            apply(state, delta)

    divergence = world.divergence
    cold = [(_fresh(s), _fresh(n_)) for s, _, n_ in pairs]

    def divergences_cold() -> None:
        for a, b in cold:
            divergence(a, b)

    def divergences_warm() -> None:
        for a, b in cold:
            divergence(a, b)

    t_step = _best(repeats, rollouts)
    t_apply = _best(repeats, applies)
    t_div_cold = _best(1, divergences_cold)
    t_div_warm = _best(repeats, divergences_warm)
    mean_paths = sum(len(before.fs) for before, _, _ in pairs) / len(pairs)
    return (
        f"{driver:<12} {n:>7} steps  mean |fs| {mean_paths:5.1f}  "
        f"step {n / t_step:>10,.0f}/s  apply {n / t_apply:>10,.0f}/s  "
        f"divergence cold {n / t_div_cold:>9,.0f}/s warm {n / t_div_warm:>10,.0f}/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    world: FilesystemWorld = get_world("filesystem")
    print(
        f"python {platform.python_version()} on {platform.machine()}; oracle {world.oracle_version}"
    )
    for driver in DRIVERS:
        print(bench_driver(world, driver, args.seeds, args.steps, args.repeats))


if __name__ == "__main__":
    main()
