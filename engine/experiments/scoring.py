"""One-step scores that are defined for every proposer, whatever its internals.

**token_accuracy** (our definition, for every proposer): a delta is serialized as the world's
tagged edit dicts, and each edit contributes the field tokens `(op)` and `(op, field, value)` for
each of its fields (nested dicts such as a filesystem node flatten to `node.type`, ...). The
score is the fraction of the TRUE delta's field tokens that the prediction reproduces, counted
as a multiset (an edit the prediction repeats earns its tokens once per true occurrence), order
free. A true delta with no tokens scores 1.0 against an empty prediction and 0.0 otherwise. It is
a recall: an extra predicted edit costs nothing here (`delta_exact` and `bits_to_correct` charge
for it). It gives partial credit for a right edit with one wrong field, which is the point of a
token-level score. It is NOT the learned proposers' teacher-forced next-token accuracy; a
proposer may report that only under another name.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from hypotheses import canonical_json
from worlds.base import World


def mean_or_zero(values: Sequence[float]) -> float:
    """The exact (fsum) mean of per-step scores; 0.0 for a trial with no steps to score."""
    return math.fsum(values) / len(values) if values else 0.0


def _flat(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _flat(f"{prefix}.{key}" if prefix else str(key), value[key])
    else:
        yield prefix, canonical_json(value)


def field_tokens(world: World[Any, Any], delta: Sequence[Any]) -> Counter[tuple[str, ...]]:
    """The multiset of field tokens of a delta (see the module note)."""
    tokens: Counter[tuple[str, ...]] = Counter()
    for edit in world.delta_to_dicts(delta):
        op = str(edit.get("op", ""))
        tokens[(op,)] += 1
        for field, value in _flat("", {k: v for k, v in edit.items() if k != "op"}):
            tokens[(op, field, value)] += 1
    return tokens


def token_accuracy(world: World[Any, Any], pred: Sequence[Any], true: Sequence[Any]) -> float:
    truth = field_tokens(world, true)
    total = sum(truth.values())
    if total == 0:
        return 1.0 if not pred else 0.0
    hits = sum((truth & field_tokens(world, pred)).values())
    return hits / total
