"""Training: bit-for-bit determinism (in process and across fresh processes), the weight cache,
online updates, and the two oracle-relabelled drift levers."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from learned_helpers import TINY_FLAT, TINY_GRAPH, trajectories, world

from proposers.flat_transformer import FlatTransformerProposer
from proposers.graph_rssm import GraphRSSMProposer
from proposers.training.cache import WeightCache, content_key
from proposers.training.corrupt import corrupt_filesystem, corrupt_network
from proposers.training.examples import examples_from, inject_noise, self_forced
from proposers.training.learned import LearnedProposer

ROOT = Path(__file__).resolve().parents[2]


def weights_digest(p: LearnedProposer) -> str:
    assert p.model is not None
    h = hashlib.sha256()
    for name, tensor in sorted(p.model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().numpy().tobytes())
    return h.hexdigest()


def fitted(
    cls: type[LearnedProposer],
    params: dict[str, object],
    name: str = "network",
    seed: int = 0,
    **extra: object,
) -> LearnedProposer:
    p = cls(world(name), **{**params, **extra})
    p.fit(trajectories(name), seed)
    return p


@pytest.mark.parametrize(
    ("cls", "params"), [(FlatTransformerProposer, TINY_FLAT), (GraphRSSMProposer, TINY_GRAPH)]
)
def test_same_seed_same_weights_bit_for_bit(
    cls: type[LearnedProposer], params: dict[str, object]
) -> None:
    a = fitted(cls, params, cache=False)
    b = fitted(cls, params, cache=False)
    c = fitted(cls, params, seed=1, cache=False)
    assert weights_digest(a) == weights_digest(b)
    assert weights_digest(a) != weights_digest(c)


_CHILD = """
import hashlib, sys
sys.path.insert(0, {tests!r})
from learned_helpers import TINY_GRAPH, trajectories, world
from proposers.graph_rssm import GraphRSSMProposer
p = GraphRSSMProposer(world("network"), **TINY_GRAPH, cache=False, self_force=0.5, refresh_every=2)
p.fit(trajectories("network"), 7)
h = hashlib.sha256()
for name, t in sorted(p.model.state_dict().items()):
    h.update(name.encode()); h.update(t.numpy().tobytes())
