"""The LLM controller: the ledger's history as a compact table, a JSON edit back.

The prompt states the objective, the knob space (as JSON: a list of allowed values, or
`{low, high, log}`), the best configuration so far and one table row per candidate (idx,
parent, loss, kept, edit). The reply must contain one JSON object mapping knobs to new values;
it is applied to the best configuration and screened like any candidate. ANY failure (a client
error, no JSON object, an unknown knob, a value outside the space, a judge parameter, a
candidate already tried) is recorded as a refused candidate, with the reply as it came, and the
slot goes to `coordinate`. The realised reply is stored in the ledger before anything runs, so
the trial replays and a resumed search never asks the model again.

The model is an injected `complete(prompt) -> str`. A live client exists only through
`VERISIM_LLM_COMMAND` (a command reading the prompt on stdin, as for the `llm` proposer);
`stub_policy` is the deterministic policy the tests and the AR3 hypothesis use: it reads the
same prompt a live model would and keeps stepping along the last direction that was kept,
else tries the next untried direction.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections.abc import Callable, Mapping
from typing import Any

from engine.search import space as sp
from engine.search.controllers import Coordinate
from engine.search.seams import Proposal, SearchView, Seen
from hypotheses import canonical_json
from hypotheses.search import Range

Complete = Callable[[str], str]
TABLE_ROWS = 40
"""The prompt keeps the last rows of the history table (a long search would not fit)."""


def space_json(view: SearchView) -> str:
    out: dict[str, Any] = {}
    for name, knob in sorted(view.search.space.items()):
        if isinstance(knob, Range):
            out[name] = {"low": knob.low, "high": knob.high, "log": knob.log}
        else:
            out[name] = list(knob)
    return canonical_json(out)


def build_prompt(view: SearchView) -> str:
    s = view.search
    better = "lower" if s.direction == "less" else "higher"
    lines = [
        f"You tune the knobs of the '{s.proposer}' world model. Objective: {s.objective} "
        f"({better} is better; the table's loss is signed so that lower is always better).",
        f"SPACE: {space_json(view)}",
        f"BASE: {canonical_json(dict(view.base))}",
        f"BEST: {canonical_json(dict(view.best.config))}",
        "HISTORY:",
        "| idx | parent | loss | kept | move | edit |",
    ]
    for c in list(view.history)[-TABLE_ROWS:]:
        loss = "refused" if c.refused else ("-" if c.loss is None else f"{c.loss:.6g}")
        edit = canonical_json(sp.edit_of(view.base, c.config))
        lines.append(
            f"| {c.idx} | {'-' if c.parent is None else c.parent} | {loss} | "
            f"{'yes' if c.kept else 'no'} | {c.move or '-'} | {edit} |"
        )
    lines.append(
        "Reply with one JSON object mapping knob names to new values (changes to BEST), "
        "nothing else."
    )
    return "\n".join(lines)


def parse_edit(reply: str) -> dict[str, Any]:
    """The reply's first '{' .. last '}' span as a JSON object (raises on anything else)."""
    if not isinstance(reply, str):
        raise ValueError(f"reply is {type(reply).__name__}, not text")
    start, end = reply.find("{"), reply.rfind("}")
    if start < 0 or end < start:
        raise ValueError("reply holds no JSON object")
    edit = json.loads(reply[start : end + 1])
    if not isinstance(edit, dict) or not edit:
        raise ValueError("reply's object is empty or not an object")
    return edit


def live_client() -> Complete | None:
    command = os.environ.get("VERISIM_LLM_COMMAND", "").strip()
    if not command:
        return None
    from proposers.llm import command_client

    return command_client(command)


