"""Bit-parity with the seed's drivers: config hash, first actions and trajectory hashes (§9).

The seed's trajectory hashes are SHA-256[:16] over the compact, key-sorted JSON of its step
records, whose link edits keep the action's argument order. Our link edits are sorted (a
deliberate change, see worlds/network/edits.py), so the test rebuilds the seed's serialization
of each record from our world's output, re-ordering link-edit endpoints as the seed did; every
other byte comes from our world unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from worlds import get_world
from worlds.base import StepRecord
from worlds.network import LinkAdd, NetworkWorld

SEED_HASHES = {
    "uniform": "83350d6f989998ea",
    "weighted": "50f37125d83a0ef8",
    "adversarial": "d446475424ddf528",
}


def seed_record(world: NetworkWorld, rec: StepRecord) -> dict[str, Any]:
    delta = world.delta_to_dicts(rec.transition.delta)
    if world.action_command(rec.action) in ("link_up", "link_down"):
        a, b = world.action_args(rec.action)
        delta = [
            ({**d, "a": a, "b": b} if d["op"] in ("link_add", "link_del") else d) for d in delta
        ]
    return {
        "state": json.loads(world.to_json(rec.state)),
        "action": world.action_text(rec.action),
        "next_state": json.loads(world.to_json(rec.transition.state)),
        "delta": delta,
        "exit_code": rec.transition.exit_code,
    }


def trajectory_hash(world: NetworkWorld, driver: str, seed: int, steps: int) -> str:
    records = [seed_record(world, r) for r in world.trajectory(driver, seed, steps)]
    text = json.dumps(records, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_default_config_hash_is_the_seeds() -> None:
    body = '{"hosts":["h0","h1","h2","h3","h4"],"name":"net-v0","ports":[22,80,443]}'
    world = get_world("network")
    assert world.config_hash == hashlib.sha256(body.encode()).hexdigest()[:16]
    assert world.config.hosts == ("h0", "h1", "h2", "h3", "h4")
    assert world.config.ports == (22, 80, 443)


def test_scaled_configs_follow_the_pool() -> None:
    world = get_world("network", hosts=25, ports=14)
    assert world.config.name == "net-25h14p"
    assert world.config.hosts[-1] == "h24"
    assert world.config.ports == (22, 80, 443, 53, 8080, 3306, 5432, 6379, 9200, 25, 110, 143,
                                  10012, 10013)  # fmt: skip
    assert world.config_hash != get_world("network").config_hash


@pytest.mark.parametrize("driver", sorted(SEED_HASHES))
def test_trajectory_hash_matches_the_seed(driver: str) -> None:
    assert trajectory_hash(NetworkWorld(), driver, 0, 40) == SEED_HASHES[driver]


def test_first_weighted_actions() -> None:
    world = NetworkWorld()
    recs = world.trajectory("weighted", 0, 12)
    assert [world.action_text(r.action) for r in recs] == [
        "close h3 h0 80", "advance", "svc_up h2 80", "svc_up h1 443", "link_up h1 h0",
        "fw_deny h2 h1", "link_down h0 h2", "svc_up h0 80", "svc_up h4 443", "advance",
        "advance", "svc_up h4 80",
    ]  # fmt: skip
    assert recs[0].transition.exit_code == 1
    # The one documented difference: `link_up h1 h0` yields the sorted edit.
    assert recs[4].transition.delta[0] == LinkAdd("h0", "h1")
    assert world.delta_to_dicts(recs[4].transition.delta)[0] == {
        "op": "link_add",
        "a": "h0",
        "b": "h1",
    }


def test_first_adversarial_and_uniform_actions() -> None:
    world = NetworkWorld()
    adv = world.trajectory("adversarial", 0, 4)
    assert [world.action_text(r.action) for r in adv] == [
        "advance",
        "connect h3 h0 80",
        "advance",
        "svc_down h2 80",
    ]
    assert adv[1].transition.exit_code == 1
    uni = world.trajectory("uniform", 0, 4)
    assert [world.action_text(r.action) for r in uni] == [
        "close h3 h0 80",
        "advance",
        "svc_down h2 80",
        "link_down h1 h4",
    ]
    assert uni[0].transition.exit_code == 1


def test_seed_drivers_never_yield_bad_args() -> None:
    world = NetworkWorld(hosts=8, ports=4)
    for driver in world.driver_names():
        for seed in range(3):
            assert all(r.transition.exit_code != 2 for r in world.trajectory(driver, seed, 200))
