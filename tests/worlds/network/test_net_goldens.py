"""Hand-checked golden transitions covering every command and failure condition of the oracle.

Each case (data/goldens.jsonl) runs its setup from the empty 3-host network, then one action,
and states the exact exit code and delta (the seed's dict form, link edits sorted), plus parts
of the next state or all of it (the seed's three goldens of network-world.md §9).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from net_helpers import load_goldens, run_actions

from worlds.network import NetworkWorld

GOLDENS = load_goldens()
COMMANDS = (
    "host_up", "host_down", "link_up", "link_down", "svc_up", "svc_down",
    "fw_deny", "fw_allow", "connect", "close", "advance",
)  # fmt: skip


@pytest.fixture(scope="module")
def world() -> NetworkWorld:
    return NetworkWorld(hosts=3, ports=2)


def test_the_golden_set_is_broad() -> None:
    assert len(GOLDENS) >= 30
    commands = {g["action"].split()[0] for g in GOLDENS}
    assert commands == set(COMMANDS)
    for command in COMMANDS:
        codes = {g["exit_code"] for g in GOLDENS if g["action"].split()[0] == command}
        expected = {"advance": {0}, "close": {0, 1}, "connect": {0, 1, 2}}.get(command, {0, 2})
        assert codes == expected, command
    assert sum(1 for g in GOLDENS if g["name"].startswith("seed golden")) == 3


@pytest.mark.parametrize("case", GOLDENS, ids=[g["name"] for g in GOLDENS])
def test_golden(world: NetworkWorld, case: dict[str, Any]) -> None:
    before = run_actions(world, case["setup"])
    action = world.parse_action(case["action"])
    t = world.step(before, action)
    assert t.exit_code == case["exit_code"]
    assert world.delta_to_dicts(t.delta) == case["delta"]
    assert t.observation == ""
    got = json.loads(world.to_json(t.state))
    if "state" in case:
        assert got == case["state"]
    for key, value in case.get("check", {}).items():
        assert got[key] == value, key
    assert got["last_exit"] == case["exit_code"]
    assert world.apply(before, t.delta) == t.state
    # The delta is exactly the change: a no-op or failure changes nothing but last_exit.
    if len(t.delta) == 1:
        assert json.loads(world.to_json(before)) | {"last_exit": t.exit_code} == got
