"""Judging: from per-seed metrics to verdicts a methods reviewer would sign.

`stats` holds the numerical rules (paired bootstrap CIs via scipy.stats, exact sign-flip
p-values, the decision rule, Holm / Benjamini-Hochberg); `verdicts` applies them to one
hypothesis version's cells and to its correction family.
"""
