"""Trajectories are a pure function of (config, driver, seed, steps): the same in-process, and
byte-identical across processes with different hash seeds (no set/dict-order leakage)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from worlds import get_world
from worlds.filesystem import FilesystemWorld

WORLD: FilesystemWorld = get_world("filesystem")
ROOT = Path(__file__).resolve().parents[3]

DIGEST_SCRIPT = """
import hashlib, sys
from worlds import get_world
w = get_world("filesystem")
h = hashlib.sha256()
for driver in ("uniform", "weighted", "adversarial", "trivial", "structural"):
    for seed in (0, 1, 42):
        for r in w.trajectory(driver, seed, 40):
            t = r.transition
            for part in (w.to_json(r.state), r.action.text, w.to_json(t.state),
                         w.delta_to_json(t.delta), str(t.exit_code), t.observation,
                         repr(sorted(map(repr, w.facts(t.state))))):
                h.update(part.encode("utf-8", "surrogatepass") + b"\\0")
sys.stdout.write(h.hexdigest())
"""


def _digest_in_subprocess(hash_seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", DIGEST_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


def test_trajectories_identical_across_processes_and_hash_seeds() -> None:
    digests = {_digest_in_subprocess(seed) for seed in ("0", "1", "4242")}
    assert len(digests) == 1
    assert len(digests.pop()) == 64


def test_trajectory_is_repeatable_in_process() -> None:
    def text(seed: int) -> list[str]:
        return [
            WORLD.to_json(r.transition.state) + r.action.text
            for r in WORLD.trajectory("weighted", seed, 60)
        ]

    assert text(42) == text(42)
    assert text(42) != text(43)


def test_drivers_share_no_rng_state() -> None:
    """Interleaving two drivers does not change either's stream (no global RNG)."""
    a = WORLD.driver("weighted", 5)
    b = WORLD.driver("weighted", 5)
    s = WORLD.initial_state()
    first = [a.sample(s) for _ in range(20)]
    noise = WORLD.driver("uniform", 9)
    second = []
    for _ in range(20):
        noise.sample(s)
        second.append(b.sample(s))
    assert first == second


def test_world_config_changes_the_hash_only_through_vocab() -> None:
    assert WORLD.config_hash == "27dc9fbac2a38833"
    assert FilesystemWorld(max_depth=3).config_hash == WORLD.config_hash
    other = FilesystemWorld(content_tokens=("alpha", "beta"))
    assert other.config_hash != WORLD.config_hash
    assert hashlib.sha256(b"").hexdigest() == WORLD.initial_state().stdout_hash
