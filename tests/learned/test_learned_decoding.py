"""Untrained, random-weight models: every constrained decode parses into a valid delta."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from learned_helpers import TINY_FLAT, TINY_GRAPH, world

from proposers.base import ProposerError
from proposers.flat_transformer import FlatTransformerProposer
from proposers.graph_rssm import GraphRSSMProposer


def _pairs(name: str, seed: int, n: int) -> list[tuple[object, object]]:
    """Random reachable states with random actions (the states a rollout can visit)."""
    w = world(name)
    driver = w.driver_names()[seed % len(w.driver_names())]
    recs = w.trajectory(driver, seed, n)
    acts = w.trajectory("uniform", seed + 1, n)
    return [(r.transition.state, a.action) for r, a in zip(recs, acts, strict=True)]


@pytest.mark.parametrize(
    ("name", "cls", "params"),
    [
        ("network", FlatTransformerProposer, TINY_FLAT),
        ("filesystem", FlatTransformerProposer, TINY_FLAT),
        ("network", GraphRSSMProposer, TINY_GRAPH),
    ],
)
@settings(max_examples=8, deadline=None)
@given(model_seed=st.integers(0, 10_000), data_seed=st.integers(0, 10_000))
def test_random_weight_decodes_always_parse(
    name: str, cls: type, params: dict[str, object], model_seed: int, data_seed: int
) -> None:
    w = world(name)
    p = cls(w, **{**params, "max_edits": 6, "max_run": 5, "max_tokens": 48})
    p.initialize(model_seed)
    n = 96 if name == "filesystem" else 128  # 8 examples x n: ~1000 decodes per arm
    pairs = _pairs(name, data_seed, n)
    preds = p.predict_batch(pairs)
    assert len(preds) == n
    for (state, _), pred in zip(pairs, preds, strict=True):
        assert len(pred.delta) <= 6
        assert w.delta_from_json(w.delta_to_json(pred.delta)) == pred.delta
        w.apply(state, pred.delta)
        assert pred.signal >= 0.0


def test_default_caps_terminate_and_parse() -> None:
    """Seed caps (64 edits, runs of 256) can exceed any fixed backstop in the filesystem
    grammar; the token budget still ends every decode with a parseable delta."""
    w = world("filesystem")
    p = FlatTransformerProposer(w, **{**TINY_FLAT, "max_tokens": 200})
    p.initialize(3)
    pairs = _pairs("filesystem", 7, 16)
    for (state, _), pred in zip(pairs, p.predict_batch(pairs), strict=True):
        assert len(pred.delta) <= 64
        w.apply(state, pred.delta)


def test_batched_and_single_decodes_agree() -> None:
    """Same deltas; the entropy may differ in the last bits (batch shape changes reductions),
    which is why the loop predicts one transition at a time."""
    w = world("network")
    p = FlatTransformerProposer(w, **TINY_FLAT)
    p.initialize(5)
    pairs = _pairs("network", 2, 10)
    batched = p.predict_batch(pairs)
    single = [p.predict(s, a) for s, a in pairs]
    assert [b.delta for b in batched] == [s.delta for s in single]
    assert [b.signal for b in batched] == pytest.approx([s.signal for s in single], rel=1e-6)
    assert single == [p.predict(s, a) for s, a in pairs]  # and one at a time is exact


def test_graph_proposer_refuses_the_filesystem_and_bad_params() -> None:
    with pytest.raises(ProposerError, match="host graph"):
        GraphRSSMProposer(world("filesystem"))
    with pytest.raises(ProposerError, match="unknown parameter"):
        FlatTransformerProposer(world("network"), d_modle=8)
    with pytest.raises(ProposerError, match="must be int"):
        FlatTransformerProposer(world("network"), train_iters="many")
    with pytest.raises(ProposerError, match="before fit"):
        FlatTransformerProposer(world("network")).predict(None, None)
