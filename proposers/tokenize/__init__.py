"""Closed vocabularies, tokenizers and delta grammars of the worlds (pure Python, no torch)."""

from proposers.tokenize.codec import codec_for
from proposers.tokenize.grammar import Grammar, GrammarError, GrammarState
from proposers.tokenize.interface import UntokenizableError, WorldCodec
from proposers.tokenize.vocab import Vocab, VocabError

__all__ = [
    "Grammar",
    "GrammarError",
    "GrammarState",
    "UntokenizableError",
    "Vocab",
    "VocabError",
    "WorldCodec",
    "codec_for",
]
