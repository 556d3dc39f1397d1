"""The World protocol surface: typed errors, immutability, structural equality, argument
resolution and apply's totality on nonsensical deltas."""

from __future__ import annotations

import dataclasses
import itertools
import json

import pytest

from worlds import get_world
from worlds.base import ActionParseError, DeltaFormatError, World
from worlds.filesystem import (
    Chmod,
    Create,
    Delete,
    Dir,
    File,
    FilesystemWorld,
    FsState,
    Modify,
    Move,
    SetCwd,
    SetEnv,
    SetResult,
    UnknownDriverError,
)
from worlds.filesystem.state import EMPTY_HASH

WORLD: FilesystemWorld = get_world("filesystem")


def run(*texts: str, state: FsState | None = None) -> FsState:
    s = WORLD.initial_state() if state is None else state
    for text in texts:
        s = WORLD.step(s, WORLD.parse_action(text)).state
    return s


def test_satisfies_the_world_protocol() -> None:
    assert isinstance(WORLD, World)
    assert WORLD.name == "filesystem"
    assert WORLD.oracle_version.startswith("ref-1")
    assert set(WORLD.driver_names()) >= {"uniform", "weighted", "adversarial"}


def test_unknown_driver_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="weighted") as info:
        WORLD.driver("chaotic", 0)
    assert isinstance(info.value, UnknownDriverError)
    with pytest.raises(ValueError):
        WORLD.trajectory("chaotic", 0, 3)


def test_trajectory_lengths_and_bad_steps() -> None:
    assert WORLD.trajectory("weighted", 0, 0) == []
    records = WORLD.trajectory("weighted", 0, 5)
    assert len(records) == 5
    assert records[0].state == WORLD.initial_state()
    for prev, nxt in itertools.pairwise(records):
        assert prev.transition.state is nxt.state
    with pytest.raises(ValueError):
        WORLD.trajectory("weighted", 0, -1)


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"name_pool": ("a/b",)}, "segment"),
        ({"name_pool": ()}, "non-empty"),
        ({"content_tokens": ("two words",)}, "no spaces"),
        ({"env_keys": ("A=B",)}, "'='"),
        ({"modes": (-1,)}, "non-negative"),
        ({"max_depth": 0}, "max_depth"),
    ],
)
def test_bad_config_is_rejected(config: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FilesystemWorld(**config)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "rm", "rm -r", "rm -r /a /b", "cp -r /a", "cp /a", "mv /a", "chmod 9 /a",
     "chmod 644", "chmod x /a", "export K", "export =v", "export A=1 B=2", "frobnicate /a",
     "mkdir /a /b", "write /a", "write /a b c", "MKDIR /a", "ls"],
)  # fmt: skip
def test_parse_errors_are_typed(text: str) -> None:
    with pytest.raises(ActionParseError) as info:
        WORLD.parse_action(text)
    assert info.value.text == text and info.value.reason


def test_parse_canonicalizes_whitespace_and_keeps_raw_args() -> None:
    action = WORLD.parse_action("  cp\t-r   /a/../b  c \n")
    assert WORLD.action_text(action) == "cp -r /a/../b c"
    assert WORLD.action_command(action) == "cp_r"
    assert WORLD.action_args(action) == ("/b", "c")
    chmod = WORLD.parse_action("chmod 0o17 //x/")
    assert WORLD.action_args(chmod) == ("0o17", "/x") and chmod.mode == 0o17
    assert WORLD.action_command(WORLD.parse_action("rm -r /a")) == "rm_r"
    assert WORLD.action_args(WORLD.parse_action("export K=a=b")) == ("K", "a=b")
    assert WORLD.parse_action("rm -x") == WORLD.parse_action("rm  -x")  # "-x" is a path


def test_values_are_immutable() -> None:
    state = run("mkdir /a")
    with pytest.raises(AttributeError):
        state.cwd = "/a"  # type: ignore[misc]
    with pytest.raises(TypeError):
        state.fs["/b"] = Dir()  # type: ignore[index]
    action = WORLD.parse_action("mkdir /a")
    with pytest.raises(AttributeError):
        action.text = "rm /a"
    with pytest.raises(dataclasses.FrozenInstanceError):
        Create("/a", Dir()).path = "/b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        File("x").content = "y"  # type: ignore[misc]


def test_equality_is_structural_not_historical() -> None:
    ab = run("mkdir /a", "mkdir /b")
    ba = run("mkdir /b", "mkdir /a")
    assert list(ab.fs) != list(ba.fs)
    assert ab == ba and hash(ab) == hash(ba)
    assert WORLD.divergence(ab, ba) == 0.0
    assert len({ab, ba, run("mkdir /a")}) == 2
    assert ab != "not a state"


