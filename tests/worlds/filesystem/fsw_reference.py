"""A deliberately naive, independent re-implementation of the SEED's reference oracle and drivers.

It exists only to check the fast world against: plain dicts of paths, edits as the seed's
tagged dicts, one generic apply, no caching, no sharing, and every rule spelled out in the
order the seed's command table gives it (fs-world.md §1, §3). It reproduces the seed's
`cp FILE DST` quirk (an existing directory at the final path is replaced by the file, its
children orphaned, exit 0), because it stands for the seed, not for us: the one allowed
difference between a trace it records and our world is exactly that case.

Nothing here imports `worlds.filesystem` (only the stdlib), so a bug cannot be shared.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

State = dict[str, Any]  # {"fs": {path: node}, "cwd": str, "env": {k: v}, "last": {...}}
Node = dict[str, Any]  # {"type": "file", "content": str, "mode": int} | {"type": "dir", ...}
EditDict = dict[str, Any]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_state() -> State:
    return {
        "fs": {"/": {"type": "dir", "mode": 0o755}},
        "cwd": "/",
        "env": {},
        "last": {"exit_code": 0, "stdout_hash": sha("")},
    }


def copy_state(s: State) -> State:
    return {
        "fs": {p: dict(n) for p, n in s["fs"].items()},
        "cwd": s["cwd"],
        "env": dict(s["env"]),
        "last": dict(s["last"]),
    }


# -- paths -------------------------------------------------------------------------------------


def normalize(path: str) -> str:
    parts: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if parts:
                parts.pop()
        else:
            parts.append(seg)
    return "/" + "/".join(parts)


def resolve(cwd: str, path: str) -> str:
    return normalize(path if path.startswith("/") else cwd + "/" + path)


def parent_of(path: str) -> str:
    if path == "/":
        return "/"
    i = path.rfind("/")
    return "/" if i == 0 else path[:i]


def base_of(path: str) -> str:
    return "" if path == "/" else path[path.rfind("/") + 1 :]


# -- canonical JSON ----------------------------------------------------------------------------


def node_json(n: Node) -> dict[str, Any]:
    if n["type"] == "file":
        return {
            "type": "file",
            "mode": n["mode"],
            "content": n["content"],
            "content_hash": sha(n["content"]),
            "size": len(n["content"].encode("utf-8")),
        }
    return {"type": "dir", "mode": n["mode"]}


def canonical(s: State) -> dict[str, Any]:
    return {
        "fs": [[p, node_json(s["fs"][p])] for p in sorted(s["fs"])],
        "cwd": s["cwd"],
        "env": {k: s["env"][k] for k in sorted(s["env"])},
        "last": dict(s["last"]),
    }


def canonical_json(s: State) -> str:
    return json.dumps(canonical(s), sort_keys=True, separators=(",", ":"))


def state_from_canonical(d: dict[str, Any]) -> State:
    fs: dict[str, Node] = {}
    for path, n in d["fs"]:
        if n["type"] == "file":
            fs[path] = {"type": "file", "content": n["content"], "mode": n["mode"]}
        else:
            fs[path] = {"type": "dir", "mode": n["mode"]}
    return {"fs": fs, "cwd": d["cwd"], "env": dict(d["env"]), "last": dict(d["last"])}


# -- apply -------------------------------------------------------------------------------------


def apply_edits(s: State, edits: list[EditDict]) -> State:
    out = copy_state(s)
    fs = out["fs"]
    for e in edits:
        op = e["op"]
        if op == "create":
            fs[e["path"]] = {k: v for k, v in e["node"].items() if k in ("type", "content", "mode")}
        elif op == "delete":
            fs.pop(e["path"], None)
        elif op == "modify":
            if e["path"] in fs and fs[e["path"]]["type"] == "file":
                fs[e["path"]] = {
                    "type": "file",
                    "content": e["content"],
                    "mode": fs[e["path"]]["mode"],
                }
        elif op == "move":
            moving = [p for p in fs if p == e["src"] or p.startswith(e["src"] + "/")]
            taken = {e["dst"] + p[len(e["src"]) :]: fs[p] for p in moving}
            for p in moving:
                del fs[p]
            for p, n in taken.items():
                fs[p] = n
        elif op == "chmod":
            if e["path"] in fs:
                fs[e["path"]] = dict(fs[e["path"]], mode=e["mode"])
        elif op == "setcwd":
            out["cwd"] = e["path"]
        elif op == "setenv":
            out["env"][e["key"]] = e["token"]
        elif op == "setresult":
            out["last"] = {"exit_code": e["exit_code"], "stdout_hash": e["stdout_hash"]}
    return out


# -- the oracle --------------------------------------------------------------------------------


def is_dir(s: State, p: str) -> bool:
    return p in s["fs"] and s["fs"][p]["type"] == "dir"


def is_file(s: State, p: str) -> bool:
    return p in s["fs"] and s["fs"][p]["type"] == "file"


def below(s: State, p: str) -> list[str]:
    return [q for q in s["fs"] if q.startswith(p + "/")]


def create(path: str, node: Node) -> EditDict:
    return {"op": "create", "path": path, "node": node_json(node)}


def run(s: State, raw: str) -> tuple[list[EditDict], int, str]:
    """(edits, exit, stdout) of one command text, or raises ValueError on bad grammar."""
    toks = raw.split()
    if not toks:
        raise ValueError("empty")
    cmd, args = toks[0], toks[1:]
    rec = False
    if cmd in ("rm", "cp") and args and args[0] == "-r":
        rec, args = True, args[1:]
    fail: tuple[list[EditDict], int, str] = ([], 1, "")
    ok: tuple[list[EditDict], int, str] = ([], 0, "")
    if cmd == "export":
        key, _, tok = args[0].partition("=")
        return [{"op": "setenv", "key": key, "token": tok}], 0, ""
    if cmd == "chmod":
        p = resolve(s["cwd"], args[1])
        if p not in s["fs"]:
            return fail
        return [{"op": "chmod", "path": p, "mode": int(args[0], 8)}], 0, ""
    p = resolve(s["cwd"], args[0])
    fs = s["fs"]
    if cmd == "mkdir":
        if p in fs or not is_dir(s, parent_of(p)):
            return fail
        return [create(p, {"type": "dir", "mode": 0o755})], 0, ""
    if cmd == "touch":
        if p in fs:
            return ok
        if not is_dir(s, parent_of(p)):
            return fail
        return [create(p, {"type": "file", "content": "", "mode": 0o644})], 0, ""
    if cmd in ("write", "append"):
        tok = args[1]
        if is_dir(s, p):
            return fail
        if is_file(s, p):
            new = fs[p]["content"] + tok if cmd == "append" else tok
            return [{"op": "modify", "path": p, "content": new}], 0, ""
        if not is_dir(s, parent_of(p)):
            return fail
        return [create(p, {"type": "file", "content": tok, "mode": 0o644})], 0, ""
    if cmd == "rm":
        if p == "/" or p not in fs:
            return fail
        if not rec and is_dir(s, p):
            return fail
        if rec:
            return [{"op": "delete", "path": q} for q in sorted([p, *below(s, p)])], 0, ""
        return [{"op": "delete", "path": p}], 0, ""
    if cmd == "rmdir":
        if p == "/" or not is_dir(s, p) or below(s, p):
            return fail
        return [{"op": "delete", "path": p}], 0, ""
    if cmd == "cd":
        return ([{"op": "setcwd", "path": p}], 0, "") if is_dir(s, p) else fail
    if cmd == "cat":
        return ([], 0, fs[p]["content"]) if is_file(s, p) else fail
    if cmd == "ls":
        if p not in fs:
            return fail
        if is_file(s, p):
            return [], 0, base_of(p)
        pre = "/" if p == "/" else p + "/"
        kids = sorted(q[len(pre) :] for q in fs if q != p and q.startswith(pre))
        return [], 0, "\n".join(k for k in kids if "/" not in k)
    if cmd in ("mv", "cp"):
        move = cmd == "mv"
        rec = rec or move
        src, dst = p, resolve(s["cwd"], args[1])
        if src == "/" or src not in fs:
            return fail
        if not rec and is_dir(s, src):
            return fail
        if is_dir(s, dst):
            final = resolve(dst, base_of(src))
        else:
            final = dst
            if not is_dir(s, parent_of(final)):
                return fail
        if final == src:
            return ok
        if is_dir(s, src) and final.startswith(src + "/"):
            return fail
        if move:
            if final in fs:
                return fail
            return [{"op": "move", "src": src, "dst": final}], 0, ""
        if is_file(s, src):
            if is_file(s, final):
                return [{"op": "modify", "path": final, "content": fs[src]["content"]}], 0, ""
            # THE SEED'S QUIRK: `final` may be an existing directory; it is replaced.
            return [create(final, fs[src])], 0, ""
        if final in fs:
            return fail
        return [create(final + q[len(src) :], fs[q]) for q in sorted([src, *below(s, src)])], 0, ""
    raise ValueError(f"unknown command {cmd!r}")


def oracle_step(s: State, raw: str) -> tuple[State, list[EditDict], int, str]:
    edits, code, out = run(s, raw)
    delta = [*edits, {"op": "setresult", "exit_code": code, "stdout_hash": sha(out)}]
    return apply_edits(s, delta), delta, code, out


# -- the seed's drivers ------------------------------------------------------------------------

SHAPES = [
    "mkdir",
    "touch",
    "write",
    "append",
    "cp",
    "cp_r",
    "mv",
    "rm",
    "rm_r",
    "rmdir",
    "chmod",
    "cd",
    "cat",
    "ls",
    "export",
]
PRESETS: dict[str, list[float]] = {
    "uniform": [1.0] * 15,
    "weighted": [3, 3, 3, 2, 1.5, 1, 1.5, 1, 0.5, 1, 1, 1, 1, 1, 1],
    "adversarial": [1, 1, 1, 1, 1, 1.5, 3, 2, 4, 3, 1, 1, 0.5, 0.5, 0.5],
    "trivial": [3.0, 2.0, 3.0] + [0.0] * 12,
    "structural": [3.0, 2.0, 3.0] + [0.0] * 12,
}
TOKENS = ["alpha", "beta", "gamma", "delta", "omega"]
MODES = [0o644, 0o600, 0o755, 0o700]
KEYS = ["PATH", "HOME", "LANG", "TERM"]
NAMES = ["a", "b", "c", "d", "e", "f", "g", "h"]


def _child(d: str, name: str) -> str:
    return ("" if d == "/" else d) + "/" + name


class SeedDriver:
    def __init__(self, name: str, seed: int) -> None:
        self.name = name
        self.rng = random.Random(seed)

    def dirs(self, s: State) -> list[str]:
        return [p for p, n in s["fs"].items() if n["type"] == "dir"]

    def fresh(self, s: State) -> str:
        rng = self.rng
        if self.name in ("trivial", "structural"):
            parents = ["/"] if self.name == "trivial" else self.dirs(s)
            rng.shuffle(parents)
            for d in parents:
                names = list(NAMES)
                rng.shuffle(names)
                for n in names:
                    if _child(d, n) not in s["fs"]:
                        return _child(d, n)
            d = rng.choice(parents)
            return _child(d, rng.choice(NAMES))
        d = rng.choice(self.dirs(s))
        return _child(d, rng.choice(NAMES))

    def new_path(self, s: State) -> str:
        d = self.rng.choice(self.dirs(s))
        return _child(d, self.rng.choice(NAMES))

    def sample(self, s: State) -> str:
        rng = self.rng
        shape = rng.choices(SHAPES, weights=[float(w) for w in PRESETS[self.name]])[0]
        paths = list(s["fs"])
        if shape in ("mkdir", "touch"):
            return f"{shape} {self.fresh(s)}"
        if shape == "write":
            target = self.fresh(s)
            return f"write {target} {rng.choice(TOKENS)}"
        if shape == "append":
            files = [p for p, n in s["fs"].items() if n["type"] == "file"]
            target = rng.choice(files or paths)
            return f"append {target} {rng.choice(TOKENS)}"
        if shape in ("cp", "cp_r", "mv"):
            src = rng.choice(paths)
            verb = {"cp": "cp", "cp_r": "cp -r", "mv": "mv"}[shape]
            return f"{verb} {src} {self.new_path(s)}"
        if shape in ("rm", "rm_r", "cat", "ls"):
            verb = "rm -r" if shape == "rm_r" else shape
            return f"{verb} {rng.choice(paths)}"
        if shape in ("rmdir", "cd"):
            return f"{shape} {rng.choice(self.dirs(s))}"
        if shape == "chmod":
            mode = rng.choice(MODES)
            return f"chmod {mode:o} {rng.choice(paths)}"
        return f"export {rng.choice(KEYS)}={rng.choice(TOKENS)}"


def seed_trajectory(driver: str, seed: int, steps: int) -> list[dict[str, Any]]:
    """The seed's step-record shape: state, action, next_state, delta, observation."""
    d = SeedDriver(driver, seed)
    s = new_state()
    out: list[dict[str, Any]] = []
    for _ in range(steps):
        raw = d.sample(s)
        nxt, delta, code, stdout = oracle_step(s, raw)
        out.append(
            {
                "state": canonical(s),
                "action": raw,
                "next_state": canonical(nxt),
                "delta": delta,
                "observation": {"exit_code": code, "stdout": stdout},
            }
        )
        s = nxt
    return out
