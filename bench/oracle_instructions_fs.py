"""Filesystem oracle cost in CPU instructions per step: a noise-free figure for A/B work.

    .venv/bin/python bench/oracle_instructions_fs.py [--vs DIR] [--seeds 3] [--steps 5000]
                                                     [--only CMD] [--extra N [N ...]]

Why instructions: on a shared 2-vCPU VM the same 500 oracle steps time anywhere within a factor
of two from one minute to the next (`bench/oracle_speed_fs.py` reports medians of alternating
passes for that reason), which hides a 10% change. Valgrind's cachegrind counts the
instructions a process executes exactly, so two checkouts compare to the instruction.

What is counted: for each seed, a 5,000-step weighted trajectory is generated and replayed once
(set-up, which also keeps the state the last `window` steps start from); then those last steps
are replayed from that state once in one process and three times in another. The difference of
the two totals, over twice the window, is the instructions per step of exactly those steps:
Python start-up, imports, trajectory generation and set-up cancel out. `PYTHONHASHSEED=0` in
both, so the hash-array-mapped tries have the same shape. Before the replays the set-up's
objects are collected and frozen (`gc.freeze`): otherwise whether a full collection, which walks
every object alive (imports, the trajectory), lands inside the window depends on the whole
process's allocation history, and moved the count by over 10% between two scripts doing the same
steps. Collections of the window's own young objects are still counted. Excluded: cache misses
and branch mispredicts, which instructions do not see, so a ratio here is not a ratio in wall
time.

`--only CMD` counts just that command's steps of the window, each replayed from the true state
it was taken in (so a `touch` on a 2,000-path tree, a `cp -r` of whatever subtree the driver
picked there): where a window's instructions go, command by command.

`--extra N` grows the window's start state by N paths that no step of the window touches
(`bench/_background_fs.py`, as `oracle_world_size_fs.py` does), so the same steps are counted in
a bigger world; with several values, each line also gives its ratio to the first value's.

`--vs DIR` names a second checkout (e.g. `git worktree add /tmp/base HEAD~1`) run the same way,
and prints the ratio per seed. Needs `valgrind` on the PATH (Debian: `apt install valgrind`).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def inner(root: str, reps: int, seed: int, steps: int, window: int, only: str, extra: int) -> None:
    """The measured process: set up, then replay the last window `reps` times (with `only`, just
    that command's steps of the window, each from its own true state; with `extra`, from the
    window's start state grown by that many untouched paths)."""
    sys.path.insert(0, root)
    from _background_fs import grown

    from worlds import get_world
    from worlds.filesystem.oracle import HANDLERS
    from worlds.filesystem.state import FsState

    world = get_world("filesystem")
    actions = [r.action for r in world.trajectory("weighted", seed, steps)]
    state = FsState.initial()
    for action in actions[: steps - window]:
        state = HANDLERS[action.command](state, action).state
    if extra:
        state = grown(state, extra)
    start = state
    last = actions[steps - window :]
    picked = []
    for action in last:
        if action.command == only:
            picked.append((state, action))
        state = HANDLERS[action.command](state, action).state
    print(len(picked) if only else window)  # the steps one pass replays, for the caller
    gc.collect()
    gc.freeze()  # the set-up's heap is not the window's: collections skip it (see the docstring)
    for _ in range(reps):
        if only:
            for state, action in picked:
                HANDLERS[action.command](state, action)
            continue
        state = start
        for action in last:
            state = HANDLERS[action.command](state, action).state


def count(
    root: Path, reps: int, seed: int, steps: int, window: int, only: str, extra: int
) -> tuple[int, int]:
    """Instructions executed by one inner process (cachegrind's `I refs`), and the steps one of
    its passes replays."""
    cmd = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--inner",
        str(root),
        str(reps),
        str(seed),
        str(steps),
        str(window),
        only,
        str(extra),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"error: the measured process failed under valgrind:\n{done.stderr}")
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(f"error: valgrind printed no instruction count:\n{done.stderr}")
    return int(found.group(1).replace(",", "")), int(done.stdout.split()[-1])


def per_step(
    root: Path, seed: int, steps: int, window: int, only: str, extra: int
) -> tuple[float, int]:
    """Instructions per measured step, and how many steps a pass replays (0: none to count)."""
    with ThreadPoolExecutor(2) as pool:
        (once, n), (thrice, _) = pool.map(
            lambda reps: count(root, reps, seed, steps, window, only, extra), (1, 3)
        )
    return ((thrice - once) / (2 * n) if n else 0.0), n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vs", type=Path, help="a second checkout to compare against")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument(
        "--only", default="", help="one command's steps of the window (e.g. touch, mv, cp_r)"
    )
    parser.add_argument(
        "--extra",
        type=int,
        nargs="+",
        default=[0],
        metavar="N",
        help="grow the window's start state by N paths it never touches (several: a line each, "
        "and the last over the first)",
    )
    parser.add_argument("--inner", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        root, reps, seed, steps, window, only, extra = args.inner
        inner(root, int(reps), int(seed), int(steps), int(window), only, int(extra))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("error: valgrind is not on the PATH (Debian: apt install valgrind)")
    if args.vs is not None and not (args.vs / "worlds" / "filesystem").is_dir():
        raise SystemExit(f"error: --vs {args.vs} is not a checkout of this project")
    if any(n < 0 for n in args.extra):
        raise SystemExit("error: --extra must be 0 or more paths")
    if not 0 < args.window < args.steps:
        raise SystemExit("error: --window must be between 1 and --steps - 1")
    if args.only:
        from worlds.filesystem.oracle import HANDLERS

        if args.only not in HANDLERS:
            raise SystemExit(f"error: --only {args.only!r}: one of {', '.join(sorted(HANDLERS))}")
    what = f"`{args.only}` step" if args.only else "oracle step"
    print(
        f"instructions per {what} over the last {args.window} of {args.steps} weighted "
        f"steps (cachegrind, PYTHONHASHSEED=0); this checkout = {ROOT}"
        + (f", vs = {args.vs}" if args.vs else "")
    )
    for seed in range(args.seeds):
        first = 0.0
        for i, extra in enumerate(args.extra):
            new, n = per_step(ROOT, seed, args.steps, args.window, args.only, extra)
            if n == 0:
                print(f"  seed {seed}: no `{args.only}` step in the window")
                break
            grown = f" +{extra:,} paths" if len(args.extra) > 1 or extra else ""
            line = f"  seed {seed}{grown}: {new:>9,.0f}  ({n} steps)"
            if args.vs is not None:
                vs = args.vs.resolve()
                old, _ = per_step(vs, seed, args.steps, args.window, args.only, extra)
                line += f"   vs {old:>9,.0f}   this/vs x{new / old:.3f}"
            if i == 0:
                first = new
            else:
                line += f"   vs +{args.extra[0]:,} paths x{new / first:.3f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
