"""Filesystem oracle speed: `step`, `apply` and `divergence` throughput, new vs old, in one run.

    .venv/bin/python bench/oracle_speed_fs.py                      # short rollouts + long ones
    .venv/bin/python bench/oracle_speed_fs.py --long-seeds 5 --repeats 7
    .venv/bin/python bench/oracle_speed_fs.py --no-short            # long trajectories only
    .venv/bin/python bench/oracle_speed_fs.py --by-command          # last window, per command

"old" is `bench/_baseline_fs.py`: a frozen copy of the dict-per-state implementation as of
commit c083150 (before issue 10), kept for these side-by-side ratios only; the package never
imports it. Both consume the very same parsed actions, so the ratio is new/old on identical
work, measured in the same process, pass by pass (new and old passes alternate, so a noisy
neighbour on a shared machine hits both); medians over `--repeats` passes are printed.

Short rollouts (the 60-step benchmark this bench always had): `--seeds` trajectories of
`--steps` steps per driver. Long trajectories (issue 10): `--long-seeds` weighted trajectories
of `--long-steps` steps, timed over the first and the last `--window` steps, with the state
size (paths) there.

What is timed: action sequences are generated first (driver sampling is excluded); a `step`
pass rolls the oracle forward over those actions, building every delta and successor, as a
trajectory does. `apply` replays the recorded deltas on the recorded states. `divergence` is
timed on (state, successor) pairs, the engine's common case, and on (state, successor rebuilt
from JSON), where nothing is shared; "cold" figures use objects rebuilt before EVERY pass (no
cached fact set, no remembered diff), "warm" ones repeat the pass on the same objects.
`step + div cold` is derived from those two medians: one step plus one cold divergence of a
(state, successor) pair. The engine's loop pays a step and a divergence per step (it measures
d_t after every step); its pair is the true state and the model's, not a state and its
successor, so this row stands in for it rather than timing it. Each long window also
prints how many paths a step changes on average, the work a step does to the tree.

Targets: >= 150k steps/s over the last 500 steps of a 5,000-step weighted trajectory with no
fall-off against the first 500, and no regression on the short rollouts.

Figures (2 shared cores; `--seeds 100 --long-seeds 3 --repeats 3`, one run, 2026-12-01, load
average 0.6-1.0; the absolute rates drift by up to 2x between runs on this VM, so read the
ratios; `bench/oracle_instructions_fs.py` gives the same windows in instructions, which do not
drift):

    (drivers in the order weighted, uniform, adversarial, structural)
    short rollouts, step new/old     x0.84, x0.80, x0.77, x0.79
    short rollouts, apply new/old    x0.84, x0.79, x0.76, x0.67
    short rollouts, div cold new/old x5.09, x1.74, x1.29, x6.53
    short rollouts, step + div cold  x2.14, x1.26, x1.03, x4.47
    long, last 500 steps, step       seed 0 (|fs| 1253->1864, 3.4 paths changed per step
                                     against 1.0 in its first 500) 40.6k/s x2.06; seed 1
                                     (2122->2399, 1.0 against 0.8) 51.3k/s x4.08; seed 2
                                     (356->538, 1.0 against 0.7) 118k/s x1.27
    long, last 500 steps, apply      x2.70, x5.85, x1.16; div cold x92, x277, x60;
                                     step + div cold x27.6, x70.5, x19.6

The 150k target is not met, and a step alone on a short rollout is x0.77-0.84 of the dict
oracle's; a step plus one cold (state, successor) divergence is faster everywhere
(x1.03-x4.47). The short-rollout step pays for a lineage-carrying tree object on every changed
state, which is what makes divergence O(paths changed). No step scans the state any more; the
late windows are slower partly because their steps do more (seed 0's change 3.4 paths each
against 1.0 early: `cp -r` and `mv` of grown directories), partly because a bigger world costs
somewhat more per step. `bench/oracle_world_size_fs.py` measures the second on its own: the
same steps in worlds grown by paths they never touch.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _baseline_fs as old  # the frozen baseline, beside this file

from worlds import get_world
from worlds.filesystem import FilesystemWorld, FsAction, codec
from worlds.filesystem import apply as new_apply
from worlds.filesystem.metrics import divergence as new_divergence
from worlds.filesystem.oracle import HANDLERS as NEW_HANDLERS
from worlds.filesystem.state import FsState
from worlds.filesystem.tree import diff

SHORT_DRIVERS = ("weighted", "uniform", "adversarial", "structural")


@dataclass(frozen=True)
class Impl:
    """One implementation's entry points."""

    name: str
    initial: Any
    handlers: dict[str, Callable[[Any, Any], Any]]
    apply: Callable[[Any, Sequence[object]], Any]
    divergence: Callable[[Any, Any], float]
    rebuild: Callable[[Any], Any]  # the same value, as a fresh object sharing nothing


