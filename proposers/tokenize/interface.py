"""What a learned proposer needs of a world's token interface: the codec protocol and its errors.

A codec turns (state, action) into prompt ids, a true delta into target ids, and decoded ids
back into the world's own edits (`world.delta_from_dicts`). Codecs work on the world's
*canonical* JSON and tagged edit dicts, never on its Python classes, so they depend only on
the seed's interchange format that both worlds promise.

This module is the piece every codec shares; it imports no codec, so the per-world codecs and
the dispatcher (`proposers.tokenize.codec.codec_for`) can all import it without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def world_attr(world: Any, name: str) -> Any:
    """A config value from the world itself or its `config` object (whichever carries it).

    Codecs read their closed vocabularies (hosts, ports, name pools) from the world's config,
    never from states, so the vocabulary is fixed before any data is seen.
    """
    if hasattr(world, name):
        return getattr(world, name)
    for holder in ("config", "vocab"):
        config = getattr(world, holder, None)
        if config is not None and hasattr(config, name):
            return getattr(config, name)
        if isinstance(config, Mapping) and name in config:
            return config[name]
    raise ProposerError(f"world {getattr(world, 'name', world)!r} exposes no {name!r} config")
