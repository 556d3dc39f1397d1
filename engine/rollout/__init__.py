"""The rollout loop: propose a delta, consult the oracle within a budget, verify, correct.

`loop` runs one rollout; `policies` decide when to consult (fixed rate, uncertainty, drift);
`operators` say what a consultation repairs; `oracle_decides` is the rollout in which the
oracle supplies every edit an observation decides and the model only the residual (H24).
All pure functions of their inputs and seeds.
"""
