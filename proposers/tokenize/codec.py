"""What a learned proposer needs of a world's token interface, and how to get one.

A codec turns (state, action) into prompt ids, a true delta into target ids, and decoded ids
back into the world's own edits (`world.delta_from_dicts`). Codecs work on the world's
*canonical* JSON and tagged edit dicts, never on its Python classes, so they depend only on
the seed's interchange format that both worlds promise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Protocol

from proposers.base import ProposerError
from proposers.tokenize.grammar import Grammar
from proposers.tokenize.vocab import Vocab


class UntokenizableError(ValueError):
    """A true delta the closed vocabulary cannot express (e.g. a value outside the config).

    Training-set builders skip such examples and count them; they never reach a model.
    """


class WorldCodec(Protocol):
    world_name: str
    vocab: Vocab
    grammar: Grammar

    def prompt(self, state: Any, action: Any) -> list[int]:
        """`<bos> state action <gen>` as ids (unknown values become `<unk>`)."""
        ...

    def target(self, state: Any, action: Any, delta: Sequence[Any]) -> list[int]:
        """The delta's ids followed by `<eos>`; raises UntokenizableError."""
        ...

    def parse(self, ids: Sequence[int]) -> tuple[Any, ...]:
        """A grammar-complete id sequence (with or without `<eos>`) as the world's edits."""
        ...


def vocab_fingerprint(vocab: Vocab) -> str:
    """A short digest of the token list: part of every weight-cache key."""
    blob = json.dumps(list(vocab.tokens), separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def codec_for(world: Any) -> WorldCodec:
    """The codec for `world`, built from its config (a typed error for an unknown world)."""
    name = getattr(world, "name", None)
    if name == "network":
        from proposers.tokenize.network import NetworkCodec

        return NetworkCodec.from_world(world)
    if name == "filesystem":
        from proposers.tokenize.filesystem import FilesystemCodec

        return FilesystemCodec.from_world(world)
    raise ProposerError(f"no token codec for world {name!r} (known: filesystem, network)")
