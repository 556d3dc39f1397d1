"""Tokens for the filesystem world: closed vocabulary from the config and the delta grammar.

Following the seed (fs-world note §5): absolute paths are `<p> name* </p>`; file content is
the greedy longest-match split of a prefix-free content vocabulary inside `<c> ... </c>`; the
prompt carries only the last exit code (a stdout hash is not tokenizable), while the target's
`setresult` carries the stdout itself as tokens inside `<o> ... </o>` (`cat` prints content
words, `ls` prints names joined by `<nl>`), and the parser rebuilds the hash from that text.

A true delta names its stdout only by hash, so the target builder recovers the text by
matching the hash against what the pre-action state can print (a file's content, a listing,
a basename); nothing about command semantics is re-implemented here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from proposers.base import ProposerError
from proposers.tokenize.grammar import Choice, Grammar, GrammarError, Leaf, Run
from proposers.tokenize.interface import UntokenizableError, world_attr
from proposers.tokenize.vocab import BOS, EOS, PAD, UNK, Vocab, build_vocab

MARKERS: tuple[str, ...] = (
    "<state>", "<action>", "<gen>", "<cwd>", "<env>", "<last>", "<p>", "</p>", "<c>", "</c>",
    "<o>", "</o>", "<nl>", "<file>", "<dir>",
)  # fmt: skip
OPS: tuple[str, ...] = (
    "create", "delete", "modify", "move", "chmod", "setcwd", "setenv", "setresult",
)  # fmt: skip
COMMANDS: tuple[str, ...] = (
    "mkdir", "touch", "write", "append", "cp", "cp_r", "mv", "rm", "rm_r", "rmdir",
    "chmod", "cd", "cat", "ls", "export",
)  # fmt: skip
EXIT_CODES: tuple[int, ...] = (0, 1)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def filesystem_vocab(
    names: Sequence[str], words: Sequence[str], modes: Sequence[int], keys: Sequence[str]
) -> Vocab:
    return build_vocab(
        [
            ("special", (PAD, BOS, EOS, UNK)),
            ("marker", MARKERS),
            ("op", tuple(f"op:{o}" for o in OPS)),
            ("cmd", tuple(f"cmd:{c}" for c in COMMANDS)),
            ("exit", tuple(f"exit:{e}" for e in EXIT_CODES)),
            ("name", tuple(f"name:{n}" for n in names)),
            ("word", tuple(f"word:{w}" for w in words)),
            ("mode", tuple(f"mode:{m}" for m in modes)),
            ("key", tuple(f"key:{k}" for k in keys)),
        ]
    )


def filesystem_grammar(vocab: Vocab) -> Grammar:
    v = vocab.id
    names, words = vocab.class_ids("name"), vocab.class_ids("word")
    rules: dict[str, Any] = {
        "PATH": Choice({v("<p>"): ("SEGS",)}),
        "SEGS": Run(names, v("</p>")),
        "CONTENT": Choice({v("<c>"): ("WORDS",)}),
        "WORDS": Run(words, v("</c>")),
        "STDOUT": Choice({v("<o>"): ("OUT",)}),
        "OUT": Run(words | names | {v("<nl>")}, v("</o>")),
        "NODE": Choice({v("<file>"): ("CONTENT", "MODE"), v("<dir>"): ("MODE",)}),
        "MODE": Leaf(vocab.class_ids("mode")),
        "KEY": Leaf(vocab.class_ids("key")),
        "WORD": Leaf(words),
        "EXIT": Leaf(vocab.class_ids("exit")),
    }
    args = {
        "create": ("PATH", "NODE"),
        "delete": ("PATH",),
        "modify": ("PATH", "CONTENT"),
        "move": ("PATH", "PATH"),
        "chmod": ("PATH", "MODE"),
        "setcwd": ("PATH",),
        "setenv": ("KEY", "WORD"),
        "setresult": ("EXIT", "STDOUT"),
    }
    alternatives: dict[int, tuple[str, ...]] = {v(EOS): ()}
    for op in OPS:
        alternatives[v(f"op:{op}")] = (*args[op], "DELTA")
    rules["DELTA"] = Choice(alternatives, counted=True)
    return Grammar(rules, "DELTA")


class FilesystemCodec:
    """Prompt, target and parse for one filesystem config."""

    world_name = "filesystem"

    def __init__(
        self,
        world: Any,
        names: Sequence[str],
        words: Sequence[str],
        modes: Sequence[int],
        keys: Sequence[str],
    ) -> None:
        self.world = world
        self.names = tuple(names)
        self.words = tuple(words)
        self.modes = tuple(modes)
        self.keys = tuple(keys)
        if any(w.startswith(o) for w in self.words for o in self.words if o != w):
            raise ProposerError("filesystem codec: the content vocabulary must be prefix-free")
        self.vocab = filesystem_vocab(self.names, self.words, self.modes, self.keys)
        self.grammar = filesystem_grammar(self.vocab)

    @classmethod
    def from_world(cls, world: Any) -> FilesystemCodec:
        return cls(
            world,
            [str(n) for n in world_attr(world, "name_pool")],
            [str(w) for w in world_attr(world, "content_tokens")],
            [int(m) for m in world_attr(world, "modes")],
            [str(k) for k in world_attr(world, "env_keys")],
        )

    # -- pieces -------------------------------------------------------------------------
    def split_words(self, text: str) -> list[str] | None:
        """Greedy longest match over the content words; None if the text does not split."""
        out: list[str] = []
        i = 0
        by_len = sorted(self.words, key=len, reverse=True)
        while i < len(text):
            for w in by_len:
                if w and text.startswith(w, i):
                    out.append(w)
                    i += len(w)
                    break
            else:
                return None
        return out

    def path_tokens(self, path: str) -> list[str]:
        segs = [s for s in path.split("/") if s]
        return ["<p>", *(f"name:{s}" for s in segs), "</p>"]

    def content_tokens(self, text: str) -> list[str]:
        words = self.split_words(text)
        if words is None:
            return ["<c>", UNK, "</c>"]
        return ["<c>", *(f"word:{w}" for w in words), "</c>"]

    def stdout_tokens(self, text: str) -> list[str]:
        out: list[str] = []
        for i, piece in enumerate(text.split("\n")):
            if i:
                out.append("<nl>")
            if piece in self.names:
                out.append(f"name:{piece}")
                continue
            words = self.split_words(piece)
            if words is None:
                raise UntokenizableError(f"filesystem codec: stdout piece {piece!r}")
            out += [f"word:{w}" for w in words]
        return ["<o>", *out, "</o>"]

    def node_tokens(self, node: dict[str, Any]) -> list[str]:
        if node["type"] == "dir":
            return ["<dir>", f"mode:{node['mode']}"]
        return ["<file>", *self.content_tokens(node["content"]), f"mode:{node['mode']}"]

    # -- prompt -------------------------------------------------------------------------
    def state_tokens(self, state: Any) -> list[str]:
        doc = json.loads(self.world.to_json(state))
        out = ["<state>"]
        for path, node in doc["fs"]:
            out += self.path_tokens(path) + self.node_tokens(node)
        out += ["<cwd>", *self.path_tokens(doc["cwd"]), "<env>"]
        env = doc["env"]
        pairs = sorted(env.items()) if isinstance(env, dict) else [tuple(p) for p in env]
        for key, value in pairs:
            out += [f"key:{key}", f"word:{value}"]
        out += ["<last>", f"exit:{doc['last']['exit_code']}"]
        return out

    def arg_tokens(self, arg: str) -> list[str]:
        """An action argument by the role its text can play: path, env key, mode, content."""
        if arg.startswith("/"):
            return self.path_tokens(arg)
        if f"key:{arg}" in self.vocab:
            return [f"key:{arg}"]
        try:
            mode = f"mode:{int(arg, 8)}"
            return [mode if mode in self.vocab else UNK]
        except ValueError:
            pass
        if "=" in arg:
            key, _, value = arg.partition("=")
            return [f"key:{key}", *self.content_tokens(value)]
        if self.split_words(arg) is not None:
            return self.content_tokens(arg)
        return self.path_tokens(arg)  # a relative path (segments outside the pool become <unk>)

    def action_tokens(self, action: Any) -> list[str]:
        out = ["<action>", f"cmd:{self.world.action_command(action)}"]
        for arg in self.world.action_args(action):
            out += self.arg_tokens(str(arg))
        return out

    def prompt(self, state: Any, action: Any) -> list[int]:
        toks = [BOS, *self.state_tokens(state), *self.action_tokens(action), "<gen>"]
        return [self.vocab.id_or_unk(t) for t in toks]

    # -- target -------------------------------------------------------------------------
    def _printable(self, state: Any) -> dict[str, str]:
        """Every stdout the state can produce, by hash (content, listings, basenames)."""
        doc = json.loads(self.world.to_json(state))
        texts = {""}
        children: dict[str, list[str]] = {}
        for path, node in doc["fs"]:
            if path != "/":
                parent, _, base = path.rpartition("/")
                children.setdefault(parent or "/", []).append(base)
                texts.add(base)
            if node["type"] == "file":
                texts.add(node["content"])
            else:
                children.setdefault(path, [])
        texts.update("\n".join(sorted(kids)) for kids in children.values())
        return {_sha(t): t for t in texts}

    def target(self, state: Any, action: Any, delta: Sequence[Any]) -> list[int]:
        out: list[str] = []
        printable: dict[str, str] | None = None
        for edit in self.world.delta_to_dicts(delta):
            op = edit.get("op")
            if op not in OPS:
                raise UntokenizableError(f"filesystem codec: unknown edit op {op!r}")
            out.append(f"op:{op}")
            if op == "create":
                out += self.path_tokens(edit["path"]) + self.node_tokens(edit["node"])
            elif op in ("delete", "setcwd"):
                out += self.path_tokens(edit["path"])
            elif op == "modify":
                out += self.path_tokens(edit["path"]) + self.content_tokens(edit["content"])
            elif op == "move":
                out += self.path_tokens(edit["src"]) + self.path_tokens(edit["dst"])
            elif op == "chmod":
                out += [*self.path_tokens(edit["path"]), f"mode:{edit['mode']}"]
            elif op == "setenv":
                out += [f"key:{edit['key']}", f"word:{edit['token']}"]
            else:
                if printable is None:
                    printable = self._printable(state)
                text = printable.get(edit["stdout_hash"])
                if text is None:
                    raise UntokenizableError("filesystem codec: stdout not recoverable from state")
                out += [f"exit:{edit['exit_code']}", *self.stdout_tokens(text)]
        out.append(EOS)
        bad = [t for t in out if t not in self.vocab or t == UNK]
        if bad:
            raise UntokenizableError(f"filesystem codec: values outside the config: {bad}")
        return self.vocab.encode(out)

    # -- parse --------------------------------------------------------------------------
    def parse(self, ids: Sequence[int]) -> tuple[Any, ...]:
        return tuple(self.world.delta_from_dicts(_Parser(self.vocab.decode(ids)).delta()))


class _Parser:
    """Recursive descent over a grammar-complete token list (mirrors `filesystem_grammar`)."""

    def __init__(self, toks: list[str]) -> None:
        self.toks = toks
        self.i = 0

    def next(self) -> str:
        if self.i >= len(self.toks):
            raise GrammarError("filesystem codec: delta ends early")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, tok: str) -> None:
        got = self.next()
        if got != tok:
            raise GrammarError(f"filesystem codec: expected {tok!r}, got {got!r}")

    def value(self, cls: str) -> str:
        tok = self.next()
        if not tok.startswith(cls + ":"):
            raise GrammarError(f"filesystem codec: expected a {cls}, got {tok!r}")
        return tok[len(cls) + 1 :]

    def run(self, closer: str) -> list[str]:
        out = []
        while (tok := self.next()) != closer:
            out.append(tok)
        return out

    def path(self) -> str:
        self.expect("<p>")
        return "/" + "/".join(t[5:] for t in self.run("</p>"))

    def content(self) -> str:
        self.expect("<c>")
        return "".join(t[5:] for t in self.run("</c>"))

    def node(self) -> dict[str, Any]:
        kind = self.next()
        if kind == "<dir>":
            return {"type": "dir", "mode": int(self.value("mode"))}
        if kind != "<file>":
            raise GrammarError(f"filesystem codec: expected a node, got {kind!r}")
        content = self.content()
        return {
            "type": "file",
            "mode": int(self.value("mode")),
            "content": content,
            "content_hash": _sha(content),
            "size": len(content.encode("utf-8")),
        }

    def stdout(self) -> str:
        self.expect("<o>")
        return "".join("\n" if t == "<nl>" else t.split(":", 1)[1] for t in self.run("</o>"))

    def delta(self) -> list[dict[str, Any]]:
        edits: list[dict[str, Any]] = []
        while self.i < len(self.toks) and self.toks[self.i] != EOS:
            op = self.value("op")
            if op == "create":
                edits.append({"op": op, "path": self.path(), "node": self.node()})
            elif op in ("delete", "setcwd"):
                edits.append({"op": op, "path": self.path()})
            elif op == "modify":
                edits.append({"op": op, "path": self.path(), "content": self.content()})
            elif op == "move":
                edits.append({"op": op, "src": self.path(), "dst": self.path()})
            elif op == "chmod":
                edits.append({"op": op, "path": self.path(), "mode": int(self.value("mode"))})
            elif op == "setenv":
                edits.append({"op": op, "key": self.value("key"), "token": self.value("word")})
            elif op == "setresult":
                code = int(self.value("exit"))
                edits.append({"op": op, "exit_code": code, "stdout_hash": _sha(self.stdout())})
            else:
                raise GrammarError(f"filesystem codec: unknown op {op!r}")
        return edits
