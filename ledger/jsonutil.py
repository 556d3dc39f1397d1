"""JSON as the ledger stores it: canonical text, so equal content is equal bytes.

The ledger cannot import `hypotheses` (it stores plain values and sits at the end of the
import chain), so the canonical form is restated here; `tests/ledger` checks it agrees with
`hypotheses.content_digest`, which is what makes the ledger's hash check meaningful.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def dumps(obj: Any, *, allow_nan: bool = False) -> str:
    """Canonical JSON: sorted keys, compact separators, UTF-8 kept as is.

    `allow_nan=True` only for measured metrics, where an undefined value (NaN) is an honest
    result; pre-registered content and specs must be finite.
    """
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan
    )


def loads(text: str | None) -> Any:
    """Parse stored JSON (`None` stays `None`)."""
    return None if text is None else json.loads(text)


def digest(obj: Any) -> str:
    """sha256 hex of the canonical JSON of `obj` (the hypothesis content hash)."""
    return hashlib.sha256(dumps(obj).encode("utf-8")).hexdigest()


def trial_key(hypothesis_hash: str, cell_id: str, arm: str, seed: int, code_version: str) -> str:
    """A stable trial key from everything a trial's result depends on.

    Engines may compute their own key; this one is offered so that the same
    (hypothesis version, cell, arm, seed, code/oracle version) never runs twice.
    """
    return digest(
        {
            "arm": arm,
            "cell": cell_id,
            "code": code_version,
            "hypothesis": hypothesis_hash,
            "seed": seed,
        }
    )
