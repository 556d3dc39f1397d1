"""The codec for a world, chosen by the world's name.

The protocol every codec satisfies and the errors they share live in
`proposers.tokenize.interface`; this module only dispatches, so it may import every codec.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from proposers.base import ProposerError
from proposers.tokenize.filesystem import FilesystemCodec
from proposers.tokenize.interface import WorldCodec
from proposers.tokenize.network import NetworkCodec
from proposers.tokenize.vocab import Vocab


def vocab_fingerprint(vocab: Vocab) -> str:
    """A short digest of the token list: part of every weight-cache key."""
    blob = json.dumps(list(vocab.tokens), separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def codec_for(world: Any) -> WorldCodec:
    """The codec for `world`, built from its config (a typed error for an unknown world)."""
    name = getattr(world, "name", None)
    if name == "network":
        return NetworkCodec.from_world(world)
    if name == "filesystem":
        return FilesystemCodec.from_world(world)
    raise ProposerError(f"no token codec for world {name!r} (known: filesystem, network)")
