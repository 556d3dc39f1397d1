"""Connected components of the live graph, kept incrementally from one state to the next.

Reachability (`connect`, the lazy drop at `advance`, the reachability matrix) needs "are these
two hosts connected over links whose endpoints both exist and are up?". A BFS per question
costs O(N + L) in Python, which at a few hundred hosts is the whole step budget many times
over. Instead each state carries a labelling `host -> component id` of its live hosts, derived
from its parent's labelling by the few topology events of the step:

* a link appears between two components: relabel the smaller one (union by size);
* a host comes up (or into existence): it joins every live neighbour's component;
* a link disappears or a live host goes down: the component *may* split. The endpoints (or
  the host's live neighbours) are searched from in lockstep, one node per search per round,
  and searches that meet are merged; as soon as a single group is left the rest of the
  component is known to be intact, so the cost is the size of the pieces cut off, not of the
  component (a dense component typically answers in a few rounds).

Labels are arbitrary integers, never exposed; only "same label?" is meaningful. The structure
is persistent: a `ComponentsBuilder` copies the two dicts on its first write and shares them
otherwise, so steps that do not touch topology share their parent's labelling outright.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping


class Components:
    """An immutable labelling of live hosts with component ids, plus component sizes."""

    __slots__ = ("label", "next_label", "size")

    def __init__(self, label: dict[str, int], size: dict[int, int], next_label: int) -> None:
        self.label = label
        self.size = size
        self.next_label = next_label

    def connected(self, a: str, b: str) -> bool:
        """Both live and in one component (a live host is connected to itself)."""
        la = self.label.get(a)
        return la is not None and la == self.label.get(b)


def build_components(live: Mapping[str, bool], adj: Mapping[str, frozenset[str]]) -> Components:
    """From scratch: BFS over live hosts (`live[h]` is True for an existing host that is up)."""
    label: dict[str, int] = {}
    size: dict[int, int] = {}
    nxt = 0
    for host, up in live.items():
        if not up or host in label:
            continue
        label[host] = nxt
        todo = [host]
        count = 1
        while todo:
            u = todo.pop()
            for v in adj.get(u, ()):
                if v not in label and live.get(v, False):
                    label[v] = nxt
                    count += 1
                    todo.append(v)
        size[nxt] = count
        nxt += 1
    return Components(label, size, nxt)


class ComponentsBuilder:
    """Applies topology events to a `Components`, copying its dicts on the first write.

    Each event is called *after* the graph change it describes has been made to `adj` (the
    adjacency over all stored links, live or not), and only when the change really happened
    (a link that was absent is now present, a live host went down, ...).
    """

    __slots__ = ("_label", "_next", "_owned", "_size")

    def __init__(self, base: Components) -> None:
        self._label = base.label
        self._size = base.size
        self._next = base.next_label
        self._owned = False

    def _own(self) -> None:
        if not self._owned:
            self._label = dict(self._label)
            self._size = dict(self._size)
            self._owned = True

    def freeze(self, base: Components) -> Components:
        """The result; `base` itself when nothing changed."""
        if not self._owned:
            return base
        return Components(self._label, self._size, self._next)

    def _fresh(self) -> int:
        self._next += 1
        return self._next - 1

    # --- events ------------------------------------------------------------------------------

    def link_added(self, adj: Mapping[str, frozenset[str]], a: str, b: str) -> None:
        la = self._label.get(a)
        lb = self._label.get(b)
        if la is not None and lb is not None and la != lb:
            self._merge(adj, a, la, b, lb)

    def link_removed(self, adj: Mapping[str, frozenset[str]], a: str, b: str) -> None:
        la = self._label.get(a)
        if a != b and la is not None and self._label.get(b) == la:
            self._split(adj, [a, b], la)

    def host_live(self, adj: Mapping[str, frozenset[str]], h: str) -> None:
        """`h` became up, or came into existence up."""
        self._own()
        mine = self._fresh()
        self._label[h] = mine
        self._size[mine] = 1
        for v in adj.get(h, ()):
            lv = self._label.get(v)
            mine = self._label[h]
            if lv is not None and lv != mine:
                self._merge(adj, h, mine, v, lv)

    def host_dead(self, adj: Mapping[str, frozenset[str]], h: str) -> None:
        """`h` was up and went down."""
        self._own()
        lh = self._label.pop(h)
        left = self._size[lh] - 1
        if left == 0:
            del self._size[lh]
            return
        self._size[lh] = left
        seeds = [v for v in adj.get(h, ()) if v != h and self._label.get(v) == lh]
        if len(seeds) >= 2:
            self._split(adj, seeds, lh)

    # --- union by size and the lockstep split search -----------------------------------------

    def _merge(self, adj: Mapping[str, frozenset[str]], a: str, la: int, b: str, lb: int) -> None:
        self._own()
        size = self._size
        if (size[la], -la) < (size[lb], -lb):
            a, la, b, lb = b, lb, a, la
        # `b`'s component is the smaller one: walk it (its nodes carry `lb`) and relabel.
        label = self._label
        label[b] = la
        todo = [b]
        while todo:
            u = todo.pop()
            for v in adj.get(u, ()):
                if label.get(v) == lb:
                    label[v] = la
                    todo.append(v)
        size[la] += size.pop(lb)

    def _split(self, adj: Mapping[str, frozenset[str]], seeds: list[str], comp: int) -> None:
        """`seeds` were all in `comp`; find the pieces the component fell into, if any."""
        self._own()
        label = self._label
        k = len(seeds)
        parent = list(range(k))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        owner: dict[str, int] = {}
        frontiers: list[deque[str]] = []
        reached: list[list[str]] = []  # nodes each search claimed, to collect a piece fast
        groups = k
        for i, s in enumerate(seeds):
            frontiers.append(deque())
            reached.append([])
            j = owner.get(s)
            if j is None:
                owner[s] = i
                frontiers[i].append(s)
                reached[i].append(s)
            else:
                parent[i] = find(j)
                groups -= 1
        finished: set[int] = set()
        while groups > 1:
            for i in range(k):
                fr = frontiers[i]
                if not fr:
                    continue
                u = fr.popleft()
                for v in adj.get(u, ()):
                    if label.get(v) != comp:
                        continue
                    j = owner.get(v)
                    if j is None:
                        owner[v] = i
                        fr.append(v)
                        reached[i].append(v)
                        continue
                    ri, rj = find(i), find(j)
                    if ri != rj:
                        parent[rj] = ri
                        groups -= 1
                if groups <= 1:
                    break
            if groups <= 1:
                break
            # A group whose searches have all run dry has found a whole component.
            roots = [find(i) for i in range(k)]
            running = {roots[i] for i in range(k) if frontiers[i]}
            for r in sorted(set(roots) - running - finished):
                finished.add(r)
                fresh = self._fresh()
                piece = [v for i in range(k) if roots[i] == r for v in reached[i]]
                for v in piece:
                    label[v] = fresh
                self._size[fresh] = len(piece)
                self._size[comp] -= len(piece)
                groups -= 1
                if groups <= 1:
                    break
