"""Tokens for the network world: a closed vocabulary from (hosts, ports) and the delta grammar.

Layout follows the seed (proposers note §2.1-2.2): specials, section markers, one op token per
edit type, one command token per action, exit codes, then one token per configured host and
port, in config order. `<unk>` is added (input side only) so a prompt that mentions a host or
port outside the config still encodes. The clock is left out of the prompt: it is unbounded
and would break the closed vocabulary; `clock_advance` therefore carries no argument and
decodes as an advance of 1, the only amount the oracle ever emits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from proposers.base import ProposerError
from proposers.tokenize.grammar import Choice, Grammar, GrammarError, Leaf
from proposers.tokenize.interface import UntokenizableError, world_attr
from proposers.tokenize.vocab import BOS, EOS, PAD, UNK, Vocab, build_vocab

MARKERS: tuple[str, ...] = (
    "<state>", "<host>", "<up>", "<down>", "<svc>", "<deny>", "<links>", "<link>",
    "<flows>", "<flow>", "<last>", "<action>", "<gen>",
)  # fmt: skip

# Edit tag -> (field, slot class) in the order the tokens are written.
EDIT_FIELDS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "host_up": (("host", "host"),),
    "host_down": (("host", "host"),),
    "link_add": (("a", "host"), ("b", "host")),
    "link_del": (("a", "host"), ("b", "host")),
    "svc_up": (("host", "host"), ("port", "port")),
    "svc_down": (("host", "host"), ("port", "port")),
    "fw_deny": (("host", "host"), ("src", "host")),
    "fw_allow": (("host", "host"), ("src", "host")),
    "flow_open": (("src", "host"), ("dst", "host"), ("port", "port")),
    "flow_close": (("src", "host"), ("dst", "host"), ("port", "port")),
    "clock_advance": (),
    "set_result": (("exit_code", "exit"),),
}
COMMANDS: tuple[str, ...] = (
    "host_up", "host_down", "link_up", "link_down", "svc_up", "svc_down",
    "fw_deny", "fw_allow", "connect", "close", "advance",
)  # fmt: skip
EXIT_CODES: tuple[int, ...] = (0, 1, 2)


def _tok(kind: str, value: object) -> str:
    return f"{kind}:{value}"


def network_vocab(hosts: Sequence[str], ports: Sequence[int]) -> Vocab:
    return build_vocab(
        [
            ("special", (PAD, BOS, EOS, UNK)),
            ("marker", MARKERS),
            ("op", tuple(_tok("op", t) for t in EDIT_FIELDS)),
            ("cmd", tuple(_tok("cmd", c) for c in COMMANDS)),
            ("exit", tuple(_tok("exit", e) for e in EXIT_CODES)),
            ("host", tuple(_tok("host", h) for h in hosts)),
            ("port", tuple(_tok("port", p) for p in ports)),
        ]
    )


def network_grammar(vocab: Vocab) -> Grammar:
    """`DELTA -> op slot* DELTA | <eos>`: fixed arity per op, one class per slot."""
    rules: dict[str, Any] = {
        "host": Leaf(vocab.class_ids("host")),
        "port": Leaf(vocab.class_ids("port")),
        "exit": Leaf(vocab.class_ids("exit")),
    }
    alternatives: dict[int, tuple[str, ...]] = {vocab.id(EOS): ()}
    for tag, fields in EDIT_FIELDS.items():
        alternatives[vocab.id(_tok("op", tag))] = (*(cls for _, cls in fields), "DELTA")
    rules["DELTA"] = Choice(alternatives, counted=True)
    return Grammar(rules, "DELTA")


class NetworkCodec:
    """Prompt, target and parse for one network config (`hosts`, `ports` in config order)."""

    world_name = "network"

    def __init__(self, world: Any, hosts: Sequence[str], ports: Sequence[int]) -> None:
        self.world = world
        self.hosts = tuple(hosts)
        self.ports = tuple(ports)
        if len(set(self.hosts)) != len(self.hosts) or len(set(self.ports)) != len(self.ports):
            raise ProposerError("network codec: hosts and ports must be unique")
        self.vocab = network_vocab(self.hosts, self.ports)
        self.grammar = network_grammar(self.vocab)

    @classmethod
    def from_world(cls, world: Any) -> NetworkCodec:
        hosts = tuple(str(h) for h in world_attr(world, "hosts"))
        ports = tuple(int(p) for p in world_attr(world, "ports"))
        return cls(world, hosts, ports)

    # -- prompt -------------------------------------------------------------------------
    def state_tokens(self, state: Any) -> list[str]:
        doc = json.loads(self.world.to_json(state))
        out = ["<state>"]
        for host in sorted(doc["hosts"]):
            info = doc["hosts"][host]
            out += ["<host>", _tok("host", host), "<up>" if info["up"] else "<down>"]
            for port in info["services"]:
                out += ["<svc>", _tok("port", port)]
            for src in info["fw_deny"]:
                out += ["<deny>", _tok("host", src)]
        out.append("<links>")
        for a, b in doc["links"]:
            out += ["<link>", _tok("host", a), _tok("host", b)]
        out.append("<flows>")
        for s, d, p in doc["flows"]:
            out += ["<flow>", _tok("host", s), _tok("host", d), _tok("port", p)]
        out += ["<last>", _tok("exit", doc["last_exit"])]
        return out

    def action_tokens(self, action: Any) -> list[str]:
        out = ["<action>", _tok("cmd", self.world.action_command(action))]
        for arg in self.world.action_args(action):
            host = _tok("host", arg)
            if host in self.vocab:
                out.append(host)
                continue
            try:
                out.append(_tok("port", int(arg)))
            except ValueError:
                out.append(UNK)
        return out

    def prompt(self, state: Any, action: Any) -> list[int]:
        toks = [BOS, *self.state_tokens(state), *self.action_tokens(action), "<gen>"]
        return [self.vocab.id_or_unk(t) for t in toks]

    # -- target -------------------------------------------------------------------------
    def target(self, state: Any, action: Any, delta: Sequence[Any]) -> list[int]:
        out: list[str] = []
        for edit in self.world.delta_to_dicts(delta):
            tag = edit.get("op")
            if tag not in EDIT_FIELDS:
                raise UntokenizableError(f"network codec: unknown edit op {tag!r}")
            if tag == "clock_advance" and int(edit.get("amount", 1)) != 1:
                raise UntokenizableError("network codec: only clock_advance(1) is expressible")
            out.append(_tok("op", tag))
            for field_name, cls in EDIT_FIELDS[tag]:
                value = edit[field_name]
                out.append(_tok(cls, value if cls == "host" else int(value)))
        out.append(EOS)
        missing = [t for t in out if t not in self.vocab]
        if missing:
            raise UntokenizableError(f"network codec: values outside the config: {missing}")
        return self.vocab.encode(out)

    # -- parse --------------------------------------------------------------------------
    def parse(self, ids: Sequence[int]) -> tuple[Any, ...]:
        toks = self.vocab.decode(ids)
        dicts: list[dict[str, Any]] = []
        i = 0
        while i < len(toks) and toks[i] != EOS:
            head = toks[i]
            if not head.startswith("op:") or head[3:] not in EDIT_FIELDS:
                raise GrammarError(f"network codec: expected an op token, got {head!r}")
            tag = head[3:]
            edit: dict[str, Any] = {"op": tag}
            for field_name, cls in EDIT_FIELDS[tag]:
                i += 1
                if i >= len(toks) or not toks[i].startswith(cls + ":"):
                    raise GrammarError(f"network codec: {tag} needs a {cls} for {field_name}")
                raw = toks[i][len(cls) + 1 :]
                edit[field_name] = raw if cls == "host" else int(raw)
            if tag == "clock_advance":
                edit["amount"] = 1
            dicts.append(edit)
            i += 1
        return tuple(self.world.delta_from_dicts(dicts))
