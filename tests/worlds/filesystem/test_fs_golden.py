"""Hand-checked goldens: every command and every failure condition of the command table, the
seed's edge vectors, the seed's driver vectors, and the one intended deviation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fsw_reference as ref
import pytest

from worlds import get_world
from worlds.filesystem import Dir, File, FilesystemWorld, FsState, SetResult, oracle
from worlds.filesystem.state import sha256_hex

GOLDEN = Path(__file__).with_name("data") / "golden"
CASES: list[dict[str, Any]] = [
    json.loads(line)
    for line in (GOLDEN / "commands.jsonl").read_text().splitlines()
    if line.strip()
]
WORLD: FilesystemWorld = get_world("filesystem")


def _run_setup(setup: list[str]) -> FsState:
    state = WORLD.initial_state()
    for raw in setup:
        t = WORLD.step(state, WORLD.parse_action(raw))
        assert t.exit_code == 0, f"setup step {raw!r} failed"
        state = t.state
    return state


def _tree(state: FsState) -> dict[str, str]:
    out: dict[str, str] = {}
    for path, node in state.fs.items():
        if isinstance(node, File):
            out[path] = f"f{node.mode:o}:{node.content}"
        else:
            assert isinstance(node, Dir)
            out[path] = f"d{node.mode:o}"
    return out


def test_goldens_cover_every_command_and_enough_failures() -> None:
    commands = {WORLD.action_command(WORLD.parse_action(c["action"])) for c in CASES}
    assert commands == set(ref.SHAPES)
    assert sum(1 for c in CASES if c["exit_code"] == 1) >= 30
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_command(case: dict[str, Any]) -> None:
    before = _run_setup(case["setup"])
    t = WORLD.step(before, WORLD.parse_action(case["action"]))
    stdout = case.get("stdout", "")
    assert t.exit_code == case["exit_code"]
    assert t.observation == stdout
    edits = WORLD.delta_from_dicts(case.get("edits", []))
    assert t.delta == (*edits, SetResult(case["exit_code"], sha256_hex(stdout)))
    assert t.state.exit_code == case["exit_code"]
    assert t.state.stdout_hash == sha256_hex(stdout)
    if case["exit_code"] == 1:
        # A failure changes nothing but `last`.
        assert dict(t.state.fs) == dict(before.fs)
        assert t.state.cwd == before.cwd and dict(t.state.env) == dict(before.env)
    if "tree" in case:
        assert _tree(t.state) == case["tree"]
    if "cwd" in case:
        assert t.state.cwd == case["cwd"]
    if "env" in case:
        assert dict(t.state.env) == case["env"]
    assert WORLD.apply(before, t.delta) == t.state


@pytest.mark.parametrize(
    "case", [c for c in CASES if "seed_exit_code" in c], ids=lambda c: c["name"]
)
def test_deviation_is_real_and_documented(case: dict[str, Any]) -> None:
    """The seed (our naive stand-in for it) accepts these; we reject them, on purpose."""
    state = ref.new_state()
    for raw in case["setup"]:
        state = ref.oracle_step(state, raw)[0]
    _, delta, code, _ = ref.oracle_step(state, case["action"])
    assert code == case["seed_exit_code"] == 0
    assert delta[0]["op"] == "create"  # the seed clobbers the directory node with the file
    assert case["exit_code"] == 1
    assert "cp FILE DST" in (oracle.__doc__ or "")


def _vector(driver: str) -> list[str]:
    records = WORLD.trajectory(driver, 0, 10)
    return [f"{r.action.text}[{r.transition.exit_code}]" for r in records]


@pytest.mark.parametrize("driver", ["weighted", "structural", "trivial", "adversarial"])
def test_seed_driver_vectors(driver: str) -> None:
    expected = json.loads((GOLDEN / "driver_vectors.json").read_text())[driver]
    got = _vector(driver)[: len(expected)]
    for want, have in zip(expected, got, strict=True):
        if want.startswith("*"):
            assert have.endswith(want[1:])
        else:
            assert have == want


def test_trivial_driver_saturates_after_eight_creates() -> None:
    records = WORLD.trajectory("trivial", 0, 8)
    assert all(r.transition.exit_code == 0 for r in records)
    names = {r.action.args[0] for r in records}
    assert len(names) == 8 and all(n.count("/") == 1 for n in names)


def test_structural_max_depth_bounds_depth() -> None:
    world = FilesystemWorld(max_depth=2)
    for seed in range(5):
        final = world.trajectory("structural", seed, 120)[-1].transition.state
        assert max(p.count("/") for p in final.fs if p != "/") <= 2


@pytest.mark.parametrize(
    ("setup", "action", "exit_code", "check"),
    [
        (["mkdir /a"], "cp -r /a /a", 1, None),
        (["mkdir /a", "touch /a/f"], "mv /a/f /a", 0, None),
        (["write /f alpha", "mkdir /g"], "cp -r /f /g", 0, ("/g/f", "alpha")),
        (["mkdir /a"], "chmod 7777 /a", 0, ("/a", 4095)),
        (["mkdir /a", "touch /a/f"], "touch /a/f/g", 1, None),
        (["mkdir /a", "touch /a/f"], "mv /a/f /", 0, ("/f", "")),
        (["mkdir /a", "touch /a/f"], "ls /a/f", 0, ("stdout", "f")),
        (["mkdir /a"], "cat /a", 1, None),
    ],
)
def test_seed_edge_vectors(
    setup: list[str], action: str, exit_code: int, check: tuple[str, object] | None
) -> None:
    t = WORLD.step(_run_setup(setup), WORLD.parse_action(action))
    assert t.exit_code == exit_code
    if check is None:
        return
    key, value = check
    if key == "stdout":
        assert t.observation == value
        return
    node = t.state.node(key)
    assert node is not None
    if isinstance(value, str):
        assert isinstance(node, File) and node.content == value
    else:
        assert node.mode == value


def test_divergence_example_from_the_seed() -> None:
    empty = WORLD.initial_state()
    after = WORLD.step(empty, WORLD.parse_action("mkdir /a")).state
    assert WORLD.divergence(empty, after) == pytest.approx(1 / 9)


def test_bits_examples_from_the_seed() -> None:
    dir_edit = WORLD.delta_from_dicts(
        [{"op": "create", "path": "/a", "node": {"type": "dir", "mode": 493}}]
    )
    file_edit = WORLD.delta_from_dicts(
        [
            {
                "op": "create",
                "path": "/a/b",
                "node": {"type": "file", "mode": 420, "content": "alpha"},
            }
        ]
    )
    assert WORLD.bits_to_correct((), dir_edit) == 30.0
    assert WORLD.bits_to_correct(file_edit, ()) == 72.0
