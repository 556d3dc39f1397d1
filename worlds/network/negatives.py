"""OG2: the hard-negative factory. Exact wrong successors, free from the oracle.

Two sources of negatives for a transition `(s, a) -> s' = O(s, a)`:

* **one-edit-wrong successors**: every Hamming-1 neighbour of s' in fact space (toggle one
  host's up bit, one service, one firewall deny, one link, one flow). They are the nearest
  possible misses, so a contrastive learner that separates them has learnt the facts. At N
  hosts and P ports there are N + NP + N(N-1) + N(N-1)/2 + N(N-1)P of them, far too many to
  build at scale, so they are addressed by index in one canonical order (the upstream's:
  up, svc, fw, link, flow; hosts and ports in config order) and only the sampled ones are
  built. Sampling indices with `rng.sample(range(count), k)` draws the same indices as
  sampling the materialised list would.
* **counterfactual branches**: `(a', O(s, a'))` for other actions a' at the same state: what
  the world would have done instead. Upstream used a fixed set of 11 actions on h0/h1/p0
  whatever the world size (`fixed_branch_actions`, kept for comparison); `world_branch_actions`
  samples arguments over all hosts and ports with a set that grows with the world
  (`per_command` draws of each command, interleaved across commands so that truncating to k
  keeps a cross-section of commands instead of dropping the last ones).

Every negative differs from the truth (a flip changes exactly one fact; branches are kept only
when their successor differs), and branch successors are the oracle's own. Pure functions of
their arguments and the `random.Random` handed in.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from worlds.network.actions import COMMANDS, NetAction, parse_action
from worlds.network.apply import apply
from worlds.network.config import NetConfig
from worlds.network.edits import (
    FlowClose,
    FlowOpen,
    FwAllow,
    FwDeny,
    HostDown,
    HostUp,
    LinkAdd,
    LinkDel,
    NetEdit,
    SvcDown,
    SvcUp,
)
from worlds.network.metrics import divergence
from worlds.network.oracle import step
from worlds.network.state import NetState

DEFAULT_BRANCH_SCALE = 25
"""`world_branch_actions` draws `ceil(N / 25)` of each command: 11 branches up to 25 hosts."""


@dataclass(frozen=True, slots=True)
class FlipSpace:
    """The one-edit neighbourhood of states over one config, addressed by index."""

    hosts: tuple[str, ...]
    ports: tuple[int, ...]

    @classmethod
    def of(cls, config: NetConfig) -> FlipSpace:
        return cls(config.hosts, config.ports)

    @property
    def _sizes(self) -> tuple[int, int, int, int, int]:
        n, p = len(self.hosts), len(self.ports)
        return n, n * p, n * (n - 1), n * (n - 1) // 2, n * (n - 1) * p

    def __len__(self) -> int:
        return sum(self._sizes)

    def _ordered_pair(self, k: int) -> tuple[str, str]:
        """k-th (a, b) with a != b, a-major."""
        n = len(self.hosts)
        i, r = divmod(k, n - 1)
        j = r if r < i else r + 1
        return self.hosts[i], self.hosts[j]

    def _unordered_pair(self, k: int) -> tuple[str, str]:
        """k-th (a, b) with index(a) < index(b), a-major."""
        n = len(self.hosts)
        # row i starts at offset(i) = i * (2n - i - 1) / 2; find the last row starting <= k
        lo, hi = 0, n - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if mid * (2 * n - mid - 1) // 2 <= k:
                lo = mid
            else:
                hi = mid - 1
        i = lo
        j = i + 1 + (k - i * (2 * n - i - 1) // 2)
        return self.hosts[i], self.hosts[j]

    def edit(self, state: NetState, index: int) -> NetEdit:
        """The edit that toggles fact number `index` of the neighbourhood in `state`."""
        if not 0 <= index < len(self):
            raise IndexError(f"flip index {index} out of range [0, {len(self)})")
        n_up, n_svc, n_fw, n_link, _ = self._sizes
        hosts = state._hosts
        if index < n_up:
            h = self.hosts[index]
            rec = hosts.get(h)
            return HostDown(h) if rec is None or rec.up else HostUp(h)
        index -= n_up
        if index < n_svc:
            i, j = divmod(index, len(self.ports))
            h, port = self.hosts[i], self.ports[j]
            rec = hosts.get(h)
            on = rec is not None and port in rec.services
            return SvcDown(h, port) if on else SvcUp(h, port)
        index -= n_svc
        if index < n_fw:
            h, src = self._ordered_pair(index)
            rec = hosts.get(h)
            denied = rec is not None and src in rec.fw_deny
            return FwAllow(h, src) if denied else FwDeny(h, src)
        index -= n_fw
        if index < n_link:
            a, b = self._unordered_pair(index)
            return LinkDel(a, b) if b in state.neighbours(a) else LinkAdd(a, b)
        index -= n_link
        pair, j = divmod(index, len(self.ports))
        src, dst = self._ordered_pair(pair)
        flow = (src, dst, self.ports[j])
        return FlowClose(*flow) if flow in state.flows else FlowOpen(*flow)

    def flip(self, state: NetState, index: int) -> NetState:
        """`state` with fact number `index` toggled."""
        return apply(state, (self.edit(state, index),))


def one_edit_negatives(
    truth: NetState,
    config: NetConfig,
    limit: int | None = None,
    rng: random.Random | None = None,
) -> list[NetState]:
    """Hamming-1 neighbours of `truth`: all (no limit), a random `limit` (with rng), or the
    first `limit` in canonical order (upstream's three modes)."""
    space = FlipSpace.of(config)
    count = len(space)
    if limit is None:
        indices: Sequence[int] = range(count)
    elif rng is not None:
        indices = rng.sample(range(count), min(limit, count))
    else:
        indices = range(min(limit, count))
    return [space.flip(truth, i) for i in indices]


def fixed_branch_actions(config: NetConfig) -> list[NetAction]:
    """Upstream's fixed counterfactual set: each command once on h0, h1 and the first port."""
    h0, h1 = config.hosts[0], config.hosts[1]
    p0 = config.ports[0]
    args = {
        "host_up": f"{h0}",
        "host_down": f"{h0}",
        "link_up": f"{h0} {h1}",
        "link_down": f"{h0} {h1}",
        "svc_up": f"{h0} {p0}",
        "svc_down": f"{h0} {p0}",
        "fw_deny": f"{h0} {h1}",
        "fw_allow": f"{h0} {h1}",
        "connect": f"{h0} {h1} {p0}",
        "close": f"{h0} {h1} {p0}",
    }
    return [parse_action(f"{c} {args[c]}" if c in args else c) for c in COMMANDS]


def per_command_for(n_hosts: int, scale: int = DEFAULT_BRANCH_SCALE) -> int:
    """How many draws of each command a world of `n_hosts` gets: ceil(N / scale), >= 1."""
    if scale < 1:
        raise ValueError(f"branch scale must be >= 1, got {scale}")
    return max(1, math.ceil(n_hosts / scale))


def world_branch_actions(
    state: NetState, config: NetConfig, rng: random.Random, per_command: int
) -> list[NetAction]:
    """`per_command` draws of every command (advance once) over all hosts and ports,
    round-robin across commands. `close` picks an open flow when the state has one, so it is
    a real intervention rather than an almost-certain failure."""
    hosts, ports = config.hosts, config.ports
    flows = sorted(state.flows)
    out: list[NetAction] = []
    for r in range(per_command):
        for command in COMMANDS:
            if command == "advance":
                if r == 0:
                    out.append(parse_action("advance"))
                continue
            if command in ("host_up", "host_down"):
                text = f"{command} {rng.choice(hosts)}"
            elif command in ("svc_up", "svc_down"):
                text = f"{command} {rng.choice(hosts)} {rng.choice(ports)}"
            elif command == "close" and flows:
                src, dst, port = rng.choice(flows)
                text = f"close {src} {dst} {port}"
            elif command in ("connect", "close"):
                a, b = rng.sample(hosts, 2)
                text = f"{command} {a} {b} {rng.choice(ports)}"
            else:
                a, b = rng.sample(hosts, 2)
                text = f"{command} {a} {b}"
            out.append(parse_action(text))
    return out


def counterfactual_branches(
    state: NetState, actions: Sequence[NetAction]
) -> list[tuple[NetAction, NetState]]:
    """`(a', O(s, a'))` for every action: the oracle's own successors."""
    return [(a, step(state, a).state) for a in actions]


def distinct_branches(
    branches: Sequence[tuple[NetAction, NetState]],
) -> list[tuple[NetAction, NetState]]:
    """The branches whose successor differs from every successor kept before it."""
    kept: list[tuple[NetAction, NetState]] = []
    seen: set[NetState] = set()
    for action, succ in branches:
        if succ not in seen:
            seen.add(succ)
            kept.append((action, succ))
    return kept


def is_hard_negative(candidate: NetState, truth: NetState) -> bool:
    return divergence(candidate, truth) > 0.0


def mine_negatives(
    truth: NetState,
    branches: Sequence[tuple[NetAction, NetState]],
    config: NetConfig,
    k: int,
    rng: random.Random,
) -> list[NetState]:
    """Exactly k wrong successors: branch successors that differ from the truth first (in
    branch order, repeats allowed), topped up with random one-edit neighbours."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    out = [succ for _, succ in branches if succ != truth][:k]
    if len(out) < k:
        out.extend(one_edit_negatives(truth, config, k - len(out), rng))
    return out


__all__ = [
    "DEFAULT_BRANCH_SCALE",
    "FlipSpace",
    "counterfactual_branches",
    "distinct_branches",
    "fixed_branch_actions",
    "is_hard_negative",
    "mine_negatives",
    "one_edit_negatives",
    "per_command_for",
    "world_branch_actions",
]
