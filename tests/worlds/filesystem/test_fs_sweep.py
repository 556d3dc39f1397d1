"""The invariant sweep: 3 drivers x 200 seeds x 80 steps = 48,000 seeded transitions, each held
to the world's contract, with negative controls proving the same checks catch corrupted deltas.
"""

from __future__ import annotations

from collections.abc import Sequence

from worlds import get_world
from worlds.base import StepRecord
from worlds.filesystem import Create, Dir, File, FilesystemWorld, FsState, Modify, SetResult

WORLD: FilesystemWorld = get_world("filesystem")
DRIVERS = ("uniform", "weighted", "adversarial")
SEEDS = range(200)
STEPS = 80


def replay_failures(state: FsState, delta: Sequence[object], truth: FsState) -> list[str]:
    """What is wrong with `delta` as the record of a step from `state` to `truth`."""
    out: list[str] = []
    replayed = WORLD.apply(state, delta)
    if replayed != truth:
        out.append("apply(s, delta) != next")
    elif list(replayed.fs) != list(truth.fs):
        out.append("apply(s, delta) reorders the tree")
    d = WORLD.divergence(replayed, truth)
    if not 0.0 <= d <= 1.0 or (d == 0.0) != (replayed == truth):
        out.append(f"divergence {d} inconsistent with equality")
    return out


def transition_failures(record: StepRecord) -> list[str]:
    s, t = record.state, record.transition
    out = replay_failures(s, t.delta, t.state)
    if t.exit_code not in (0, 1):
        out.append(f"exit {t.exit_code}")
    if not isinstance(t.delta[-1], SetResult) or t.delta[-1].exit_code != t.exit_code:
        out.append("delta does not end in its SetResult")
    text = WORLD.to_json(t.state)
    if WORLD.from_json(text) != t.state:
        out.append("state JSON does not round-trip")
    if WORLD.delta_from_json(WORLD.delta_to_json(t.delta)) != t.delta:
        out.append("delta JSON does not round-trip")
    d = WORLD.divergence(s, t.state)
    if not 0.0 <= d <= 1.0 or d != WORLD.divergence(t.state, s) or (d == 0.0) != (s == t.state):
        out.append(f"divergence axioms fail ({d})")
    if WORLD.divergence(t.state, t.state) != 0.0:
        out.append("d(s, s) != 0")
    if WORLD.bits_to_correct(t.delta, t.delta) != 0.0 or not WORLD.delta_exact(t.delta, t.delta):
        out.append("an exact delta costs bits")
    return out


def _changed(record: StepRecord) -> bool:
    s, n = record.state, record.transition.state
    return s.fs != n.fs or s.cwd != n.cwd or s.env != n.env


def corruptions(record: StepRecord) -> list[tuple[str, tuple[object, ...]]]:
    """Deliberately wrong deltas for one transition (each must be caught)."""
    delta = record.transition.delta
    out: list[tuple[str, tuple[object, ...]]] = [
        ("inject", (*delta[:-1], Create("/zz_injected", Dir()), delta[-1]))
    ]
    if _changed(record):
        out.append(("drop", delta[1:]))
    for i, edit in enumerate(delta):
        flipped: object | None = None
        if isinstance(edit, Create) and isinstance(edit.node, File):
            flipped = Create(edit.path, File(edit.node.content + "omega", edit.node.mode))
        elif isinstance(edit, Modify):
            flipped = Modify(edit.path, edit.content + "omega")
        if flipped is not None:
            out.append(("token", (*delta[:i], flipped, *delta[i + 1 :])))
            break
    return out


def test_invariant_sweep_48000_transitions_with_negative_controls() -> None:
    checked = 0
    failures: list[tuple[str, int, int, str, list[str]]] = []
    controls: dict[str, int] = {"inject": 0, "drop": 0, "token": 0}
    missed: list[tuple[str, str]] = []
    for driver in DRIVERS:
        for seed in SEEDS:
            for i, record in enumerate(WORLD.trajectory(driver, seed, STEPS)):
                checked += 1
                problems = transition_failures(record)
                if problems:
                    failures.append((driver, seed, i, record.action.text, problems))
                if i % 8 != 3:  # controls on a fixed eighth of the transitions
                    continue
                for kind, bad in corruptions(record):
                    controls[kind] += 1
                    caught = replay_failures(record.state, bad, record.transition.state)
                    true = record.transition.delta
                    if not caught or WORLD.delta_exact(bad, true):
                        missed.append((kind, record.action.text))
                    if WORLD.bits_to_correct(bad, true) <= 0.0:
                        missed.append((kind + "/bits", record.action.text))
    assert checked == len(DRIVERS) * len(SEEDS) * STEPS == 48_000
    assert failures == []
    assert missed == []
    assert min(controls.values()) >= 500, controls
