"""A frozen, prompted language model behind the proposer protocol (the seed's pre-registered,
never-run fifth proposer).

The model is an injected `complete(prompt) -> str` callable, so the proposer imports no SDK and
tests drive it with a deterministic stub. A live client exists only behind an environment
variable: `VERISIM_LLM_COMMAND` names a command that reads the prompt on stdin and prints the
reply (e.g. a CLI wrapper around a hosted model); nothing in the tests or the default run sets
it. The prompt is the state's canonical JSON and the action text; the reply must contain a
JSON list of the world's tagged edit dicts. ANY malformed reply (no list, bad JSON, an unknown
op, a wrong field, a failing client) falls back to the empty delta and is counted, so the
proposer can be wrong but never crashes a rollout.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Callable, Sequence
from typing import Any, Generic

from proposers.base import Prediction, ProposerError
from proposers.registry import register_proposer
from worlds.base import A, S, StepRecord, World

LLM_COMMAND_ENV = "VERISIM_LLM_COMMAND"

Complete = Callable[[str], str]

_NETWORK_EDITS = (
    '{"op":"host_up"|"host_down","host":H}, {"op":"link_add"|"link_del","a":H,"b":H}, '
    '{"op":"svc_up"|"svc_down","host":H,"port":P}, {"op":"fw_deny"|"fw_allow","host":H,"src":H}, '
    '{"op":"flow_open"|"flow_close","src":H,"dst":H,"port":P}, '
    '{"op":"clock_advance","amount":1}, {"op":"set_result","exit_code":0|1|2}'
)
_FILESYSTEM_EDITS = (
    '{"op":"create","path":P,"node":{"type":"dir","mode":M} or {"type":"file","mode":M,'
    '"content":C}}, {"op":"delete","path":P}, {"op":"modify","path":P,"content":C}, '
    '{"op":"move","src":P,"dst":P}, {"op":"chmod","path":P,"mode":M}, '
    '{"op":"setcwd","path":P}, {"op":"setenv","key":K,"token":T}, '
    '{"op":"setresult","exit_code":0|1,"stdout_hash":SHA256_OF_STDOUT}'
)


def build_prompt(world: World[S, A], state: S, action: A) -> str:
    """The instruction, the world's edit forms, the canonical state and the action."""
    edits = _NETWORK_EDITS if world.name == "network" else _FILESYSTEM_EDITS
    return (
        f"You simulate the '{world.name}' world exactly. Given STATE (canonical JSON) and "
        "ACTION, reply with nothing but the JSON list of edits that the action applies to the "
        "state, last edit being the result. Edit forms: "
        f"{edits}.\nSTATE: {world.to_json(state)}\nACTION: {world.action_text(action)}\nDELTA:"
    )


def parse_reply(world: World[S, A], reply: str) -> tuple[Any, ...]:
    """The reply's first '[' .. last ']' span as the world's delta (raises on anything else)."""
    if not isinstance(reply, str):
        raise ValueError(f"reply is {type(reply).__name__}, not text")
    start, end = reply.find("["), reply.rfind("]")
    if start < 0 or end < start:
        raise ValueError("reply holds no JSON list")
    dicts = json.loads(reply[start : end + 1])
    if not isinstance(dicts, list) or not all(isinstance(d, dict) for d in dicts):
        raise ValueError("reply's list is not a list of edit objects")
    return tuple(world.delta_from_dicts(dicts))


def command_client(command: str, timeout: float = 120.0) -> Complete:
    """A `complete` that runs `command` with the prompt on stdin and returns its stdout."""
    argv = shlex.split(command)
    if not argv:
        raise ProposerError("llm: the LLM command is empty")

    def complete(prompt: str) -> str:
        done = subprocess.run(
            argv, input=prompt, capture_output=True, text=True, timeout=timeout, check=True
        )
        return done.stdout

    return complete


class LLMProposer(Generic[S, A]):
    """Prompted LLM proposer; `fallbacks` counts replies that were malformed (of `calls`)."""

    name = "llm"

    def __init__(
        self,
        world: World[S, A],
        complete: Complete | None = None,
        *,
        command: str = "",
        timeout: float = 120.0,
    ) -> None:
        self.world = world
        if complete is None:
            command = command or os.environ.get(LLM_COMMAND_ENV, "")
            if not command:
                raise ProposerError(
                    "llm: no model to ask: inject `complete=`, pass `command=`, or set "
                    f"{LLM_COMMAND_ENV} to a command that reads a prompt on stdin"
                )
            complete = command_client(command, timeout)
        self.complete = complete
        self.calls = 0
        self.fallbacks = 0
        self.last_error: str | None = None

    def fit(self, trajectories: Sequence[Sequence[StepRecord[S, A]]], seed: int) -> None:
        """Nothing to learn: the model is frozen and prompted zero-shot."""

    def predict(self, state: S, action: A) -> Prediction:
        self.calls += 1
        try:
            delta = parse_reply(self.world, self.complete(build_prompt(self.world, state, action)))
            self.world.apply(state, delta)  # reject a delta the world cannot even apply
        except Exception as exc:  # any failure of the model or its reply: fall back, count it
            self.fallbacks += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            return Prediction((), 0.0)
        return Prediction(delta, 0.0)

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.calls if self.calls else 0.0


register_proposer("llm", LLMProposer)
