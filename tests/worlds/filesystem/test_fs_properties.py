"""Property tests: the oracle/apply invariant, serialization round trips, metric axioms, and a
parser that is total over arbitrary text."""

from __future__ import annotations

from fsw_strategies import (
    WORLD,
    action_texts,
    any_states,
    deltas,
    edits,
    reachable_states,
    state_and_action,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from worlds.base import ActionParseError
from worlds.filesystem import Edit, FsAction, FsState, SetResult
from worlds.filesystem.state import sha256_hex

settings.register_profile("fs", max_examples=150, deadline=None)
settings.load_profile("fs")


@given(any_states, action_texts())
def test_apply_replays_the_oracle_exactly(state: FsState, text: str) -> None:
    t = WORLD.step(state, WORLD.parse_action(text))
    replayed = WORLD.apply(state, t.delta)
    assert replayed == t.state
    assert hash(replayed) == hash(t.state)
    # The drivers see insertion order, so apply must reproduce it too.
    assert list(replayed.fs) == list(t.state.fs)


@given(state_and_action())
def test_apply_replays_state_aware_commands(pair: tuple[FsState, str]) -> None:
    state, text = pair
    t = WORLD.step(state, WORLD.parse_action(text))
    replayed = WORLD.apply(state, t.delta)
    assert replayed == t.state
    assert list(replayed.fs) == list(t.state.fs)
    assert list(replayed.env) == list(t.state.env)


@given(any_states, action_texts())
def test_step_is_total_and_failures_only_touch_last(state: FsState, text: str) -> None:
    t = WORLD.step(state, WORLD.parse_action(text))
    assert t.exit_code in (0, 1)
    assert t.delta[-1] == SetResult(t.exit_code, sha256_hex(t.observation))
    assert sum(isinstance(e, SetResult) for e in t.delta) == 1
    if t.exit_code == 1:
        assert t.delta == (SetResult(1, sha256_hex("")),) and t.observation == ""
        assert dict(t.state.fs) == dict(state.fs)
        assert t.state.cwd == state.cwd and dict(t.state.env) == dict(state.env)
    assert WORLD.step(state, WORLD.parse_action(text)) == t  # pure: same in, same out


@given(any_states)
def test_state_json_round_trips(state: FsState) -> None:
    text = WORLD.to_json(state)
    back = WORLD.from_json(text)
    assert back == state and hash(back) == hash(state)
    assert WORLD.to_json(back) == text
    assert WORLD.facts(back) == WORLD.facts(state)


@given(deltas)
def test_delta_json_and_dicts_round_trip(delta: tuple[Edit, ...]) -> None:
    assert WORLD.delta_from_json(WORLD.delta_to_json(delta)) == delta
    assert WORLD.delta_from_dicts(WORLD.delta_to_dicts(delta)) == delta


@given(any_states, any_states)
def test_divergence_axioms(a: FsState, b: FsState) -> None:
    d = WORLD.divergence(a, b)
    assert 0.0 <= d <= 1.0
    assert d == WORLD.divergence(b, a)
    assert WORLD.divergence(a, a) == 0.0
    assert (d == 0.0) == (a == b)


@given(any_states, action_texts())
def test_divergence_zero_iff_equal_on_successors(state: FsState, text: str) -> None:
    nxt = WORLD.step(state, WORLD.parse_action(text)).state
    assert (WORLD.divergence(state, nxt) == 0.0) == (state == nxt)


@given(deltas, deltas)
def test_bits_zero_iff_delta_exact(pred: tuple[object, ...], true: tuple[object, ...]) -> None:
    bits = WORLD.bits_to_correct(pred, true)
    exact = WORLD.delta_exact(pred, true)
    assert bits >= 0.0 and (bits == 0.0) == exact
    assert bits == WORLD.bits_to_correct(true, pred)
    assert WORLD.bits_to_correct(true, true) == 0.0 and WORLD.delta_exact(true, true)
    assert WORLD.delta_exact(tuple(reversed(true)), true)


@given(deltas, edits)
def test_one_wrong_edit_costs_bits(true: tuple[object, ...], extra: object) -> None:
    assert WORLD.bits_to_correct((*true, extra), true) > 0.0
    if true:
        assert WORLD.bits_to_correct(true[1:], true) > 0.0


@given(st.text())
def test_parser_is_total_over_arbitrary_text(text: str) -> None:
    try:
        action = WORLD.parse_action(text)
    except ActionParseError as err:
        assert err.text == text and err.reason
        return
    assert isinstance(action, FsAction)
    assert WORLD.parse_action(WORLD.action_text(action)) == action


@given(
    st.lists(
        st.sampled_from(
            ["mkdir", "rm", "-r", "cp", "export", "chmod", "K=v", "/a", "7", "8", " ", "\t"]
        )
    )
)
def test_parser_is_total_over_grammar_like_text(words: list[str]) -> None:
    text = " ".join(words)
    try:
        action = WORLD.parse_action(text)
    except ActionParseError:
        return
    canonical = WORLD.action_text(action)
    assert canonical == " ".join(canonical.split())
    assert WORLD.parse_action(canonical) == action


@given(action_texts())
def test_grammar_texts_parse_and_round_trip(text: str) -> None:
    action = WORLD.parse_action(text)
    assert WORLD.parse_action(WORLD.action_text(action)) == action
    assert WORLD.action_command(action) in {
        "mkdir", "touch", "write", "append", "cp", "cp_r", "mv", "rm", "rm_r", "rmdir",
        "chmod", "cd", "cat", "ls", "export",
    }  # fmt: skip
    for arg, raw in zip(WORLD.action_args(action), action.args, strict=True):
        assert arg == raw or (raw.startswith("/") and arg.startswith("/"))


@given(reachable_states())
def test_reachable_states_are_trees(state: FsState) -> None:
    """Without the seed's cp quirk no command sequence orphans a path."""
    for path in state.fs:
        if path != "/":
            parent = path.rsplit("/", 1)[0] or "/"
            assert parent in state.fs
