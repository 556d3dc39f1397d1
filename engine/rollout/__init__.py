"""The rollout loop: propose a delta, consult the oracle within a budget, verify, correct.

`loop` runs one rollout; `policies` decide when to consult (fixed rate, uncertainty, drift);
`operators` say what a consultation repairs. All pure functions of their inputs and seeds.
"""
