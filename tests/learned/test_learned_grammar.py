"""The delta grammar: true deltas are sentences, random walks always parse into valid deltas."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from learned_helpers import world

from proposers.tokenize import GrammarError, UntokenizableError, codec_for
from proposers.tokenize.grammar import Choice, Grammar, Leaf, Run
from proposers.tokenize.vocab import EOS, UNK, Vocab, VocabError

WORLDS = ("network", "filesystem")


def random_sentence(
    grammar: Grammar, rng: random.Random, max_edits: int, max_run: int, max_tokens: int | None
) -> list[int]:
    """Walk the automaton choosing uniformly among allowed tokens (an adversarial 'model')."""
    state = grammar.state(max_edits=max_edits, max_run=max_run, max_tokens=max_tokens)
    out: list[int] = []
    while not state.done:
        tok = rng.choice(sorted(state.allowed()))
        state.advance(tok)
        out.append(tok)
        assert len(out) < 10_000
    return out


@pytest.mark.parametrize("name", WORLDS)
def test_every_driver_delta_round_trips_through_tokens(name: str) -> None:
    w = world(name)
    codec = codec_for(w)
    n = 0
    for driver in w.driver_names():
        for seed in range(3):
            for rec in w.trajectory(driver, seed, 30):
                ids = codec.target(rec.state, rec.action, rec.transition.delta)
                assert codec.grammar.accepts(ids)
                assert codec.parse(ids) == tuple(rec.transition.delta)
                n += 1
    assert n >= 270


@pytest.mark.parametrize("name", WORLDS)
@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    max_edits=st.integers(1, 8),
    max_run=st.integers(1, 6),
    max_tokens=st.one_of(st.none(), st.integers(1, 40)),
)
def test_random_walks_always_parse_into_applicable_deltas(
    name: str, seed: int, max_edits: int, max_run: int, max_tokens: int | None
) -> None:
    w = world(name)
    codec = codec_for(w)
    rng = random.Random(seed)
    state = w.trajectory("uniform", seed % 50, 1 + seed % 20)[-1].transition.state
    for _ in range(10):
        ids = random_sentence(codec.grammar, rng, max_edits, max_run, max_tokens)
        assert ids[-1] == codec.vocab.id(EOS)
        assert max_tokens is None or len(ids) <= max_tokens
        delta = codec.parse(ids)
        assert len(delta) <= max_edits
        assert w.delta_from_json(w.delta_to_json(delta)) == delta
        w.apply(state, delta)  # total on any well-formed delta


def test_caps_force_legal_terminators() -> None:
    v = Vocab(("<eos>", "op", "x", "close"))
    g = Grammar(
        {
            "D": Choice({0: (), 1: ("R", "D")}, counted=True),
            "R": Run(frozenset({2}), 3),
        },
        "D",
    )
    st_ = g.state(max_edits=2, max_run=1)
    for tok in (1, 2):
        st_.advance(tok)
    assert st_.allowed() == {3}  # run capped: only the closer
    for tok in (3, 1, 3):
        st_.advance(tok)
    assert st_.allowed() == {0}  # edits capped: only the terminator
    with pytest.raises(GrammarError):
        st_.advance(1)
    st_.advance(0)
    assert st_.done
    assert not g.accepts([1, 2, 2, 3, 0], max_run=1)
    assert g.accepts([1, 2, 2, 3, 0], max_run=2)
    assert v.id("op") == 1


def test_token_budget_forces_closers_and_never_strands_a_sentence() -> None:
    g = Grammar(
        {
            "D": Choice({0: (), 1: ("R", "R", "D")}, counted=True),
            "R": Run(frozenset({2}), 3),
        },
        "D",
    )
    st_ = g.state(max_edits=10, max_run=10, max_tokens=5)
    assert st_.allowed() == {0, 1}  # op R R D needs 1 + 1 + 1 + 1 = 4 <= 5
    st_.advance(1)
    assert st_.allowed() == {2, 3}  # an item leaves 3 tokens for "</R> </R> <eos>"
    st_.advance(2)
    assert st_.allowed() == {3}  # now only closers fit
    for tok in (3, 3, 0):
        st_.advance(tok)
    assert st_.done and st_.emitted == 5
    with pytest.raises(GrammarError, match="shortest sentence"):
        g.state(max_tokens=0)


def test_malformed_grammars_and_vocabularies_are_typed_errors() -> None:
    with pytest.raises(GrammarError, match="undefined rule"):
        Grammar({"D": Choice({0: ("X",)})}, "D")
    with pytest.raises(GrammarError, match="start rule"):
        Grammar({"D": Leaf(frozenset({1}))}, "S")
    with pytest.raises(GrammarError, match="never complete"):
        Grammar({"D": Choice({0: ("D",)})}, "D")
    with pytest.raises(GrammarError, match="closer"):
        Grammar({"D": Run(frozenset({1}), 1)}, "D")
    with pytest.raises(VocabError, match="duplicate"):
        Vocab(("a", "a"))
    with pytest.raises(VocabError):
        Vocab(("a",)).id("b")


def test_network_vocabulary_is_the_seeds_plus_unk() -> None:
    codec = codec_for(world("network"))
    # the seed's 42 + H + P for the default 5 x 3 world is 50; `<unk>` is ours (input only)
    assert len(codec.vocab) == 51
    unk = codec.vocab.id(UNK)
    for name, rule in codec.grammar.rules.items():
        ids = rule.ids if isinstance(rule, Leaf) else set(getattr(rule, "alternatives", ()))
        assert unk not in ids, name


def test_prompt_marks_out_of_config_values_unknown() -> None:
    w = world("network")
    codec = codec_for(w)
    prompt = codec.vocab.decode(codec.prompt(w.initial_state(), w.parse_action("svc_up h9 8081")))
    assert prompt[-4:] == ["cmd:svc_up", UNK, UNK, "<gen>"]


def test_a_delta_outside_the_config_is_untokenizable() -> None:
    w = world("network")
    codec = codec_for(w)
    s = w.initial_state()
    t = w.step(s, w.parse_action("svc_up h1 8081"))
    with pytest.raises(UntokenizableError):
        codec.target(s, None, t.delta)


def test_filesystem_stdout_is_recovered_from_its_hash() -> None:
    w = world("filesystem")
    codec = codec_for(w)
    s = w.initial_state()
    for text in ("mkdir /a", "write /a/b alphabeta", "touch /a/c"):
        s = w.step(s, w.parse_action(text)).state
    for text, shown in (
        ("cat /a/b", ["word:alpha", "word:beta"]),
        ("ls /a", ["name:b", "<nl>", "name:c"]),
    ):
        a = w.parse_action(text)
        t = w.step(s, a)
        toks = codec.vocab.decode(codec.target(s, a, t.delta))
        assert toks[-len(shown) - 2 : -2] == shown
        assert codec.parse(codec.vocab.encode(toks)) == tuple(t.delta)