class LLMController:
    """Asks `complete` for an edit of the best; falls back to `coordinate` on any failure."""

    def __init__(self, complete: Complete | None = None, name: str = "llm") -> None:
        self.name = name
        self.complete = complete

    def propose(self, view: SearchView, count: int, rng: random.Random) -> list[Proposal]:
        out: list[Proposal] = []
        tried = view.tried()
        complete = self.complete or live_client()
        fallback = Coordinate()
        for _ in range(count):
            best = view.best
            view = _with_pending(view, out)
            raw: str | None = None
            try:
                if complete is None:
                    raise ValueError("no live model: VERISIM_LLM_COMMAND is not set")
                raw = complete(build_prompt(view))
                edit = parse_edit(raw)
                config = {**best.config, **edit}
                reason = sp.screen(view.search, view.base, config)
                if reason is None and sp.config_digest(config) in tried:
                    reason = "proposes a configuration already tried"
                if reason is not None:
                    raise ValueError(reason)
            except Exception as exc:  # any failure of the model or its reply: fall back
                why = (
                    f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
                )
                out.append(
                    Proposal(
                        dict(best.config), best.idx, "llm", self.name, raw=raw, refused=why[:500]
                    )
                )
                substitute = fallback.one(view, rng, tried)
                out.append(
                    Proposal(
                        substitute.config,
                        substitute.parent,
                        substitute.move,
                        f"{self.name}>coordinate",
                    )
                )
            else:
                move = direction_move(view, best.config, edit)
                out.append(Proposal(config, best.idx, move, self.name, raw=raw))
            tried.add(sp.config_digest(out[-1].config))
        return out


def _with_pending(view: SearchView, pending: list[Proposal]) -> SearchView:
    """The view plus this generation's proposals so far (unscored), so the model sees them."""
    if not pending:
        return view
    start = max(c.idx for c in view.history) + 1
    extra = [
        Seen(start + i, view.generation, dict(p.config), p.parent, None, False, p.move, p.refused)
        for i, p in enumerate(pending)
    ]
    return SearchView(view.search, view.base, [*view.history, *extra], view.generation)


def direction_move(view: SearchView, before: Mapping[str, Any], edit: Mapping[str, Any]) -> str:
    """`knob:+` / `knob:-` for a one-knob edit with a direction, else `k=v,...`."""
    if len(edit) == 1:
        ((knob, new),) = edit.items()
        old = before.get(knob, view.base.get(knob))
        spec = view.search.space.get(knob)
        if isinstance(spec, Range) and isinstance(old, int | float) and new != old:
            return f"{knob}:{'+' if new > old else '-'}"
        if isinstance(spec, list):
            texts = [canonical_json(v) for v in spec]
            a, b = canonical_json(old), canonical_json(new)
            if a in texts and b in texts and a != b:
                return f"{knob}:{'+' if texts.index(b) > texts.index(a) else '-'}"
    return ",".join(f"{k}={canonical_json(v)}" for k, v in sorted(edit.items()))


def stub_policy(prompt: str) -> str:
    """A deterministic policy over the prompt alone (see the module note)."""
    space: dict[str, Any] = {}
    best: dict[str, Any] = {}
    base: dict[str, Any] = {}
    rows: list[tuple[str, bool]] = []
    edits: set[str] = set()
    for line in prompt.splitlines():
        if line.startswith("SPACE: "):
            space = json.loads(line[len("SPACE: ") :])
        elif line.startswith("BEST: "):
            best = json.loads(line[len("BEST: ") :])
        elif line.startswith("BASE: "):
            base = json.loads(line[len("BASE: ") :])
        elif line.startswith("| ") and not line.startswith("| idx"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows.append((cells[4], cells[3] == "yes"))
            if cells[2] != "refused":
                edits.add(canonical_json(json.loads(cells[5])))
    directions = [f"{k}:{d}" for k in sorted(space) for d in ("+", "-")]
    kept = [move for move, was_kept in rows if was_kept and move in directions]
    used = {move for move, _ in rows}
    order = kept[-1:] + [d for d in directions if d not in used] + directions
    for move in order:
        knob, sign = move.split(":")
        value = _step(space[knob], best.get(knob), 1 if sign == "+" else -1)
        if value is None or value == best.get(knob):
            continue
        config = {**best, knob: value}
        edit = {k: v for k, v in config.items() if k not in base or base[k] != v}
        if canonical_json(edit) not in edits:
            return json.dumps({knob: value})
    return "{}"


def _step(knob: Any, current: Any, direction: int) -> Any:
    if isinstance(knob, list):
        if current not in knob:
            return knob[0]
        i = knob.index(current) + direction
        return knob[i] if 0 <= i < len(knob) else None
    low, high, log = knob["low"], knob["high"], knob.get("log", False)
    if not isinstance(current, int | float):
        current = low
    if log:
        value = math.exp(math.log(current) + direction * 0.25 * (math.log(high) - math.log(low)))
    else:
        value = current + direction * 0.25 * (high - low)
    value = min(high, max(low, value))
    if isinstance(low, int) and isinstance(high, int):
        value = round(value)
    return value