def _rebuild_new(state: FsState) -> FsState:
    return codec.state_from_json(codec.state_to_json(state))


def _rebuild_old(state: Any) -> Any:
    return old.OldFsState(dict(state._fs), state._cwd, dict(state._env), state._last)


NEW = Impl("new", FsState.initial(), NEW_HANDLERS, new_apply, new_divergence, _rebuild_new)
OLD = Impl("old", old.OldFsState.initial(), old.HANDLERS, old.apply, old.divergence, _rebuild_old)


def _timed(fn: Callable[[], None]) -> float:
    """CPU seconds of this process (`time.process_time`), not wall time: on a shared machine the
    bench is descheduled at random, and wall time charges those gaps to whichever pass they
    hit. (Cache and hyperthread contention from neighbours still show; hence the ratios.)"""
    start = time.process_time()
    fn()
    return time.process_time() - start


def _roll(impl: Impl, start: Any, actions: Sequence[FsAction]) -> list[Any]:
    """Every state from `start` on (len(actions) + 1 of them)."""
    handlers = impl.handlers
    states = [start]
    state = start
    for action in actions:
        state = handlers[action.command](state, action).state
        states.append(state)
    return states


def _replay(impl: Impl, start: Any, actions: Sequence[FsAction]) -> None:
    """Roll the oracle over `actions` keeping only the current state: a timed `step` pass."""
    handlers = impl.handlers
    state = start
    for action in actions:
        state = handlers[action.command](state, action).state


def _deltas(impl: Impl, states: Sequence[Any], actions: Sequence[FsAction]) -> list[Any]:
    handlers = impl.handlers
    return [handlers[a.command](s, a).delta for s, a in zip(states, actions, strict=False)]


class Window:
    """One timed stretch of actions for one implementation: fixed start state, its states and
    deltas, and the four measurements (step, apply, divergence cold / warm)."""

    def __init__(self, impl: Impl, runs: Sequence[tuple[Any, Sequence[FsAction]]]) -> None:
        self.impl = impl
        self.runs = runs  # (start state, actions) per rollout
        self.states = [_roll(impl, s, acts) for s, acts in runs]
        self.deltas = [
            _deltas(impl, states, acts) for states, (_, acts) in zip(self.states, runs, strict=True)
        ]
        self.n = sum(len(acts) for _, acts in runs)

    def step(self) -> float:
        def run() -> None:
            for start, actions in self.runs:
                _replay(self.impl, start, actions)

        return _timed(run)

    def apply(self) -> float:
        apply = self.impl.apply
        pairs = [
            (s, d)
            for states, deltas in zip(self.states, self.deltas, strict=True)
            for s, d in zip(states, deltas, strict=False)
        ]

        def run() -> None:
            for state, delta in pairs:
                apply(state, delta)

        return _timed(run)

    def successor_pairs(self) -> list[tuple[Any, Any]]:
        """Fresh (state, successor) objects: the oracle is rolled again (untimed)."""
        pairs: list[tuple[Any, Any]] = []
        for start, actions in self.runs:
            states = _roll(self.impl, self.impl.rebuild(start), actions)
            pairs.extend(itertools.pairwise(states))
        return pairs

    def rebuilt_pairs(self, stride: int) -> list[tuple[Any, Any]]:
        """Fresh (state, rebuilt successor) objects sharing nothing (untimed)."""
        rebuild = self.impl.rebuild
        return [
            (rebuild(states[i]), rebuild(states[i + 1]))
            for states in self.states
            for i in range(0, len(states) - 1, stride)
        ]

    def divergence(self, pairs: Sequence[tuple[Any, Any]]) -> float:
        divergence = self.impl.divergence

        def run() -> None:
            for a, b in pairs:
                divergence(a, b)

        return _timed(run)


