"""The LLM proposer's fallback, the graph featurizer's edge lists, and the learned kinds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
from learned_helpers import TINY_GRAPH, trajectories, world

from engine.experiments import ArmSpec, ExperimentError, TrialSpec, get_experiment
from proposers import ProposerError, get_proposer
from proposers.graph_rssm import GraphRSSMProposer
from proposers.graph_rssm.features import Featurizer
from proposers.graph_rssm.model import collate, mean_aggregate
from proposers.llm import LLM_COMMAND_ENV, LLMProposer, build_prompt


def oracle_reply(w: object) -> object:
    """A deterministic stub that answers with the true delta (parses the prompt back)."""

    def complete(prompt: str) -> str:
        lines = dict(line.split(": ", 1) for line in prompt.splitlines()[1:3])
        state, action = w.from_json(lines["STATE"]), w.parse_action(lines["ACTION"])  # type: ignore[attr-defined]
        return "Sure!\n" + w.delta_to_json(w.step(state, action).delta)  # type: ignore[attr-defined]

    return complete


@pytest.mark.parametrize("name", ["network", "filesystem"])
def test_llm_proposer_parses_a_good_reply(name: str) -> None:
    w = world(name)
    p = LLMProposer(w, oracle_reply(w))
    for rec in trajectories(name)[0]:
        assert p.predict(rec.state, rec.action).delta == tuple(rec.transition.delta)
    assert p.fallbacks == 0 and p.calls == 12


@pytest.mark.parametrize(
    "reply",
    [
        "I think nothing happens.",
        "[{'op': 'host_up'}]",
        '[{"op": "teleport", "host": "h0"}]',
        '[{"op": "host_up", "host": 3}]',
        '[{"op": "svc_up", "host": "h0"}]',
        '{"op": "host_up", "host": "h0"}',
        "[1, 2, 3]",
        "",
    ],
)
def test_llm_proposer_falls_back_to_null_on_malformed_replies(reply: str) -> None:
    w = world("network")
    p = LLMProposer(w, lambda prompt: reply)
    pred = p.predict(w.initial_state(), w.parse_action("advance"))
    assert pred.delta == () and pred.signal == 0.0
    assert (p.fallbacks, p.calls, p.fallback_rate) == (1, 1, 1.0)
    assert p.last_error


def test_llm_proposer_falls_back_when_the_client_fails() -> None:
    def broken(prompt: str) -> str:
        raise TimeoutError("model unavailable")

    p = LLMProposer(world("network"), broken)
    assert (
        p.predict(world("network").initial_state(), world("network").parse_action("advance")).delta
        == ()
    )
    assert p.fallbacks == 1 and "TimeoutError" in (p.last_error or "")


def test_llm_needs_a_model_and_runs_a_command_only_when_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    w = world("network")
    monkeypatch.delenv(LLM_COMMAND_ENV, raising=False)
    with pytest.raises(ProposerError, match=LLM_COMMAND_ENV):
        get_proposer("llm", w)
    script = tmp_path / "model.py"
    script.write_text(
        'import sys\nsys.stdin.read()\nprint(\'[{"op":"set_result","exit_code":0}]\')\n'
    )
    monkeypatch.setenv(LLM_COMMAND_ENV, f"{sys.executable} {script}")
    p = get_proposer("llm", w)
    assert p.predict(w.initial_state(), w.parse_action("host_up h0")).delta == (
        w.delta_from_dicts([{"op": "set_result", "exit_code": 0}])
    )
    prompt = build_prompt(w, w.initial_state(), w.parse_action("host_up h0"))
    assert f"STATE: {w.to_json(w.initial_state())}" in prompt and "ACTION: host_up h0" in prompt


def test_featurizer_uses_edge_lists_not_dense_matrices() -> None:
    w = world("network")
    s = w.initial_state()
    for text in ("link_up h0 h1", "svc_up h1 80", "connect h0 h1 80", "fw_deny h2 h3"):
        s = w.step(s, w.parse_action(text)).state
    f = Featurizer(w, ("h0", "h1", "h2", "h3", "h4"), (22, 80, 443))(
        s, w.parse_action("close h0 h1 80")
    )
    assert f.links == ((0, 1), (1, 0)) and f.flows == ((0, 1),) and f.denies == ((3, 2),)
    assert len(f.node) == 5 and len(f.node[0]) == 1 + 3 + 3
    assert f.node[0][-3:] == (1.0, 0.0, 0.0) and f.node[1][-3:] == (0.0, 1.0, 0.0)
    batch = collate([f, f], torch.device("cpu"))
    assert batch.node.shape == (10, 7) and batch.links.shape == (2, 4 + 10)  # + self-loops
    x = torch.arange(10, dtype=torch.float32)[:, None]
    out = mean_aggregate(x, batch.flows, 10)
    assert out[1, 0] == 0.0 and out[0, 0] == 0.0 and out[6, 0] == 5.0  # dst hears src


def test_pooled_embedding_is_differentiable_and_sized() -> None:
    w = world("network")
    p = GraphRSSMProposer(w, **TINY_GRAPH)
    p.initialize(0)
    rec = trajectories("network")[0][4]
    z = p.encode_graph(rec.state, rec.action)
    assert z.shape == (16,) and z.requires_grad
    assert p.encode_graphs([(rec.state, None), (rec.state, rec.action)]).shape == (2, 16)


ARM_GRAPH = ArmSpec("graph_rssm", TINY_GRAPH)


def _trial(kind: str, arm: ArmSpec, params: dict[str, object], seed: int = 0) -> dict[str, float]:
    return get_experiment(kind).run(TrialSpec("network", {}, kind, params, arm, seed))


def test_model_quality_and_oracle_compare_report_their_metrics() -> None:
    small = {"train_seeds": [0, 1], "train_steps": 8, "steps": 6}
    q = _trial("model_quality", ARM_GRAPH, small)
    assert set(q) == get_experiment("model_quality").metrics
    assert 0.0 <= q["teacher_forced_accuracy"] <= 1.0 and q["train_examples"] == 16.0
    o = _trial("oracle_compare", ARM_GRAPH, small)
    assert set(o) == get_experiment("oracle_compare").metrics
    assert o["non_redundant_rate"] == 0.0  # R is a function of the state: dp = 0 forces cp = 0
    with pytest.raises(ExperimentError, match="no token model"):
        _trial("model_quality", ArmSpec("null"), small)


@pytest.mark.parametrize("data", ["trajectory", "counterfactual", "repeat"])
def test_counterfactual_arms_train_on_exactly_the_same_count(data: str) -> None:
    params = {
        "examples": 30,
        "base_trajectories": 2,
        "train_steps": 6,
        "branches": 2,
        "steps": 4,
        "interventions": 2,
    }
    arm = ArmSpec("graph_rssm", TINY_GRAPH, {"data": data})
    m = _trial("counterfactual", arm, params)
    assert m["train_examples"] == 30.0
    assert 0.0 <= m["intervention_delta_exact"] <= 1.0 and 0.0 <= m["change_safety"] <= 1.0


def test_counterfactual_refuses_to_pad_a_short_dataset() -> None:
    params = {"examples": 100, "base_trajectories": 1, "train_steps": 5, "branches": 2}
    with pytest.raises(ExperimentError, match="only 15 transitions"):
        _trial("counterfactual", ArmSpec("null", {}, {"data": "counterfactual"}), params)
    assert json.dumps(params)