pred = p.predict(*[(r.state, r.action) for r in trajectories("network")[0]][3])
print(h.hexdigest(), repr(pred.signal))
"""


def test_training_is_identical_across_fresh_processes(tmp_path: Path) -> None:
    code = _CHILD.format(tests=str(Path(__file__).parent))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": str(ROOT)},
            cwd=tmp_path,
        )
        for hashseed in ("0", "1")
    ]
    outs = [proc.communicate(timeout=300)[0].strip() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    assert outs[0] == outs[1]
    assert len(outs[0].split()[0]) == 64


def test_cache_miss_then_hit_with_identical_weights(_isolated_cache: Path) -> None:
    first = fitted(GraphRSSMProposer, TINY_GRAPH)
    assert first.train_info["cache_hit"] is False
    assert list(_isolated_cache.rglob("*.pt"))
    second = fitted(GraphRSSMProposer, TINY_GRAPH)
    assert second.train_info["cache_hit"] is True
    assert second.train_info["cache_key"] == first.train_info["cache_key"]
    assert weights_digest(first) == weights_digest(second)
    assert second.train_info["train_examples"] == first.train_info["train_examples"] == 24
    # anything that changes the weights changes the key: data, hyper-parameters, seed
    for other in (
        fitted(GraphRSSMProposer, TINY_GRAPH, seed=3),
        fitted(GraphRSSMProposer, TINY_GRAPH, lr=1e-3),
    ):
        assert other.train_info["cache_hit"] is False
    p = GraphRSSMProposer(world("network"), **TINY_GRAPH)
    p.fit(trajectories("network", (0, 2)), 0)
    assert p.train_info["cache_hit"] is False
    # a runtime-only parameter (online learning rate) shares the fitted weights
    assert fitted(GraphRSSMProposer, TINY_GRAPH, online_lr=0.5).train_info["cache_hit"] is True
    # model_seed pins the model whatever seed fit() is handed (one model for many trials)
    pinned = [fitted(GraphRSSMProposer, TINY_GRAPH, seed=s, model_seed=0) for s in (4, 5)]
    assert pinned[1].train_info["cache_hit"] is True
    assert weights_digest(pinned[0]) == weights_digest(first)


def test_cache_store_is_atomic_and_tolerates_a_corrupt_entry(tmp_path: Path) -> None:
    cache = WeightCache(tmp_path)
    key = content_key({"a": 1})
    assert cache.load("k", key) is None
    cache.store("k", key, {"state_dict": {"w": torch.ones(2)}, "info": {"n": 1}})
    assert [p.name for p in (tmp_path / "k").iterdir()] == [f"{key}.pt"]  # no temp left
    assert cache.load("k", key)["info"] == {"n": 1}  # type: ignore[index]
    (tmp_path / "k" / f"{key}.pt").write_bytes(b"truncated")
    assert cache.load("k", key) is None
    assert content_key({"a": 1, "b": 2}) == content_key({"b": 2, "a": 1})


@pytest.mark.parametrize("replay", [False, True])
def test_online_update_changes_weights_only_on_consulted_steps(replay: bool) -> None:
    p = fitted(GraphRSSMProposer, TINY_GRAPH, replay=replay, replay_updates=2)
    w = world("network")
    recs = trajectories("network")[1]
    before = weights_digest(p)
    for r in recs[:5]:
        p.predict(r.state, r.action)  # not consulted: no change
    assert weights_digest(p) == before
    p.online_update(recs[0].state, recs[0].action, recs[0].transition.delta)
    after_one = weights_digest(p)
    assert after_one != before and p.online_updates == 1
    p.predict(recs[1].state, recs[1].action)
    assert weights_digest(p) == after_one
    p.online_update(recs[1].state, recs[1].action, w.step(recs[1].state, recs[1].action).delta)
    assert weights_digest(p) != after_one
    p.online_reset()
    assert weights_digest(p) == before and p.online_updates == 0


def test_noise_injection_keeps_the_count_and_relabels_with_the_oracle() -> None:
    w = world("network")
    base = examples_from(trajectories("network"))
    hosts, ports = ("h0", "h1", "h2", "h3", "h4"), (22, 80, 443)
    noisy = inject_noise(
        w, base, lambda s, rng: corrupt_network(w, s, rng, hosts, ports), prob=0.5, seed=0
    )
    assert len(noisy) == len(base)
    changed = [(b, n) for b, n in zip(base, noisy, strict=True) if n.state != b.state]
    assert 0 < len(changed) < len(base)
    for _, n in changed:
        assert n.delta == tuple(w.step(n.state, n.action).delta)
    assert inject_noise(w, base, lambda s, r: s, prob=0.0, seed=0) == base


def test_filesystem_corruption_keeps_the_tree_well_formed() -> None:
    w = world("filesystem")
    rng = random.Random(4)
    state = trajectories("filesystem")[0][-1].transition.state
    for _ in range(50):
        state = corrupt_filesystem(w, state, rng, ("a", "b"), ("alpha",), (420, 493))
        paths = [p for p, _ in json.loads(w.to_json(state))["fs"]]
        for path in paths:
            parent = path.rsplit("/", 1)[0] or "/"
            assert path == "/" or parent in paths


def test_self_forcing_labels_every_visited_state_with_the_oracle() -> None:
    w = world("network")
    trajs = trajectories("network")

    def always_empty(pairs: list[tuple[object, object]]) -> list[tuple[object, ...]]:
        return [() for _ in pairs]  # a model that predicts "nothing happens"

    plain = self_forced(w, trajs, always_empty, sample_prob=0.0, rng=random.Random(0))
    assert plain == examples_from(trajs)  # p = 0 is teacher forcing on the true walk
    drifted = self_forced(w, trajs, always_empty, sample_prob=1.0, rng=random.Random(0))
    assert len(drifted) == len(plain)
    assert all(ex.delta == tuple(w.step(ex.state, ex.action).delta) for ex in drifted)
    assert all(ex.state == w.initial_state() for ex in drifted)  # never left the start


def test_levers_train_and_record_their_counts() -> None:
    p = fitted(
        FlatTransformerProposer,
        TINY_FLAT,
        noise_prob=0.3,
        self_force=0.5,
        refresh_every=2,
        cache=False,
    )
    assert p.train_info["train_examples"] == 24
    assert 0.0 <= p.token_accuracy(trajectories("network")[0]) <= 1.0


_CACHED_CHILD = """
import sys
sys.path.insert(0, {tests!r})
from learned_helpers import TINY_GRAPH, trajectories, world
from proposers.graph_rssm import GraphRSSMProposer
p = GraphRSSMProposer(world("network"), **{{**TINY_GRAPH, "train_iters": 300}})
p.fit(trajectories("network"), 11)
print(p.train_info["cache_hit"], p.train_info["cache_key"])
"""


def test_concurrent_processes_train_a_shared_model_once(tmp_path: Path) -> None:
    """The per-key lock: one process fits, the other waits and loads the stored weights."""
    code = _CACHED_CHILD.format(tests=str(Path(__file__).parent))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VERISIM_CACHE_DIR": str(tmp_path / "shared")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path
        )
        for _ in range(2)
    ]
    outs = sorted(proc.communicate(timeout=300)[0].split() for proc in procs)
    assert [proc.returncode for proc in procs] == [0, 0]
    assert [hit for hit, _ in outs] == ["False", "True"]
    assert outs[0][1] == outs[1][1]
    assert len(list((tmp_path / "shared").rglob("*.pt"))) == 1


def test_the_loop_updates_online_exactly_on_its_consults() -> None:
    from engine.rollout.loop import run_at_rho

    w = world("network")
    actions = [r.action for r in w.trajectory("weighted", 100_003, 10)]
    p = fitted(GraphRSSMProposer, TINY_GRAPH)
    base = weights_digest(p)
    frozen = run_at_rho(w, p, w.initial_state(), actions, rho=0.3, online=False)
    assert weights_digest(p) == base and p.online_updates == 0
    online = run_at_rho(w, p, w.initial_state(), actions, rho=0.3, online=True)
    assert p.online_updates == online.consults == frozen.consults == 3
    assert weights_digest(p) != base


def test_a_missing_accelerator_is_a_clear_error() -> None:
    from proposers.base import ProposerError

    if torch.cuda.is_available():
        pytest.skip("CUDA is present here")
    with pytest.raises(ProposerError, match="CUDA is not available"):
        GraphRSSMProposer(world("network"), device="cuda")
    with pytest.raises(ProposerError, match="only cpu and cuda"):
        GraphRSSMProposer(world("network"), device="meta")