def _alternate(
    repeats: int, new: Callable[[], float], old_: Callable[[], float]
) -> tuple[float, float, float]:
    """Median new time, median old time, median per-pass old/new ratio (passes alternate)."""
    t_new: list[float] = []
    t_old: list[float] = []
    for _ in range(repeats):
        t_new.append(new())
        t_old.append(old_())
    ratios = [o / n for n, o in zip(t_new, t_old, strict=True)]
    return statistics.median(t_new), statistics.median(t_old), statistics.median(ratios)


def _measure(
    new: Window, old_: Window, repeats: int, stride: int
) -> dict[str, tuple[float, float, float]]:
    """Throughput (per second) new, old and the new/old speed ratio for each operation."""
    out: dict[str, tuple[float, float, float]] = {}

    def rate(name: str, fn_new: Callable[[], float], fn_old: Callable[[], float], n: int) -> None:
        t_new, t_old, ratio = _alternate(repeats, fn_new, fn_old)
        out[name] = (n / t_new, n / t_old, ratio)

    rate("step", new.step, old_.step, new.n)
    rate("apply", new.apply, old_.apply, new.n)
    rate(
        "div cold",
        lambda: new.divergence(new.successor_pairs()),
        lambda: old_.divergence(old_.successor_pairs()),
        new.n,
    )
    warm_new = new.successor_pairs()
    warm_old = old_.successor_pairs()
    new.divergence(warm_new)
    old_.divergence(warm_old)
    rate("div warm", lambda: new.divergence(warm_new), lambda: old_.divergence(warm_old), new.n)
    m = len(new.rebuilt_pairs(stride))
    rate(
        "div rebuilt cold",
        lambda: new.divergence(new.rebuilt_pairs(stride)),
        lambda: old_.divergence(old_.rebuilt_pairs(stride)),
        m,
    )
    # The engine's loop pays one step and one divergence per step (engine/rollout/loop.py,
    # d_t after every step); derived from the two medians, on (state, successor) pairs.
    (step_new, step_old, _), (div_new, div_old, _) = out["step"], out["div cold"]
    pair_new = 1 / (1 / step_new + 1 / div_new)
    pair_old = 1 / (1 / step_old + 1 / div_old)
    out["step + div cold"] = (pair_new, pair_old, pair_new / pair_old)
    return out


def short_rollouts(
    world: FilesystemWorld, driver: str, seeds: int, steps: int, repeats: int
) -> None:
    sequences = [[r.action for r in world.trajectory(driver, s, steps)] for s in range(seeds)]
    new = Window(NEW, [(NEW.initial, acts) for acts in sequences])
    old_ = Window(OLD, [(OLD.initial, acts) for acts in sequences])
    mean_paths = statistics.fmean(len(s) for states in new.states for s in states[:-1])
    rows = _measure(new, old_, repeats, stride=1)
    print(f"{driver:<11} {new.n:>6} steps  mean |fs| {mean_paths:6.1f}")
    for name, (r_new, r_old, ratio) in rows.items():
        print(
            f"    {name:<17} new {r_new:>10,.0f}/s   old {r_old:>10,.0f}/s   new/old x{ratio:5.2f}"
        )


