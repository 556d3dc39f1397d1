"""Readouts and objectives: known spectra, collapse, retrieval ranks with ties, losses."""

from __future__ import annotations

import math

import pytest
import torch

from proposers.ssl.objectives import info_nce, vicreg
from proposers.ssl.readouts import branch_retrieval, effective_rank, embedding_std


def _cloud(singular_values: list[float], n: int = 40, d: int = 8) -> torch.Tensor:
    """A centred n x d cloud whose singular values are exactly `singular_values`."""
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, d, generator=gen, dtype=torch.float64)
    u, _ = torch.linalg.qr(a - a.mean(dim=0))  # orthonormal, centred columns
    v, _ = torch.linalg.qr(torch.randn(d, d, generator=gen, dtype=torch.float64))
    k = len(singular_values)
    s = torch.tensor(singular_values, dtype=torch.float64)
    return (u[:, :k] * s) @ v[:, :k].T


def test_effective_rank_of_known_spectra() -> None:
    assert effective_rank(_cloud([1.0] * 8)) == pytest.approx(8.0, rel=1e-9)
    assert effective_rank(_cloud([5.0])) == pytest.approx(1.0, rel=1e-9)
    spectrum = [4.0, 2.0, 1.0, 1.0]
    p = [x / sum(spectrum) for x in spectrum]
    expected = math.exp(-sum(q * math.log(q) for q in p))  # singular values, not squared
    assert effective_rank(_cloud(spectrum)) == pytest.approx(expected, rel=1e-9)


def test_constant_embedding_is_collapsed() -> None:
    z = torch.full((30, 16), 0.7)
    assert embedding_std(z) == 0.0
    assert effective_rank(z) == 1.0
    spread = torch.randn(30, 16, generator=torch.Generator().manual_seed(1))
    assert embedding_std(spread) > 0.5 and effective_rank(spread) > 8


def test_branch_retrieval_perfect_reversed_and_tied() -> None:
    eye = torch.eye(4)
    perfect = branch_retrieval([eye], [eye])
    assert (perfect.top1, perfect.mrr, perfect.chance) == (1.0, 1.0, 0.25)
    # each prediction is nearest the next branch's successor, its own is second
    second = branch_retrieval([eye.roll(1, dims=1) + 0.5 * eye], [eye])
    assert second.top1 == 0.0 and second.mrr == pytest.approx(0.5)
    # a collapsed successor embedding ties every branch: no credit (rank m for each)
    tied = branch_retrieval([eye], [torch.ones(4, 4)])
    assert tied.top1 == 0.0 and tied.mrr == pytest.approx(0.25)
    two = branch_retrieval([eye, torch.eye(2)], [eye, torch.eye(2)])
    assert two.branches == 6 and two.sets == 2 and two.chance == pytest.approx(2 / 6)


def test_vicreg_penalises_collapse_and_correlation() -> None:
    gen = torch.Generator().manual_seed(2)
    white = torch.randn(2048, 8, generator=gen) * 1.5
    assert float(vicreg(white)) < 0.1
    assert float(vicreg(torch.zeros(512, 8))) == pytest.approx(1.0 - 1e-2, abs=1e-3)
    x = torch.randn(512, 1, generator=gen) * 2.0
    assert float(vicreg(x.repeat(1, 8))) > 10 * float(vicreg(white))


def test_info_nce_prefers_the_positive() -> None:
    pred = torch.eye(3)
    negs = torch.stack([-torch.eye(3), torch.eye(3).roll(1, dims=0)], dim=1)
    good = info_nce(pred, torch.eye(3), negs, 0.1)
    bad = info_nce(pred, -torch.eye(3), negs.flip(1), 0.1)
    assert float(good) < 0.01 < float(bad)


def test_fused_round_equals_the_graph_arms_round() -> None:
    """The SSL encoder's reordered round is the graph arm's `MessageRound`, to rounding."""
    from proposers.graph_rssm.features import Featurizer
    from proposers.graph_rssm.model import MessageRound
    from proposers.ssl.encoder import fused_round
    from proposers.ssl.graphs import GraphSet
    from worlds.network import NetworkWorld

    world = NetworkWorld(hosts=9, ports=2)
    feat = Featurizer(world, world.config.hosts, world.config.ports)
    recs = world.trajectory("traffic", 0, 40)
    graphs = GraphSet([feat(r.transition.state, r.action) for r in recs[::4]], torch.device("cpu"))
    batch = graphs.batch(range(len(graphs)))
    assert batch.flows.shape[1] > 0 and batch.denies.shape[1] > 0  # every relation exercised
    torch.manual_seed(0)
    layer = MessageRound(16)
    h = torch.randn(batch.node.shape[0], 16)
    g = torch.randn(batch.node.shape[0], 16)
    assert torch.allclose(fused_round(layer, h, g, batch), layer(h, g, batch), atol=1e-5)


def test_merging_isolated_hosts_is_exact() -> None:
    """Storing each graph's identical isolated hosts once changes no embedding."""
    from proposers.graph_rssm.features import Featurizer
    from proposers.ssl.encoder import GraphEncoder
    from proposers.ssl.graphs import GraphSet
    from worlds.network import NetworkWorld
    from worlds.network.config import make_config

    world = NetworkWorld(hosts=40, ports=2)
    feat = Featurizer(world, world.config.hosts, world.config.ports)
    recs = world.trajectory("weighted", 0, 30)
    feats = [feat(r.state, r.action) for r in recs]
    cpu = torch.device("cpu")
    merged, full = GraphSet(feats, cpu), GraphSet(feats, cpu, compress=False)
    assert full.stored_nodes == 40 * len(feats) and merged.stored_nodes < full.stored_nodes / 2
    torch.manual_seed(0)
    cfg = make_config(40, 2)
    enc = GraphEncoder(1 + len(cfg.ports) + 3, len(feats[0].graph), d_model=16, mp_rounds=3)
    idx = list(range(len(feats)))
    assert torch.allclose(enc(merged.batch(idx)), enc(full.batch(idx)), atol=1e-5)
