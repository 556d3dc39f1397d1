"""The graph + RSSM proposer (network world); torch is imported only from here down."""

from proposers.graph_rssm.proposer import GraphRSSMProposer

__all__ = ["GraphRSSMProposer"]
