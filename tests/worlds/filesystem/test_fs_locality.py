"""A step's effect depends only on the paths it names, never on the rest of the world.

The oracle is replayed twice over the same drawn actions: once from the empty world, and once
from a world that also holds a few hundred paths under `/zz`, a name outside the drivers' name
pool, so no action names them. Step for step, both runs must agree on the exit code and on every
edit. Only an `ls /` may print differently, since it lists `zz`. The grown run must end as the
plain run's state plus the untouched extra paths.

This is the contract behind `bench/oracle_world_size_fs.py`, which times the same steps in
worlds grown this way. It also covers the prefix index: `/zz` hangs under the root, beside every
path the run creates, and the grown run is in the large form from its first step.
"""

from __future__ import annotations

import pytest

from worlds.filesystem import FilesystemWorld, FsState, SetResult, step
from worlds.filesystem.paths import resolve
from worlds.filesystem.state import DEFAULT_DIR, File, Node
from worlds.filesystem.tree import SMALL_MAX


def _extra(n: int) -> dict[str, Node]:
    """`n` paths under /zz: nested directories, each with files and subdirectories."""
    out: dict[str, Node] = {"/zz": DEFAULT_DIR}
    frontier = ["/zz"]
    while len(out) < n:
        directory = frontier.pop(0)
        for i in range(6):
            if i % 2:
                out[f"{directory}/f{i}"] = File(f"t{i}", 0o600)
            else:
                out[f"{directory}/d{i}"] = DEFAULT_DIR
                frontier.append(f"{directory}/d{i}")
    return out


def _grown(state: FsState, extra: dict[str, Node]) -> FsState:
    return FsState({**dict(state.fs.items()), **extra}, state.cwd, dict(state.env), state.last)


@pytest.mark.parametrize("driver", ["weighted", "adversarial", "uniform"])
@pytest.mark.parametrize("seed", [0, 1])
def test_paths_no_action_names_change_no_step(driver: str, seed: int) -> None:
    world = FilesystemWorld()
    extra = _extra(SMALL_MAX + 44)
    plain = FsState.initial()
    grown = _grown(plain, extra)
    for action in (r.action for r in world.trajectory(driver, seed, 400)):
        a = step(plain, action)
        b = step(grown, action)
        assert a.exit_code == b.exit_code, action
        assert a.delta[:-1] == b.delta[:-1], action
        assert type(a.delta[-1]) is SetResult and type(b.delta[-1]) is SetResult
        lists_root = action.command == "ls" and resolve(plain.cwd, action.args[0]) == "/"
        if not lists_root:
            assert a.delta[-1] == b.delta[-1], action
            assert a.observation == b.observation, action
        else:
            assert "zz" in b.observation.split("\n")
        plain, grown = a.state, b.state
    assert grown == _grown(plain, extra)
    order = list(grown.paths())
    assert [p for p in order if p == "/zz" or p.startswith("/zz/")] == list(extra)
    assert [p for p in order if not (p == "/zz" or p.startswith("/zz/"))] == list(plain.paths())
