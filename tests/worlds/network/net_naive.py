"""A deliberately naive, independent re-implementation of the seed's network oracle and drivers.

Why it exists: the production world (`worlds.network`) is built for speed (shared host maps,
incremental connectivity, cached derived data). This module is its opposite: plain dicts and
sets, a full BFS for every reachability question, a full copy of the state for every step, the
rules of network-world.md §2-§4 written out literally. It records the trace files under
`data/` and is the second opinion the production world must agree with, step for step.

It also reproduces the seed's *trajectory record* format, including the seed's quirk that a link
edit keeps the action's argument order (`link_up h1 h0` -> `{"op":"link_add","a":"h1","b":"h0"}`),
because the seed's published trajectory hashes are taken over exactly those records.

Nothing here imports `worlds.network`: the two implementations share only the specification.
"""

from __future__ import annotations

import json
import random
from collections import deque
from typing import Any

State = dict[str, Any]
Edit = dict[str, Any]

COMMANDS = (
    "host_up",
    "host_down",
    "link_up",
    "link_down",
    "svc_up",
    "svc_down",
    "fw_deny",
    "fw_allow",
    "connect",
    "close",
    "advance",
)

WEIGHTS: dict[str, tuple[float, ...]] = {
    "uniform": (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
    "weighted": (0.5, 0.5, 3.0, 1.0, 3.0, 1.0, 1.0, 0.5, 3.0, 1.0, 1.5),
    "adversarial": (0.5, 2.0, 1.0, 3.0, 1.0, 2.0, 3.0, 0.5, 1.5, 1.0, 3.0),
}

PORT_POOL = (22, 80, 443, 53, 8080, 3306, 5432, 6379, 9200, 25, 110, 143)


def config_hosts(n: int) -> list[str]:
    return [f"h{i}" for i in range(n)]


def config_ports(p: int) -> list[int]:
    return [PORT_POOL[k] if k < len(PORT_POOL) else 10000 + k for k in range(p)]


# --- state -----------------------------------------------------------------------------------


def initial(hosts: list[str]) -> State:
    return {
        "hosts": {h: {"up": True, "services": set(), "fw_deny": set()} for h in hosts},
        "links": set(),
        "flows": set(),
        "clock": 0,
        "last_exit": 0,
    }


def copy_state(s: State) -> State:
    return {
        "hosts": {
            h: {"up": v["up"], "services": set(v["services"]), "fw_deny": set(v["fw_deny"])}
            for h, v in s["hosts"].items()
        },
        "links": set(s["links"]),
        "flows": set(s["flows"]),
        "clock": s["clock"],
        "last_exit": s["last_exit"],
    }


def canonical(s: State) -> dict[str, Any]:
    return {
        "hosts": {
            h: {
                "up": s["hosts"][h]["up"],
                "services": sorted(s["hosts"][h]["services"]),
                "fw_deny": sorted(s["hosts"][h]["fw_deny"]),
            }
            for h in sorted(s["hosts"])
        },
        "links": sorted([a, b] for a, b in s["links"]),
        "flows": sorted([a, b, p] for a, b, p in s["flows"]),
        "clock": s["clock"],
        "last_exit": s["last_exit"],
    }


def from_canonical(d: dict[str, Any]) -> State:
    return {
        "hosts": {
            h: {"up": v["up"], "services": set(v["services"]), "fw_deny": set(v["fw_deny"])}
            for h, v in d["hosts"].items()
        },
        "links": {(min(a, b), max(a, b)) for a, b in d["links"]},
        "flows": {(a, b, p) for a, b, p in d["flows"]},
        "clock": d["clock"],
        "last_exit": d["last_exit"],
    }


def canonical_json(s: State) -> str:
    return json.dumps(canonical(s), sort_keys=True, separators=(",", ":"))


# --- reachability: a full BFS every time -----------------------------------------------------


def neighbours_up(s: State, h: str) -> list[str]:
    out = []
    for a, b in s["links"]:
        if a in s["hosts"] and b in s["hosts"] and s["hosts"][a]["up"] and s["hosts"][b]["up"]:
            if a == h:
                out.append(b)
            elif b == h:
                out.append(a)
    return out


def connected(s: State, src: str) -> set[str]:
    if src not in s["hosts"] or not s["hosts"][src]["up"]:
        return set()
    seen = {src}
    todo = deque([src])
    while todo:
        h = todo.popleft()
        for n in neighbours_up(s, h):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def can_reach(s: State, src: str, dst: str, port: int) -> bool:
    if src == dst:
        return src in s["hosts"] and s["hosts"][src]["up"] and port in s["hosts"][src]["services"]
    d = s["hosts"].get(dst)
    if d is None or not d["up"] or port not in d["services"] or src in d["fw_deny"]:
        return False
    return dst in connected(s, src)


def reachability(s: State) -> dict[tuple[str, str, int], bool]:
    services = sorted((h, p) for h, v in s["hosts"].items() for p in v["services"])
    return {(a, d, p): can_reach(s, a, d, p) for a in sorted(s["hosts"]) for d, p in services}


# --- apply and the oracle -------------------------------------------------------------------


def apply(s: State, delta: list[Edit]) -> State:
    out = copy_state(s)
    for e in delta:
        op = e["op"]
        if op in ("host_up", "host_down", "svc_up", "svc_down", "fw_deny", "fw_allow"):
            if e["host"] not in out["hosts"]:
                out["hosts"][e["host"]] = {"up": True, "services": set(), "fw_deny": set()}
            hs = out["hosts"][e["host"]]
            if op == "host_up":
                hs["up"] = True
            elif op == "host_down":
                hs["up"] = False
            elif op == "svc_up":
                hs["services"].add(e["port"])
            elif op == "svc_down":
                hs["services"].discard(e["port"])
            elif op == "fw_deny":
                hs["fw_deny"].add(e["src"])
            else:
                hs["fw_deny"].discard(e["src"])
        elif op == "link_add":
            out["links"].add((min(e["a"], e["b"]), max(e["a"], e["b"])))
        elif op == "link_del":
            out["links"].discard((min(e["a"], e["b"]), max(e["a"], e["b"])))
        elif op == "flow_open":
            out["flows"].add((e["src"], e["dst"], e["port"]))
        elif op == "flow_close":
            out["flows"].discard((e["src"], e["dst"], e["port"]))
        elif op == "clock_advance":
            out["clock"] += e["amount"]
        elif op == "set_result":
            out["last_exit"] = e["exit_code"]
        else:
            raise ValueError(op)
    return out


def parse(text: str) -> tuple[str, list[str]]:
    """The seed's grammar; raises ValueError on anything else."""
    toks = text.split()
    if not toks:
        raise ValueError("empty")
    name, rest = toks[0], toks[1:]
    arity = {
        "advance": 0,
        "host_up": 1,
        "host_down": 1,
        "link_up": 2,
        "link_down": 2,
        "fw_deny": 2,
        "fw_allow": 2,
        "svc_up": 2,
        "svc_down": 2,
        "connect": 3,
        "close": 3,
    }
    if name not in arity:
        raise ValueError("unknown command")
    if len(rest) != arity[name]:
        raise ValueError("arity")
    if name in ("svc_up", "svc_down", "connect", "close"):
        int(rest[-1])
    return name, rest


def semantics(s: State, text: str) -> tuple[list[Edit], int]:
    name, args = parse(text)
    hosts = s["hosts"]
    if name == "advance":
        edits: list[Edit] = [{"op": "clock_advance", "amount": 1}]
        for a, b, p in sorted(s["flows"]):
            if not can_reach(s, a, b, p):
                edits.append({"op": "flow_close", "src": a, "dst": b, "port": p})
        return edits, 0
    if name in ("host_up", "host_down"):
        h = args[0]
        if h not in hosts:
            return [], 2
        want = name == "host_up"
        if hosts[h]["up"] == want:
            return [], 0
        return [{"op": name, "host": h}], 0
    if name in ("link_up", "link_down"):
        a, b = args
        if a not in hosts or b not in hosts or a == b:
            return [], 2
        present = (min(a, b), max(a, b)) in s["links"]
        if name == "link_up":
            return ([] if present else [{"op": "link_add", "a": a, "b": b}]), 0
        return ([{"op": "link_del", "a": a, "b": b}] if present else []), 0
    if name in ("svc_up", "svc_down"):
        h, port = args[0], int(args[1])
        if h not in hosts:
            return [], 2
        listening = port in hosts[h]["services"]
        if name == "svc_up":
            return ([] if listening else [{"op": "svc_up", "host": h, "port": port}]), 0
        return ([{"op": "svc_down", "host": h, "port": port}] if listening else []), 0
    if name in ("fw_deny", "fw_allow"):
        h, src = args
        if h not in hosts or src not in hosts:
            return [], 2
        denied = src in hosts[h]["fw_deny"]
        if name == "fw_deny":
            return ([] if denied else [{"op": "fw_deny", "host": h, "src": src}]), 0
        return ([{"op": "fw_allow", "host": h, "src": src}] if denied else []), 0
    a, b, port = args[0], args[1], int(args[2])
    if name == "connect":
        if a not in hosts or b not in hosts:
            return [], 2
        if not can_reach(s, a, b, port):
            return [], 1
        if (a, b, port) in s["flows"]:
            return [], 0
        return [{"op": "flow_open", "src": a, "dst": b, "port": port}], 0
    if (a, b, port) in s["flows"]:
        return [{"op": "flow_close", "src": a, "dst": b, "port": port}], 0
    return [], 1


def step(s: State, text: str) -> tuple[State, list[Edit], int]:
    edits, code = semantics(s, text)
    delta = [*edits, {"op": "set_result", "exit_code": code}]
    return apply(s, delta), delta, code


# --- drivers (the seed's RNG call order) ------------------------------------------------------


def sample(rng: random.Random, driver: str, s: State, hosts: list[str], ports: list[int]) -> str:
    cmd = rng.choices(COMMANDS, weights=WEIGHTS[driver])[0]
    if cmd == "advance":
        return "advance"
    if cmd in ("host_up", "host_down"):
        return f"{cmd} {rng.choice(hosts)}"
    if cmd in ("link_up", "link_down", "fw_deny", "fw_allow"):
        a, b = rng.sample(hosts, 2)
        return f"{cmd} {a} {b}"
    if cmd in ("svc_up", "svc_down"):
        h = rng.choice(hosts)
        return f"{cmd} {h} {rng.choice(ports)}"
    if cmd == "close" and s["flows"]:
        a, b, p = rng.choice(sorted(s["flows"]))
        return f"close {a} {b} {p}"
    a, b = rng.sample(hosts, 2)
    return f"{cmd} {a} {b} {rng.choice(ports)}"


def seed_trajectory(
    driver: str, seed: int, steps: int, n: int = 5, p: int = 3
) -> list[dict[str, Any]]:
    """The seed's step records: state, action, next_state, delta (edit dicts), exit_code."""
    hosts, ports = config_hosts(n), config_ports(p)
    rng = random.Random(seed)
    s = initial(hosts)
    out = []
    for _ in range(steps):
        text = sample(rng, driver, s, hosts, ports)
        nxt, delta, code = step(s, text)
        out.append(
            {
                "state": canonical(s),
                "action": text,
                "next_state": canonical(nxt),
                "delta": delta,
                "exit_code": code,
            }
        )
        s = nxt
    return out
