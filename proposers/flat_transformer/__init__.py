"""The flat (serialize-everything) transformer proposer; torch is imported only from here down."""

from proposers.flat_transformer.proposer import FlatTransformerProposer
from proposers.registry import register_proposer

register_proposer("flat_transformer", FlatTransformerProposer)

__all__ = ["FlatTransformerProposer"]