def test_relative_paths_follow_cwd() -> None:
    state = run("mkdir /d", "cd /d", "mkdir e", "cd e", "write ../f alpha", "cd ..")
    assert state.cwd == "/d"
    node = state.node("/d/f")
    assert isinstance(node, File) and node.content == "alpha"
    t = WORLD.step(state, WORLD.parse_action("cat f"))
    assert t.observation == "alpha" and t.exit_code == 0


def test_initial_facts() -> None:
    assert WORLD.facts(WORLD.initial_state()) == frozenset(
        {("/", "dir", "", 0o755), ("\0cwd", "/"), ("\0exit", 0), ("\0stdout", EMPTY_HASH)}
    )


def test_apply_is_total_on_nonsense() -> None:
    state = run("mkdir /d", "write /f alpha")
    nonsense = (
        Modify("/d", "x"),  # a directory: no-op
        Modify("/missing", "x"),
        Move("/missing", "/elsewhere"),
        Chmod("/missing", 0o700),
        Delete("/missing"),
        "not an edit",
        SetCwd("relative/and/missing"),
    )
    out = WORLD.apply(state, nonsense)
    assert out.fs == state.fs and out.cwd == "relative/and/missing"
    gone = WORLD.apply(state, (Delete("/"), Move("/d", "/f/inside"), SetEnv("K", "v")))
    assert "/" not in gone.fs and isinstance(gone.node("/f/inside"), Dir)
    assert 0.0 < WORLD.divergence(gone, state) <= 1.0
    assert WORLD.from_json(WORLD.to_json(gone)) == gone
    # The oracle stays total on such a state too.
    t = WORLD.step(gone, WORLD.parse_action("mkdir /x"))
    assert t.exit_code == 1


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        json.dumps({"op": "create"}),
        json.dumps([{"op": "explode", "path": "/a"}]),
        json.dumps([{"op": "delete"}]),
        json.dumps([{"op": "delete", "path": 3}]),
        json.dumps([{"op": "delete", "path": "/a", "extra": 1}]),
        json.dumps([{"op": "chmod", "path": "/a", "mode": True}]),
        json.dumps([{"op": "setresult", "exit_code": "0", "stdout_hash": EMPTY_HASH}]),
        json.dumps([{"op": "create", "path": "/a", "node": {"type": "link", "mode": 1}}]),
        json.dumps([{"op": "create", "path": "/a", "node": {"type": "dir", "mode": 1, "x": 1}}]),
        json.dumps(
            [
                {
                    "op": "create",
                    "path": "/a",
                    "node": {
                        "type": "file",
                        "mode": 420,
                        "content": "a",
                        "content_hash": EMPTY_HASH,
                    },
                }
            ]
        ),
        json.dumps(["create"]),
    ],
)
def test_malformed_deltas_raise_delta_format_error(payload: str) -> None:
    with pytest.raises(DeltaFormatError):
        WORLD.delta_from_json(payload)


def test_malformed_dicts_raise_delta_format_error() -> None:
    with pytest.raises(DeltaFormatError):
        WORLD.delta_from_dicts({"op": "delete", "path": "/a"})  # type: ignore[arg-type]
    with pytest.raises(DeltaFormatError):
        WORLD.delta_to_dicts(["not an edit"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("cwd"),
        lambda d: d.update(extra=1),
        lambda d: d["fs"].append(d["fs"][0]),
        lambda d: d["fs"].append(["/x"]),
        lambda d: d["env"].update(K=1),
        lambda d: d["last"].update(exit_code=None),
        lambda d: d["fs"][0][1].update(size=99),
    ],
)
def test_malformed_states_raise_delta_format_error(mutate: object) -> None:
    d = json.loads(WORLD.to_json(run("write /f alpha")))
    mutate(d)  # type: ignore[operator]
    with pytest.raises(DeltaFormatError):
        WORLD.from_json(json.dumps(d))
    with pytest.raises(DeltaFormatError):
        WORLD.from_json(b"\xff")  # type: ignore[arg-type]
    with pytest.raises(DeltaFormatError):
        WORLD.from_json(None)  # type: ignore[arg-type]


def test_canonical_json_shape() -> None:
    text = WORLD.to_json(run("write /f alpha", "export HOME=beta", "cat /f"))
    assert text == (
        '{"cwd":"/","env":{"HOME":"beta"},"fs":[["/",{"mode":493,"type":"dir"}],'
        '["/f",{"content":"alpha","content_hash":"8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7'
        'ccdda1ed4018e8f2223f8","mode":420,"size":5,"type":"file"}]],"last":{"exit_code":0,'
        '"stdout_hash":"8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8"}}'
    )
    t = WORLD.step(WORLD.initial_state(), WORLD.parse_action("mkdir /a"))
    assert WORLD.delta_to_json(t.delta) == (
        '[{"node":{"mode":493,"type":"dir"},"op":"create","path":"/a"},'
        '{"exit_code":0,"op":"setresult","stdout_hash":"' + EMPTY_HASH + '"}]'
    )
    assert t.delta[-1] == SetResult(0, EMPTY_HASH)
