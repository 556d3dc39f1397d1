"""The world seam is typed: mypy rejects a state of one world handed to code for another.

`World[S, A]`, `Proposer[S, A]` and the loop bind one world's state and action types through
a rollout, so mixing worlds is a type error, caught before anything runs. The snippet is
checked by mypy itself; the clean lines must stay clean and each wrong one must be flagged.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = textwrap.dedent(
    """
    from engine.rollout.loop import run_rollout
    from engine.rollout.policies import Never
    from proposers.null import NullProposer
    from worlds.filesystem import FilesystemWorld
    from worlds.network import NetworkWorld

    fs = FilesystemWorld()
    net = NetworkWorld()
    proposer = NullProposer(fs)
    actions = [r.action for r in fs.trajectory("uniform", 0, 3)]
    run_rollout(fs, proposer, fs.initial_state(), actions, budget=0, policy=Never())
    state = fs.trajectory("uniform", 0, 1)[0].transition.state
    fs.divergence(state, fs.initial_state())
    run_rollout(fs, proposer, net.initial_state(), actions, budget=0, policy=Never())  # WRONG
    net.divergence(state, net.initial_state())  # WRONG
    NullProposer(net).predict(state, actions[0])  # WRONG
    """
)


def test_mixing_worlds_is_a_type_error(tmp_path: Path) -> None:
    path = tmp_path / "snippet.py"
    path.write_text(SNIPPET)
    wrong = {i for i, line in enumerate(SNIPPET.splitlines(), 1) if line.endswith("# WRONG")}
    env_path = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = str(ROOT)
    try:
        out, err, _ = api.run(
            ["--no-incremental", "--follow-imports=silent", "--ignore-missing-imports",
             "--cache-dir=/dev/null", "--no-error-summary", str(path)]
        )  # fmt: skip
    finally:
        if env_path is None:
            os.environ.pop("MYPYPATH", None)
        else:
            os.environ["MYPYPATH"] = env_path
    flagged = {int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line}
    assert flagged == wrong, out + err
