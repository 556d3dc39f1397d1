"""The seed's canonical state JSON and the tagged-dict delta form.

State: `{"hosts": {id: {"up", "services", "fw_deny"}}, "links": [[a, b]...], "flows":
[[src, dst, port]...], "clock", "last_exit"}` with hosts, lists and keys sorted and compact
separators, so equal states serialize to identical text whatever order they were built in.
Decoding is strict: anything that is not this shape raises `DeltaFormatError` naming the
offending part, rather than producing a state the oracle was never meant to see.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from worlds.base import DeltaFormatError
from worlds.network.edits import NetEdit, edit_from_dict, edit_to_dict, require_edits
from worlds.network.state import Flow, HostState, NetState

_STATE_KEYS = frozenset({"hosts", "links", "flows", "clock", "last_exit"})
_HOST_KEYS = frozenset({"up", "services", "fw_deny"})


def dumps(obj: Any) -> str:
    """Compact, key-sorted JSON: the seed's canonical text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def state_to_dict(state: NetState) -> dict[str, Any]:
    hosts = state._hosts
    return {
        "hosts": {
            h: {
                "up": hosts[h].up,
                "services": list(hosts[h].services),
                "fw_deny": list(hosts[h].fw_deny),
            }
            for h in sorted(hosts)
        },
        "links": [list(link) for link in sorted(state.links)],
        "flows": [list(flow) for flow in sorted(state._flows)],
        "clock": state._clock,
        "last_exit": state._last_exit,
    }


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DeltaFormatError(f"{where} must be an integer, got {value!r}")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise DeltaFormatError(f"{where} must be a string, got {value!r}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise DeltaFormatError(f"{where} must be a list, got {value!r}")
    return value


def state_from_dict(d: Any) -> NetState:
    """Inverse of `state_to_dict`; raises DeltaFormatError on any deviation from the shape."""
    if not isinstance(d, dict):
        raise DeltaFormatError(f"a state must be a JSON object, got {type(d).__name__}")
    keys = set(d)
    if keys != _STATE_KEYS:
        missing, extra = sorted(_STATE_KEYS - keys), sorted(keys - _STATE_KEYS)
        raise DeltaFormatError(f"state keys: missing {missing}, unexpected {extra}")
    raw_hosts = d["hosts"]
    if not isinstance(raw_hosts, dict):
        raise DeltaFormatError(f"state 'hosts' must be an object, got {raw_hosts!r}")
    hosts: dict[str, HostState] = {}
    for h, v in raw_hosts.items():
        where = f"hosts[{h!r}]"
        if not isinstance(v, dict) or set(v) != _HOST_KEYS:
            raise DeltaFormatError(f"{where} must be an object with keys up/services/fw_deny")
        up = v["up"]
        if not isinstance(up, bool):
            raise DeltaFormatError(f"{where}.up must be true or false, got {up!r}")
        services = {
            _int(p, f"{where}.services[]") for p in _list(v["services"], f"{where}.services")
        }
        denied = {_str(s, f"{where}.fw_deny[]") for s in _list(v["fw_deny"], f"{where}.fw_deny")}
        hosts[h] = HostState(up, tuple(sorted(services)), tuple(sorted(denied)))
    links: list[tuple[str, str]] = []
    for item in _list(d["links"], "links"):
        pair = _list(item, "links[]")
        if len(pair) != 2:
            raise DeltaFormatError(f"a link must be [a, b], got {pair!r}")
        links.append((_str(pair[0], "links[][0]"), _str(pair[1], "links[][1]")))
    flows: list[Flow] = []
    for item in _list(d["flows"], "flows"):
        triple = _list(item, "flows[]")
        if len(triple) != 3:
            raise DeltaFormatError(f"a flow must be [src, dst, port], got {triple!r}")
        flows.append(
            (
                _str(triple[0], "flows[][0]"),
                _str(triple[1], "flows[][1]"),
                _int(triple[2], "flows[][2]"),
            )
        )
    return NetState.build(
        hosts, links, flows, _int(d["clock"], "clock"), _int(d["last_exit"], "last_exit")
    )


def state_to_json(state: NetState) -> str:
    """The canonical text, computed once per state (models serialize the same state often)."""
    text = state._json
    if text is None:
        text = dumps(state_to_dict(state))
        object.__setattr__(state, "_json", text)
    return text


def state_from_json(text: str) -> NetState:
    try:
        data = json.loads(text)
    except (TypeError, ValueError, RecursionError) as exc:
        raise DeltaFormatError(f"state is not valid JSON: {exc}") from None
    return state_from_dict(data)


def delta_to_dicts(delta: Sequence[NetEdit]) -> list[dict[str, Any]]:
    require_edits(delta)
    return [edit_to_dict(e) for e in delta]


def delta_from_dicts(dicts: Sequence[Any]) -> tuple[NetEdit, ...]:
    if isinstance(dicts, (str, bytes)) or not isinstance(dicts, Sequence):
        raise DeltaFormatError(f"a delta must be a list of edit dicts, got {type(dicts).__name__}")
    return tuple(edit_from_dict(d) for d in dicts)


def delta_to_json(delta: Sequence[NetEdit]) -> str:
    return dumps(delta_to_dicts(delta))


def delta_from_json(text: str) -> tuple[NetEdit, ...]:
    try:
        data = json.loads(text)
    except (TypeError, ValueError, RecursionError) as exc:
        raise DeltaFormatError(f"delta is not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise DeltaFormatError(f"a delta must be a JSON list, got {type(data).__name__}")
    return delta_from_dicts(data)
