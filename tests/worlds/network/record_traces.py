"""Record the trace files under data/ with the naive reference (`net_naive`), not our world.

    .venv/bin/python tests/worlds/network/record_traces.py

Workloads: the seed's three drivers (records in the seed's own format, `delta` included, link
edits in the seed's argument order), a flow-heavy `churn` workload (connect to existing
services, break paths, advance: the lazy drop), and a `fuzz` workload of grammar-valid text
with unknown hosts, self-links, odd ports and commands on anything (exit 2 paths). A line
without `state` continues from the previous line's `next_state`. Output is gzipped JSONL,
deterministic (fixed seeds, `mtime=0`), well under 1 MB in all.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import net_naive as nv

DATA = Path(__file__).parent / "data"


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def churn_action(rng: random.Random, s: nv.State, hosts: list[str], ports: list[int]) -> str:
    """A flow-heavy action: connect to live services, cut what carries flows, tick often."""
    roll = rng.random()
    services = sorted((h, p) for h, v in s["hosts"].items() for p in v["services"])
    flows = sorted(s["flows"])
    if roll < 0.30 and services:
        dst, port = rng.choice(services)
        return f"connect {rng.choice(hosts)} {dst} {port}"
    if roll < 0.50:
        return "advance"
    if roll < 0.65 and flows:
        src, dst, port = rng.choice(flows)
        kind = rng.randrange(4)
        if kind == 0:
            near = sorted(b if a == dst else a for a, b in s["links"] if dst in (a, b))
            if near:
                return f"link_down {dst} {rng.choice(near)}"
        if kind <= 1:
            return f"host_down {rng.choice([src, dst])}"
        if kind == 2:
            return f"fw_deny {dst} {src}"
        return f"svc_down {dst} {port}"
    if roll < 0.78:
        a, b = rng.sample(hosts, 2)
        return f"link_up {a} {b}"
    if roll < 0.88:
        return f"svc_up {rng.choice(hosts)} {rng.choice(ports)}"
    if roll < 0.95:
        down = sorted(h for h, v in s["hosts"].items() if not v["up"])
        if down:
            return f"host_up {rng.choice(down)}"
        return f"fw_allow {rng.choice(hosts)} {rng.choice(hosts)}"
    if flows:
        src, dst, port = rng.choice(flows)
        return f"close {src} {dst} {port}"
    return f"close {rng.choice(hosts)} {rng.choice(hosts)} {rng.choice(ports)}"


def fuzz_action(rng: random.Random, hosts: list[str], ports: list[int]) -> str:
    """Grammar-valid text over known and unknown hosts, self-pairs and odd ports."""
    names = [*hosts, "h99", "zz", "H0"]
    port_pool = [*ports, -1, 0, 65536, 80]
    command = rng.choice(nv.COMMANDS)
    arity = {"advance": 0, "host_up": 1, "host_down": 1, "connect": 3, "close": 3}.get(command, 2)
    if command == "advance":
        return "advance"
    a = rng.choice(names)
    b = a if rng.random() < 0.2 else rng.choice(names)
    if arity == 1:
        return f"{command} {a}"
    if command in ("svc_up", "svc_down"):
        return f"{command} {a} {rng.choice(port_pool)}"
    if arity == 3:
        return f"{command} {a} {b} {rng.choice(port_pool)}"
    return f"{command} {a} {b}"


def record(workload: str, n: int, p: int, seeds: range, steps: int) -> list[str]:
    hosts, ports = nv.config_hosts(n), nv.config_ports(p)
    lines = [f"# workload={workload} hosts={n} ports={p} seeds={list(seeds)} steps={steps}"]
    for seed in seeds:
        if workload in nv.WEIGHTS:
            for i, rec in enumerate(nv.seed_trajectory(workload, seed, steps, n, p)):
                if i:
                    del rec["state"]
                lines.append(_line(rec))
            continue
        rng = random.Random(seed)
        s = nv.initial(hosts)
        for i in range(steps):
            if workload == "churn":
                text = churn_action(rng, s, hosts, ports)
            else:
                text = fuzz_action(rng, hosts, ports)
            nxt, _delta, code = nv.step(s, text)
            rec = {"action": text, "next_state": nv.canonical(nxt), "exit_code": code}
            if i == 0:
                rec["state"] = nv.canonical(s)
            lines.append(_line(rec))
            s = nxt
    return lines


PLAN: tuple[tuple[str, int, int, range, int], ...] = (
    ("uniform", 5, 3, range(5), 300),
    ("weighted", 5, 3, range(5), 300),
    ("adversarial", 5, 3, range(5), 300),
    ("uniform", 25, 4, range(3), 300),
    ("weighted", 25, 4, range(3), 300),
    ("adversarial", 25, 4, range(3), 300),
    ("churn", 5, 3, range(5), 400),
    ("churn", 25, 4, range(3), 400),
    ("fuzz", 5, 3, range(3), 300),
)


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for workload, n, p, seeds, steps in PLAN:
        path = DATA / f"trace_{workload}_{n}h{p}p.jsonl.gz"
        text = "\n".join(record(workload, n, p, seeds, steps)) + "\n"
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write(text.encode("utf-8"))
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
