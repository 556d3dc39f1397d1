"""The SPEC-4 ratchet proper: the engine proposes, gates and keeps configurations itself.

A `config_search` file names a proposer, a base configuration and a space of knobs; the
search then runs generation after generation, each a pure function of the ledger's history
and the search seed:

- `space`: the knob space (values, neighbours, sampling) and the refusal of candidates that
  leave it or touch the judge (`screen`).
- `gate`: the sealed evaluation cells (a secret under the data directory; only its digest is
  ever written down), the `SealedGate` (screen + scoring trial; `GATES`), and the
  `config_search` experiment kind that scores one candidate on them.
- `seams`: the protocols of SPEC-4 §3 (`Controller`, `Gate`), the history a controller may
  read (`SearchView`), and the fixed keep rule (`keep_if_better`).
- `controllers`: `coordinate`, `evolutionary`, `bandit`, `optuna`; `llm_policy` the `llm`
  controller (prompt, reply parsing, the deterministic stub used in tests); `registry` all of
  them by name (`CONTROLLERS`, `get_controller`).
- `driver`: the search against the ledger: settle finished candidates under the keep rule,
  propose the next generation, hand out its trials (idempotent, so kill -9 resumes).
- `confirm`: the confirmation hypothesis a finished search pre-registers (best vs base on
  fresh evaluation seeds, replicated over fresh model seeds: a two-level bootstrap verdict),
  so the search's claim is verdicted by the same statistics as any file.
- `compare`: the `search_compare` experiment kind (a whole small search as one trial), for
  hypotheses about controllers (AR3 / AR4) verdicted over search seeds.
- `checks`: the load-time check of a `[search]` table against the registries.
"""