def long_trajectory(
    world: FilesystemWorld, seed: int, steps: int, window: int, repeats: int
) -> dict[str, dict[str, tuple[float, float, float]]]:
    actions = [r.action for r in world.trajectory("weighted", seed, steps)]
    new_states = _roll(NEW, NEW.initial, actions)
    old_states = _roll(OLD, OLD.initial, actions)
    results: dict[str, dict[str, tuple[float, float, float]]] = {}
    for label, lo in (("first", 0), ("last", steps - window)):
        acts = actions[lo : lo + window]
        new = Window(NEW, [(new_states[lo], acts)])
        old_ = Window(OLD, [(old_states[lo], acts)])
        rows = _measure(new, old_, repeats, stride=max(1, window // 100))
        results[label] = rows
        size = (
            f"|fs| {len(new_states[lo]):>5} -> {len(new_states[lo + window]):>5}, "
            f"{_changed(new_states[lo : lo + window + 1]):.1f} paths changed/step"
        )
        print(f"  seed {seed} {label:<5} {window} steps [{lo:>5}, {lo + window:>5})  {size}")
        for name, (r_new, r_old, ratio) in rows.items():
            print(
                f"    {name:<17} new {r_new:>10,.0f}/s   old {r_old:>10,.0f}/s   "
                f"new/old x{ratio:5.2f}"
            )
    return results


def _changed(states: Sequence[FsState]) -> float:
    """Mean paths whose node (or presence) a step changed: the work a step does to the tree
    (a directory `mv` changes every path below it twice, once gone and once new)."""
    pairs = list(itertools.pairwise(states))
    return sum(len(diff(a._tree, b._tree)) for a, b in pairs) / len(pairs)


def by_command(world: FilesystemWorld, seed: int, steps: int, window: int, repeats: int) -> None:
    """Where the last window's step time goes: CPU time and delta edits per command.

    Each step of the window is timed on its own (`repeats` calls, the best kept), so the
    figures say which commands the window's time is spent in and how that relates to the
    edits their deltas carry (a directory `mv` carries one edit but moves its whole subtree in
    the state).
    """
    actions = [r.action for r in world.trajectory("weighted", seed, steps)]
    states = _roll(NEW, NEW.initial, actions)
    spent: dict[str, list[float]] = {}
    worst: list[tuple[float, str, int]] = []
    for i in range(steps - window, steps):
        action, state = actions[i], states[i]
        handler = NEW.handlers[action.command]
        call = functools.partial(handler, state, action)
        best = min(_timed(call) for _ in range(repeats))
        edits = len(call().delta) - 1  # the result edit aside
        row = spent.setdefault(action.command, [0.0, 0.0, 0.0])
        row[0] += 1
        row[1] += best
        row[2] += edits
        worst.append((best, action.command, edits))
    total = sum(r[1] for r in spent.values())
    print(f"  seed {seed}, last {window} steps by command: {window / total:,.0f} steps/s")
    for command, (n, secs, edits) in sorted(spent.items(), key=lambda kv: -kv[1][1]):
        print(
            f"    {command:<8} {int(n):>4} steps {secs * 1e3:7.2f} ms ({secs / total:6.1%})  "
            f"{secs / n * 1e6:7.1f} us/step  {edits / n:6.1f} path edits/step"
        )
    for secs, command, edits in sorted(worst, reverse=True)[:5]:
        print(f"    slowest: {command:<6} {secs * 1e6:8.1f} us, {edits} path edits")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200, help="short rollouts per driver")
    parser.add_argument("--steps", type=int, default=60, help="steps per short rollout")
    parser.add_argument("--long-seeds", type=int, default=3)
    parser.add_argument("--long-steps", type=int, default=5000)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5, help="timed passes per figure")
    parser.add_argument("--no-short", action="store_true", help="skip the short rollouts")
    parser.add_argument("--no-long", action="store_true", help="skip the long trajectories")
    parser.add_argument(
        "--by-command", action="store_true", help="only: the last window's time per command"
    )
    args = parser.parse_args()
    if not 0 < args.window <= args.long_steps:
        raise SystemExit("error: --window must be between 1 and --long-steps")
    world: FilesystemWorld = get_world("filesystem")
    print(
        f"python {platform.python_version()} on {platform.machine()}; oracle "
        f"{world.oracle_version}; medians of {args.repeats} alternating passes; "
        "old = bench/_baseline_fs.py (c083150)"
    )
    if args.by_command:
        for seed in range(args.long_seeds):
            by_command(world, seed, args.long_steps, args.window, args.repeats)
        return
    if not args.no_short:
        print(f"\nshort rollouts: {args.seeds} seeds x {args.steps} steps per driver")
        for driver in SHORT_DRIVERS:
            short_rollouts(world, driver, args.seeds, args.steps, args.repeats)
    if not args.no_long:
        print(
            f"\nlong weighted trajectories: {args.long_seeds} seeds x {args.long_steps} steps, "
            f"first and last {args.window}"
        )
        last_new: list[float] = []
        last_ratio: list[float] = []
        falloff: list[float] = []
        for seed in range(args.long_seeds):
            res = long_trajectory(world, seed, args.long_steps, args.window, args.repeats)
            last_new.append(res["last"]["step"][0])
            last_ratio.append(res["last"]["step"][2])
            falloff.append(res["last"]["step"][0] / res["first"]["step"][0])
        print(
            f"\nlast {args.window} steps, median over seeds: new {statistics.median(last_new):,.0f}"
            f" steps/s (target >= 150,000), new/old x{statistics.median(last_ratio):.2f}, "
            f"last/first x{statistics.median(falloff):.2f}"
        )


if __name__ == "__main__":
    main()
