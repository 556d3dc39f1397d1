"""Filesystem step cost against world size: the same steps, replayed in worlds grown by paths
they never touch.

    .venv/bin/python bench/oracle_world_size_fs.py                     # sizes 1k 10k 100k
    .venv/bin/python bench/oracle_world_size_fs.py --sizes 0 50000 --seeds 1 --repeats 7

Why this bench: `bench/oracle_speed_fs.py` compares the first and the last 500 steps of a long
trajectory, but those windows differ in two ways at once. The world is bigger late on, and the
steps themselves do more: a late `cp -r` copies a grown directory, and its delta lists every
path it creates. This bench separates the two. It keeps the steps and grows only the world.

What it does, per seed and per window (the first and the last `--window` steps of a
`--steps`-step weighted trajectory):

* The window's start state gets `N` extra paths for each of `--sizes`. They sit under `/zz`, a
  name outside the drivers' name pool, as a balanced tree of directories and files.
* The window's actions are replayed from each grown state. They were drawn without the extra
  paths, so they only name paths of the trajectory itself.
* Before anything is timed, each grown replay is checked against the ungrown one: the same exit
  codes and the same edits, step by step. Only a listing's stdout hash may differ, where an
  `ls /` now shows `zz`. Any other difference stops the bench with the step that differed.
* Timing is CPU time over whole passes of the window, for the new oracle and for the frozen dict
  oracle (`bench/_baseline_fs.py`, as in `oracle_speed_fs.py`). Each oracle is timed in its own
  phase, the sizes alternating pass by pass (`window_rates` says why). Medians over `--repeats`
  passes are printed.

How to read it: the "vs smallest" columns are each oracle's rate at that size over its own rate
at the smallest size. The work is identical across sizes, so flat means the step cost does not
depend on the world. The dict oracle copies the whole map on every changing step, so its
column falls roughly as 1/size.

Excluded: building the grown states, the work check, and driver sampling (the actions are
drawn once, up front).

Figures (2 shared cores, one run of the defaults, 2026-12-01, load average 0.7-1.0), the rate at
100,000 extra paths over the rate at 1,000, for the first and the last 500 steps of seeds 0-2:

    new oracle    x0.74 / x0.49, x0.76 / x0.63, x0.75 / x0.69   (at 10,000: x0.84-x0.96)
    dict oracle   x0.008 / x0.018, x0.007 / x0.020, x0.005 / x0.008

The same windows in instructions (`bench/oracle_instructions_fs.py --extra 1000 100000`, and
with `--steps 501 --window 500` for the first window) grow only x1.05-x1.18: the hash tries are
one level deeper. The rest of the new oracle's fall-off in CPU time is, by elimination, memory:
the bench prints what each world holds (tracemalloc: its paths, nodes and tries; 25.9 MB at
100,000 paths), against this machine's 512 KiB of L2 per core, so the tries' lookups miss the
caches more often.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _baseline_fs as old  # the frozen baseline, beside this file
from _background_fs import ROOT, grown
from oracle_speed_fs import NEW, OLD, Impl, _replay, _roll, _timed

from worlds import get_world
from worlds.filesystem import FsAction
from worlds.filesystem.edits import SetResult
from worlds.filesystem.state import FsState


def grown_pair(state: FsState, n: int) -> tuple[FsState, Any]:
    """`state` plus `n` extra paths after its own (its paths keep their order), for the new
    oracle and for the dict oracle."""
    new = grown(state, n)
    return new, old.OldFsState(dict(new.fs.items()), new.cwd, dict(new.env), new.last)


def world_mb(n: int) -> float:
    """MB allocated (tracemalloc) for the paths, nodes and tries of the empty world grown by
    `n` paths, as the new oracle holds it: the memory its lookups range over."""
    empty = FsState.initial()
    tracemalloc.start()
    try:
        state = grown(empty, n)  # its input dict is gone by now; its paths and nodes stay
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del state
    return held / 1e6


def effects(impl: Impl, start: Any, actions: Sequence[FsAction]) -> list[tuple[Any, ...]]:
    """Per step: the exit code and the delta's edits, stdout hashes aside."""
    out: list[tuple[Any, ...]] = []
    state = start
    for action in actions:
        t = impl.handlers[action.command](state, action)
        out.append((t.exit_code, *(e for e in t.delta if type(e) is not SetResult)))
        state = t.state
    return out


