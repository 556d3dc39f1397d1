"""State corruption for the noise-injection lever (the seed's drift lever, proposers note §4).

A corrupted state is a plausible *wrong belief*: the kind of state a drifting model visits.
Training on it with the oracle's label for that wrong state teaches recovery from drift. The
mutations work on the canonical JSON, so they touch only what the world's own serializer can
round-trip, and every draw comes from the caller's `random.Random`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any


def _toggle(items: list[Any], item: Any) -> None:
    if item in items:
        items.remove(item)
    else:
        items.append(item)


def corrupt_network(
    world: Any,
    state: Any,
    rng: random.Random,
    hosts: Sequence[str],
    ports: Sequence[int],
    magnitude: int = 1,
) -> Any:
    """`magnitude` toggles, each of a uniformly drawn kind: host up, a service, a deny entry,
    a link, a flow, all on a uniformly drawn host."""
    doc = json.loads(world.to_json(state))
    for _ in range(magnitude):
        kind = rng.choice(("host", "svc", "fw", "link", "flow"))
        h = rng.choice(list(hosts))
        info = doc["hosts"].setdefault(h, {"up": True, "services": [], "fw_deny": []})
        others = [o for o in hosts if o != h] or [h]
        if kind == "host":
            info["up"] = not info["up"]
        elif kind == "svc":
            _toggle(info["services"], rng.choice(list(ports)))
            info["services"].sort()
        elif kind == "fw":
            _toggle(info["fw_deny"], rng.choice(list(hosts)))
            info["fw_deny"].sort()
        elif kind == "link":
            _toggle(doc["links"], sorted([h, rng.choice(others)]))
            doc["links"].sort()
        else:
            _toggle(doc["flows"], [h, rng.choice(others), rng.choice(list(ports))])
            doc["flows"].sort()
    return world.from_json(json.dumps(doc, sort_keys=True, separators=(",", ":")))


def corrupt_filesystem(
    world: Any,
    state: Any,
    rng: random.Random,
    names: Sequence[str],
    words: Sequence[str],
    modes: Sequence[int],
    magnitude: int = 1,
) -> Any:
    """`magnitude` mutations: a file's content, a node's mode, a fresh node, or a removed
    subtree, each keeping the tree well formed (parents exist, children go with their dir)."""
    import hashlib

    doc = json.loads(world.to_json(state))
    for _ in range(magnitude):
        fs: dict[str, dict[str, Any]] = dict((p, n) for p, n in doc["fs"])
        paths = sorted(fs)
        kind = rng.choice(("content", "mode", "create", "delete"))
        files = [p for p in paths if fs[p]["type"] == "file"]
        if kind == "content" and files:
            node = fs[rng.choice(files)]
            text = rng.choice(list(words))
            node.update(
                content=text,
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                size=len(text.encode()),
            )
        elif kind == "mode":
            fs[rng.choice(paths)]["mode"] = rng.choice(list(modes))
        elif kind == "delete" and len(paths) > 1:
            victim = rng.choice([p for p in paths if p != "/"])
            fs = {p: n for p, n in fs.items() if p != victim and not p.startswith(victim + "/")}
        else:
            parent = rng.choice([p for p in paths if fs[p]["type"] == "dir"])
            path = (parent.rstrip("/") or "") + "/" + rng.choice(list(names))
            if path not in fs:
                text = rng.choice(list(words))
                fs[path] = rng.choice(
                    [
                        {"type": "dir", "mode": 493},
                        {
                            "type": "file",
                            "mode": 420,
                            "content": text,
                            "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                            "size": len(text.encode()),
                        },
                    ]
                )
        doc["fs"] = [[p, fs[p]] for p in sorted(fs)]
    return world.from_json(json.dumps(doc, sort_keys=True, separators=(",", ":")))
