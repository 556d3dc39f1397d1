"""Hypothesis strategies for the filesystem world: command texts over a small, collision-prone
path pool (so failures, no-ops and nesting are common), reachable states (folded through the
oracle) and "wild" states (reachable states pushed through arbitrary, possibly nonsensical
deltas: orphans, missing roots, files where directories should be)."""

from __future__ import annotations

from hypothesis import strategies as st

from worlds import get_world
from worlds.filesystem import (
    Chmod,
    Create,
    Delete,
    Dir,
    Edit,
    File,
    FilesystemWorld,
    FsState,
    Modify,
    Move,
    SetCwd,
    SetEnv,
    SetResult,
)
from worlds.filesystem.state import EMPTY_HASH

WORLD: FilesystemWorld = get_world("filesystem")

SEGMENTS = ["a", "b", "c"]
ABS_PATHS = ["/", "/a", "/b", "/c", "/a/b", "/a/c", "/b/a", "/a/b/c", "/a/a"]
ODD_PATHS = ["a", "b/c", "..", ".", "../a", "./b", "/a/../b", "//a//b/", "/a/./c", "/.."]
TOKENS = ["alpha", "beta", "x", "", "é"]
MODES = ["644", "600", "755", "700", "0", "7777", "0o17"]

paths = st.one_of(st.sampled_from(ABS_PATHS), st.sampled_from(ODD_PATHS))
tokens = st.sampled_from([t for t in TOKENS if t])


@st.composite
def action_texts(draw: st.DrawFn) -> str:
    cmd = draw(
        st.sampled_from(
            ["mkdir", "rmdir", "touch", "cd", "cat", "ls", "rm", "rm -r", "write", "append",
             "mv", "cp", "cp -r", "chmod", "export"]
        )
    )  # fmt: skip
    if cmd in ("write", "append"):
        return f"{cmd} {draw(paths)} {draw(tokens)}"
    if cmd in ("mv", "cp", "cp -r"):
        return f"{cmd} {draw(paths)} {draw(paths)}"
    if cmd == "chmod":
        return f"chmod {draw(st.sampled_from(MODES))} {draw(paths)}"
    if cmd == "export":
        key = draw(st.sampled_from(["HOME", "PATH", "K"]))
        return f"export {key}={draw(st.sampled_from(TOKENS))}"
    return f"{cmd} {draw(paths)}"


# Creates are over-weighted so the trees get deep enough for moves and copies to matter.
_BUILD = st.one_of(
    st.sampled_from(["mkdir /a", "mkdir /a/b", "mkdir /b", "write /a/c alpha", "touch /a/b/c"]),
    action_texts(),
)


@st.composite
def reachable_states(draw: st.DrawFn, max_steps: int = 20) -> FsState:
    state = WORLD.initial_state()
    for text in draw(st.lists(_BUILD, max_size=max_steps)):
        state = WORLD.step(state, WORLD.parse_action(text)).state
    return state


nodes = st.one_of(
    st.builds(Dir, st.sampled_from([0o755, 0o700, 0])),
    st.builds(File, st.sampled_from(TOKENS), st.sampled_from([0o644, 0o600])),
)
edit_paths = st.one_of(paths, st.text(max_size=4))

edits: st.SearchStrategy[Edit] = st.one_of(
    st.builds(Create, edit_paths, nodes),
    st.builds(Delete, edit_paths),
    st.builds(Modify, edit_paths, st.sampled_from(TOKENS)),
    st.builds(Move, edit_paths, edit_paths),
    st.builds(Chmod, edit_paths, st.integers(0, 0o7777)),
    st.builds(SetCwd, edit_paths),
    st.builds(SetEnv, st.sampled_from(["HOME", "K"]), st.sampled_from(TOKENS)),
    st.builds(SetResult, st.integers(0, 2), st.sampled_from([EMPTY_HASH, "ab" * 32])),
)
deltas = st.lists(edits, max_size=6).map(tuple)


@st.composite
def wild_states(draw: st.DrawFn) -> FsState:
    state = draw(reachable_states(max_steps=12))
    return WORLD.apply(state, draw(deltas))


any_states = st.one_of(reachable_states(), wild_states())


STATEFUL_COMMANDS = (
    "mv", "cp", "cp -r", "rm", "rm -r", "rmdir", "ls", "cat", "chmod 700", "write", "append",
    "mkdir", "touch", "cd",
)  # fmt: skip


@st.composite
def state_and_action(draw: st.DrawFn) -> tuple[FsState, str]:
    """A state and a command whose paths mostly name what the state holds (plus children of
    them), so moves, copies and removals usually do real work instead of failing early."""
    state = draw(any_states)
    # Paths a wild delta made up may be empty or hold spaces: those cannot be typed as one arg.
    existing = [p for p in sorted(state.fs) if p and p.split() == [p]] or ["/"]
    local = st.one_of(
        st.sampled_from(existing),
        st.builds(lambda p, n: ("" if p == "/" else p) + "/" + n, st.sampled_from(existing),
                  st.sampled_from(SEGMENTS)),
        paths,
    )  # fmt: skip
    cmd = draw(st.sampled_from(STATEFUL_COMMANDS))
    if cmd in ("mv", "cp", "cp -r"):
        return state, f"{cmd} {draw(local)} {draw(local)}"
    if cmd in ("write", "append"):
        return state, f"{cmd} {draw(local)} {draw(tokens)}"
    return state, f"{cmd} {draw(local)}"
