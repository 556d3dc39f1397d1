"""Determinism across processes: trajectories must not depend on hash randomization.

Sets and dicts of strings iterate in an order that changes with PYTHONHASHSEED; anything that
leaked that order into actions, deltas or serialized states would show up here as different
trajectory hashes in two interpreters.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from worlds.network import NetworkWorld

SCRIPT = """
import hashlib, json, sys
from worlds.network import NetworkWorld
out = {}
for n in (5, 25):
    world = NetworkWorld(hosts=n, ports=3)
    for driver in world.driver_names():
        recs = world.trajectory(driver, 11, 150)
        body = [[world.to_json(r.state), world.action_text(r.action),
                 world.delta_to_json(r.transition.delta), world.to_json(r.transition.state),
                 r.transition.exit_code] for r in recs]
        out[f"{n}/{driver}"] = hashlib.sha256(json.dumps(body).encode()).hexdigest()
print(json.dumps(out, sort_keys=True))
"""

ROOT = Path(__file__).resolve().parents[3]


def in_process() -> dict[str, str]:
    out = {}
    for n in (5, 25):
        world = NetworkWorld(hosts=n, ports=3)
        for driver in world.driver_names():
            recs = world.trajectory(driver, 11, 150)
            body = [
                [
                    world.to_json(r.state),
                    world.action_text(r.action),
                    world.delta_to_json(r.transition.delta),
                    world.to_json(r.transition.state),
                    r.transition.exit_code,
                ]
                for r in recs
            ]
            out[f"{n}/{driver}"] = hashlib.sha256(json.dumps(body).encode()).hexdigest()
    return out


def run_with_hash_seed(seed: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, str] = json.loads(done.stdout)
    return result


def test_trajectories_are_identical_in_process_and_across_hash_seeds() -> None:
    here = in_process()
    assert here == in_process()
    assert run_with_hash_seed("0") == here
    assert run_with_hash_seed("4242") == here
