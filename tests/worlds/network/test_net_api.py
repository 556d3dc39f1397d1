"""The World contract at its edges: construction, typed errors, immutability, purity."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from worlds import get_world
from worlds.base import ActionParseError, DeltaFormatError, Transition, World
from worlds.network import (
    DRIVER_NAMES,
    HostUp,
    NetState,
    NetworkConfigError,
    NetworkWorld,
    SetResult,
    UnknownDriverError,
)


def test_satisfies_the_world_protocol() -> None:
    world = get_world("network", hosts=7, ports=2)
    assert isinstance(world, World)
    assert isinstance(world, NetworkWorld)
    assert world.name == "network" and world.oracle_version
    assert world.driver_names() == DRIVER_NAMES == ("uniform", "weighted", "adversarial", "traffic")


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"hosts": 1}, "hosts must be in [2"),
        ({"hosts": 0}, "hosts must be in"),
        ({"hosts": -3}, "hosts must be in"),
        ({"ports": 0}, "ports must be in [1"),
        ({"hosts": "5"}, "hosts must be an int"),
        ({"hosts": True}, "hosts must be an int"),
        ({"ports": 2.0}, "ports must be an int"),
    ],
)
def test_config_is_validated(config: dict[str, object], fragment: str) -> None:
    with pytest.raises(NetworkConfigError, match=fragment.replace("[", r"\[")):
        get_world("network", **config)


def test_unknown_config_key_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="nodes"):
        get_world("network", nodes=5)


def test_initial_state() -> None:
    world = NetworkWorld(hosts=4)
    s = world.initial_state()
    assert json.loads(world.to_json(s)) == {
        "hosts": {f"h{i}": {"up": True, "services": [], "fw_deny": []} for i in range(4)},
        "links": [],
        "flows": [],
        "clock": 0,
        "last_exit": 0,
    }
    assert s == world.initial_state() and hash(s) == hash(world.initial_state())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty command"),
        ("   \t ", "empty command"),
        ("reboot h0", "unknown command"),
        ("advance now", "advance takes 0"),
        ("host_up", "host_up takes 1"),
        ("link_up h0", "link_up takes 2"),
        ("connect h0 h1", "connect takes 3"),
        ("svc_up h0 http", "not an integer"),
        ("close h0 h1 8o", "not an integer"),
        ("Advance", "unknown command"),
    ],
)
def test_parse_errors_say_why(text: str, reason: str) -> None:
    world = NetworkWorld()
    with pytest.raises(ActionParseError) as info:
        world.parse_action(text)
    assert info.value.text == text
    assert reason in info.value.reason


def test_parse_canonicalizes_whitespace_and_keeps_tokens() -> None:
    world = NetworkWorld()
    a = world.parse_action("  connect\th0   h1 -8\n")
    assert world.action_text(a) == "connect h0 h1 -8"
    assert world.action_command(a) == "connect"
    assert world.action_args(a) == ("h0", "h1", "-8")
    assert world.parse_action(world.action_text(a)) == a


def test_non_text_and_non_actions_raise_typed_errors() -> None:
    world = NetworkWorld()
    with pytest.raises(ActionParseError):
        world.parse_action(None)  # type: ignore[arg-type]
    with pytest.raises(ActionParseError):
        world.step(world.initial_state(), "advance")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a network state"):
        world.step({}, world.parse_action("advance"))  # type: ignore[arg-type]


def test_states_and_edits_are_immutable() -> None:
    s = NetworkWorld().initial_state()
    with pytest.raises(AttributeError):
        s._clock = 3
    with pytest.raises(TypeError):
        s.hosts["h9"] = s.hosts["h0"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        HostUp("h0").host = "h1"  # type: ignore[misc]


def test_step_is_pure() -> None:
    world = NetworkWorld()
    s = world.trajectory("weighted", 4, 30)[-1].transition.state
    before = world.to_json(s)
    for text in ("advance", "host_down h1", "link_up h0 h4", "connect h0 h1 80", "close h3 h0 80"):
        t1 = world.step(s, world.parse_action(text))
        t2 = world.step(s, world.parse_action(text))
        assert isinstance(t1, Transition) and t1 == t2
    assert world.to_json(s) == before


def test_trajectory_is_a_pure_function_of_its_arguments() -> None:
    world = NetworkWorld()
    a = world.trajectory("traffic", 9, 60)
    b = NetworkWorld().trajectory("traffic", 9, 60)
    assert a == b
    assert world.trajectory("traffic", 10, 60) != a
    assert world.trajectory("weighted", 0, 0) == []
    with pytest.raises(ValueError, match="non-negative"):
        world.trajectory("weighted", 0, -1)


def test_unknown_driver_is_rejected() -> None:
    with pytest.raises(UnknownDriverError, match="known: uniform"):
        NetworkWorld().driver("chaos", 0)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"hosts": {}}',
        '{"hosts": {}, "links": [], "flows": [], "clock": 0, "last_exit": 0, "x": 1}',
        '{"hosts": {"h0": {"up": 1, "services": [], "fw_deny": []}}, "links": [], "flows": [],'
        ' "clock": 0, "last_exit": 0}',
        '{"hosts": {"h0": {"up": true, "services": ["80"], "fw_deny": []}}, "links": [],'
        ' "flows": [], "clock": 0, "last_exit": 0}',
        '{"hosts": {}, "links": [["h0"]], "flows": [], "clock": 0, "last_exit": 0}',
        '{"hosts": {}, "links": [], "flows": [["a", "b", "80"]], "clock": 0, "last_exit": 0}',
        '{"hosts": {}, "links": [], "flows": [], "clock": true, "last_exit": 0}',
        "[" * 100_000,
    ],
)
def test_bad_state_json_raises_delta_format_error(text: str) -> None:
    with pytest.raises(DeltaFormatError):
        NetworkWorld().from_json(text)


@pytest.mark.parametrize(
    "dicts",
    [
        [{"op": "teleport", "host": "h0"}],
        [{"host": "h0"}],
        [{"op": "host_up"}],
        [{"op": "host_up", "host": 3}],
        [{"op": "svc_up", "host": "h0", "port": "eighty"}],
        [{"op": "set_result", "exit_code": True}],
        [{"op": "clock_advance", "amount": 1.5}],
        [{"op": "host_up", "host": "h0", "extra": 1}],
        ["host_up h0"],
        "host_up",
    ],
)
def test_bad_delta_dicts_raise_delta_format_error(dicts: object) -> None:
    with pytest.raises(DeltaFormatError):
        NetworkWorld().delta_from_dicts(dicts)  # type: ignore[arg-type]


def test_delta_codecs_accept_the_seeds_casts() -> None:
    world = NetworkWorld()
    seed: list[dict[str, Any]] = [
        {"op": "svc_up", "host": "h0", "port": "80"},
        {"op": "set_result", "exit_code": 0},
    ]
    assert world.delta_to_dicts(world.delta_from_dicts(seed))[0]["port"] == 80
    with pytest.raises(DeltaFormatError):
        world.delta_from_json("{")
    with pytest.raises(DeltaFormatError):
        world.delta_from_json('{"op": "advance"}')


def test_apply_rejects_non_edits_and_creates_unknown_hosts() -> None:
    world = NetworkWorld(hosts=2)
    s = world.initial_state()
    with pytest.raises(DeltaFormatError):
        world.apply(s, ["host_up h0"])  # type: ignore[list-item]
    with pytest.raises(DeltaFormatError):
        world.bits_to_correct([object()], [SetResult(0)])  # type: ignore[list-item]
    grown = world.apply(s, world.delta_from_dicts([{"op": "fw_deny", "host": "new", "src": "h0"}]))
    assert grown.hosts["new"].up and grown.hosts["new"].fw_deny == ("h0",)
    down = world.apply(s, world.delta_from_dicts([{"op": "host_down", "host": "ghost"}]))
    assert not down.hosts["ghost"].up


def test_states_pickle_by_value() -> None:
    world = NetworkWorld()
    s = world.trajectory("traffic", 3, 80)[-1].transition.state
    assert pickle.loads(pickle.dumps(s)) == s
    assert isinstance(pickle.loads(pickle.dumps(s)), NetState)
