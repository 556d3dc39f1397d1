"""The judge: fact-set divergence, bits-to-correct and delta-exact for the network world.

Facts F(s): `("up", h, bool)` per host (the value is part of the fact, so an up/down flip
counts twice in a symmetric difference), `("svc", h, p)`, `("fw", h, src)`, `("link", a, b)`
(sorted pair), `("flow", s, d, p)`, and the global `("\\x00clock", c)`, `("\\x00exit", e)`
(NUL-prefixed so no host id can collide with them). Divergence is
|F(a) △ F(b)| / (|F(a)| + |F(b)|): in [0, 1], 0 iff the states are equal, symmetric.

`divergence` does not build the fact sets: it walks the two states side by side and skips
everything they share by identity (successive states share almost everything), which gives
the same number as the definition (a property test holds it to `facts`).

Bits-to-correct counts both deltas as multisets of edits; each unmatched copy costs its
symbols (op + fields) times 6 bits. Edits compare structurally and link edits are stored
sorted, so the count is the seed's multiset-of-JSON-keys count without its argument-order
quirk.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from worlds.network.edits import NetEdit, edit_symbols, require_edits
from worlds.network.state import NetState

BITS_PER_SYMBOL = math.log2(64)

Fact = tuple[object, ...]


def facts(state: NetState) -> frozenset[Fact]:
    out: list[Fact] = []
    for h, hs in state._hosts.items():
        out.append(("up", h, hs.up))
        out.extend(("svc", h, p) for p in hs.services)
        out.extend(("fw", h, s) for s in hs.fw_deny)
    out.extend(("link", a, b) for a, b in state.links)
    out.extend(("flow", s, d, p) for s, d, p in state._flows)
    out.append(("\x00clock", state._clock))
    out.append(("\x00exit", state._last_exit))
    return frozenset(out)


def _sorted_diff(x: tuple[object, ...], y: tuple[object, ...]) -> int:
    if x == y:
        return 0
    return len(set(x) ^ set(y))


def symmetric_difference_size(a: NetState, b: NetState) -> int:
    """|F(a) △ F(b)| without materializing either fact set."""
    n = 0
    ha, hb = a._hosts, b._hosts
    if ha is not hb:
        for h, x in ha.items():
            y = hb.get(h)
            if y is x:
                continue
            if y is None:
                n += 1 + len(x.services) + len(x.fw_deny)
                continue
            if x.up != y.up:
                n += 2
            n += _sorted_diff(x.services, y.services) + _sorted_diff(x.fw_deny, y.fw_deny)
        for h, y in hb.items():
            if h not in ha:
                n += 1 + len(y.services) + len(y.fw_deny)
    aa, ab = a._adj, b._adj
    if aa is not ab:
        empty: frozenset[str] = frozenset()
        for h in aa.keys() | ab.keys():
            na, nb = aa.get(h, empty), ab.get(h, empty)
            if na is not nb and na != nb:
                # Each differing link (h, v) is counted once, at its smaller endpoint.
                n += sum(1 for v in na ^ nb if h <= v)
    fa, fb = a._flows, b._flows
    if fa is not fb:
        n += len(fa ^ fb)
    if a._clock != b._clock:
        n += 2
    if a._last_exit != b._last_exit:
        n += 2
    return n


def divergence(a: NetState, b: NetState) -> float:
    if a is b:
        return 0.0
    denom = a.fact_count + b.fact_count
    return symmetric_difference_size(a, b) / denom if denom else 0.0


def _counts(delta: Sequence[NetEdit], what: str) -> Counter[NetEdit]:
    require_edits(delta, what)
    return Counter(delta)


def correction_symbols(pred: Sequence[NetEdit], true: Sequence[NetEdit]) -> int:
    """Symbols of the multiset residual between the predicted and the true delta."""
    cp, ct = _counts(pred, "pred"), _counts(true, "true")
    total = 0
    for edit in cp.keys() | ct.keys():
        residual = abs(cp[edit] - ct[edit])
        if residual:
            total += residual * edit_symbols(edit)
    return total


def bits_to_correct(pred: Sequence[NetEdit], true: Sequence[NetEdit]) -> float:
    """6 bits per residual symbol; 0.0 iff the deltas are equal as multisets."""
    return correction_symbols(pred, true) * BITS_PER_SYMBOL


def delta_exact(pred: Sequence[NetEdit], true: Sequence[NetEdit]) -> bool:
    return _counts(pred, "pred") == _counts(true, "true")
