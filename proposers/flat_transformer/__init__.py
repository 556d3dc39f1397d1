"""The flat (serialize-everything) transformer proposer; torch is imported only from here down."""

from proposers.flat_transformer.proposer import FlatTransformerProposer

__all__ = ["FlatTransformerProposer"]
