"""The ledger: the durable record of pre-registrations, runs, trials, verdicts and levers.

SQLModel tables over SQLAlchemy, schema managed by alembic (`ledger/migrations/`). Imports
neither worlds nor proposers (nor hypotheses): it stores plain values.

Public API (stable; the engine and CLI build on it):

- `Ledger(url, *, check_schema=True, auto_upgrade=None, clock=None, claim_policy=)`:
  any SQLAlchemy URL (`postgresql://` means psycopg 3). SQLite: WAL, busy timeout, foreign
  keys, writes in `BEGIN IMMEDIATE`, schema upgraded on open. Servers: a schema behind head
  raises `SchemaError` ("run `verisim-engine ledger upgrade`"). A bad URL raises one-line
  `LedgerError` and creates nothing.
  - `upgrade() -> revision`, `schema_revision()`, `close()` (also a context manager).
  - `register_hypothesis(h_canonical, content_hash, hypothesis_id, title, source_file,
    parent_hash=None, lever_id=None, depth=0) -> HypothesisVersion` (idempotent on hash;
    the hash must be the sha256 of the canonical JSON), `get_hypothesis(ref)`,
    `hypotheses(hypothesis_id=None)`, `lineage(hash_or_id)`.
  - `start_run(code_version=, host=, budget_seconds=, workers=, runner=, hypotheses_dir=,
    note=) -> RunRecord`, `heartbeat_run(run_id)`, `finish_run(run_id, status, summary)`,
    `get_run(run_id)`, `runs()`.
  - `claim_trial(key, hypothesis_hash=, cell_id=, arm=, seed=, spec=, run_id=, worker=,
    host=, code_hash=) -> bool` (stale by the ledger's one `ledger.claims.ClaimPolicy`),
    `enqueue_trial(..., code_hash=)`, `enqueue_trials([...]) -> int` (one transaction),
    `heartbeat_trial(key, worker)`, `finish_trial(key, metrics, duration_s, host)` (immutable
    once finished), `fail_trial(key, error)` (final: never claimed again),
    `crash_trial(key, reason)` (claimable again until `MAX_CRASHES` crashes; a stale claim
    counts as one), `mark_cut(keys, reason) -> int`, `get_trial(key)`,
    `finished_trials(hypothesis_hash)`, `trials(hypothesis=, status=, run_id=)`.
  - `write_verdict(record, recompute=False) -> VerdictRecord`: the judge's verdict record as
    it is (any object or mapping with `VerdictIn`'s fields; one current verdict per
    hypothesis version and cell; `recompute` supersedes), `annotate_verdict(id, adjusted)`
    (the family adjustment, stored once, never rewritten), `verdicts(current_only=True,
    hypothesis=, run_id=, outcome=)`.
  - `register_family(key=, name=, method=, alpha=, size=, members=, run_id=)` (members and
    size fixed at registration; a version belongs to one family), `families()`,
    `family_of(hash)`, `complete_family(key)`.
  - `add_lever(parent_hash=, lever_id=, when=, child_hash= | next_id=, verdict_id=,
    run_id=) -> LeverRecord` (idempotent on parent + lever id), `levers(parent_hash=None)`.
  - `get(ref)`: any row by `run:3`, `verdict:7`, `lever:2`, `trial:<key>`,
    `hypothesis:<hash|id>`, or a bare hypothesis id / hash / key / prefix (>= 4 chars) / run
    id. `export() -> dict` (everything, JSON-serializable).
  - `add_candidate(...)`, `add_candidates(rows)` (a generation, one transaction),
    `flag_candidate(id, recheck_key)`, `settle_candidate(id, ...)`,
    `candidates(search_hash=None, search_seed=None)`: configuration-search candidates
    (`search_ops`), one row per proposal slot, settled once.
- Records (frozen dataclasses, `.to_dict()`): `HypothesisVersion`, `RunRecord`,
  `TrialRecord`, `VerdictRecord`, `LeverRecord`, `FamilyRecord`, `SearchCandidate`; the input
  model `VerdictIn`.
- Errors: `LedgerError` (base, one line), `SchemaError`, `ImmutableTrialError`,
  `NotFoundError`.
- `default_url(data_dir)` -> `sqlite:///<data_dir>/ledger.db`; `trial_key(hypothesis_hash,
  cell_id, arm, seed, code_version)`; `upgrade(url)`; status/outcome tuples
  `RUN_STATUSES`, `TRIAL_STATUSES`, `OUTCOMES`; `MAX_CRASHES`. `TrialRecord.settled` says
  whether running a trial again is pointless (finished, failed, or crashed to the bound).
"""

from .claims import DEFAULT_CLAIM_POLICY, ClaimPolicy
from .connect import default_url
from .errors import ImmutableTrialError, LedgerError, NotFoundError, SchemaError
from .inputs import VerdictIn
from .jsonutil import trial_key
from .records import (
    FamilyRecord,
    HypothesisVersion,
    LeverRecord,
    Record,
    RunRecord,
    TrialRecord,
    VerdictRecord,
)
from .search_ops import SearchCandidate
from .store import Ledger
from .tables import MAX_CRASHES, OUTCOMES, RUN_STATUSES, TRIAL_STATUSES


def upgrade(url: str) -> str:
    """Bring the ledger at `url` to the head schema revision (for `ledger upgrade`)."""
    with Ledger(url, check_schema=False) as ledger:
        return ledger.upgrade()


__all__ = [
    "DEFAULT_CLAIM_POLICY",
    "MAX_CRASHES",
    "OUTCOMES",
    "RUN_STATUSES",
    "TRIAL_STATUSES",
    "ClaimPolicy",
    "FamilyRecord",
    "HypothesisVersion",
    "ImmutableTrialError",
    "Ledger",
    "LedgerError",
    "LeverRecord",
    "NotFoundError",
    "Record",
    "RunRecord",
    "SchemaError",
    "SearchCandidate",
    "TrialRecord",
    "VerdictIn",
    "VerdictRecord",
    "default_url",
    "trial_key",
    "upgrade",
]
