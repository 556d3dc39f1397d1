"""The one JSON form that content hashes are taken over.

Pre-registration means "this exact science, fixed before the first trial": the hash must not
move with whitespace, key order or comments, and must move with any change of a value. Sorted
keys, compact separators, UTF-8 as is, and no NaN/Infinity (which JSON cannot round-trip).
The ledger recomputes the same digest to refuse a row whose hash does not match its content.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(obj: Any) -> str:
    """Serialize `obj` canonically (raises ValueError on NaN/Infinity)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def content_digest(obj: Any) -> str:
    """sha256 hex of `canonical_json(obj)`."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


def sorted_tree(obj: Any) -> Any:
    """A deep copy of a JSON-like tree with every mapping's keys in sorted order."""
    if isinstance(obj, dict):
        return {k: sorted_tree(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list | tuple):
        return [sorted_tree(v) for v in obj]
    return obj