def check_same_work(
    label: str, reference: list[tuple[Any, ...]], got: list[tuple[Any, ...]], n: int
) -> None:
    for i, (want, have) in enumerate(zip(reference, got, strict=True)):
        if want != have:
            raise SystemExit(
                f"error: {label}: with {n:,} extra paths step {i} did different work "
                f"({have!r} instead of {want!r}); the comparison would not be like for like"
            )


def window_rates(
    label: str, start: FsState, actions: Sequence[FsAction], sizes: Sequence[int], repeats: int
) -> list[tuple[int, int, float, float]]:
    """(extra paths, paths at the start, new steps/s, old steps/s) per size.

    Each oracle is timed in a phase of its own, the sizes alternating pass by pass within it.
    Alternating the two oracles instead (as `oracle_speed_fs.py` does) puts a dict-oracle pass,
    which copies the whole map on every changing step and so sweeps the caches, right before
    every new-oracle pass, and would charge the new oracle for the caches it finds cold."""
    reference = effects(NEW, start, actions)
    worlds = [grown_pair(start, n) for n in sizes]
    for n, (s_new, s_old) in zip(sizes, worlds, strict=True):
        check_same_work(label, reference, effects(NEW, s_new, actions), n)
        check_same_work(label + " (dict oracle)", reference, effects(OLD, s_old, actions), n)
    rates: list[list[float]] = []
    for impl, which in ((NEW, 0), (OLD, 1)):
        times: list[list[float]] = [[] for _ in sizes]
        for _ in range(repeats):
            for i, pair in enumerate(worlds):
                times[i].append(_timed(functools.partial(_replay, impl, pair[which], actions)))
        rates.append([len(actions) / statistics.median(t) for t in times])
    return [
        (n, len(pair[0]), r_new, r_old)
        for n, pair, r_new, r_old in zip(sizes, worlds, rates[0], rates[1], strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="extra paths"
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5, help="timed passes per figure")
    args = parser.parse_args()
    if any(n < 0 for n in args.sizes):
        raise SystemExit("error: --sizes must be 0 or more extra paths")
    if not 0 < args.window <= args.steps:
        raise SystemExit("error: --window must be between 1 and --steps")
    if args.seeds < 1 or args.repeats < 1:
        raise SystemExit("error: --seeds and --repeats must be at least 1")
    sizes = sorted(set(args.sizes))
    world = get_world("filesystem")
    print(
        f"same steps, bigger world: extra paths under {ROOT}; CPU time, medians of "
        f"{args.repeats} passes, sizes alternating; old = bench/_baseline_fs.py (c083150)"
    )
    print("  world size: " + ", ".join(f"{n:,} paths {world_mb(n):.1f} MB" for n in sizes))
    new_ratio: list[float] = []
    old_ratio: list[float] = []
    for seed in range(args.seeds):
        actions = [r.action for r in world.trajectory("weighted", seed, args.steps)]
        states = _roll(NEW, NEW.initial, actions)
        for name, lo in (("first", 0), ("last", args.steps - args.window)):
            label = f"seed {seed} {name} {args.window} steps [{lo}, {lo + args.window})"
            rows = window_rates(
                label, states[lo], actions[lo : lo + args.window], sizes, args.repeats
            )
            print(f"\n  {label}: same work at every size (checked)")
            print("     extra   paths      new/s   vs smallest      old/s   vs smallest  new/old")
            _, _, new0, old0 = rows[0]
            for n, paths, r_new, r_old in rows:
                print(
                    f"  {n:>8,} {paths:>7,} {r_new:>10,.0f}   x{r_new / new0:5.2f}    "
                    f"{r_old:>10,.0f}   x{r_old / old0:6.3f}   x{r_new / r_old:6.2f}"
                )
            new_ratio.append(rows[-1][2] / new0)
            old_ratio.append(rows[-1][3] / old0)
    print(
        f"\nlargest vs smallest size, over {len(new_ratio)} windows: new "
        f"x{min(new_ratio):.2f}-x{max(new_ratio):.2f} (median x{statistics.median(new_ratio):.2f}),"
        f" old x{min(old_ratio):.3f}-x{max(old_ratio):.3f}"
    )


if __name__ == "__main__":
    main()
