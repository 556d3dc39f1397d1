"""Judging: from per-seed metrics to verdicts a methods reviewer would sign.

`reference` builds the one distribution a cell's p-values and interval are both read from
(exact sign-flip; two-level bootstrap over model seeds); `stats` holds the decision rule, the
one-alpha convention and the family corrections (Holm / Benjamini-Hochberg, each member's
level); `families` says what a correction family is (pre-registered, fixed at registration);
`verdicts` applies them to one hypothesis version's cells and to its family, producing the
`CellVerdict` record the ledger stores as it is.
"""
