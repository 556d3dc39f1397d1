"""The graph + RSSM proposer (network world); torch is imported only from here down."""

from proposers.graph_rssm.proposer import GraphRSSMProposer
from proposers.registry import register_proposer

register_proposer("graph_rssm", GraphRSSMProposer)

__all__ = ["GraphRSSMProposer"]
