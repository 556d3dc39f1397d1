"""The delta grammar as an LL(1) pushdown automaton, for constrained decoding.

Why a grammar and not post-hoc repair: if every token a model emits is drawn from the set the
automaton allows, the finished sequence parses by construction, so a learned proposer can be
*wrong* but never *malformed*. The caps (`max_edits`, `max_run`) only ever force a token that
is itself legal (the delta terminator, a run's closer), so they bound the output length
without breaking that guarantee.

Rules are named so the top-level delta can recurse (`DELTA -> op args DELTA | <eos>`):

- `Leaf(ids)`: exactly one token from `ids`.
- `Run(ids, closer)`: any number of tokens from `ids`, then `closer` (path segments, words).
- `Choice(alternatives)`: the first token picks the alternative (LL(1)); the rest of the
  alternative (names of rules) is pushed. A `counted` choice counts each non-empty alternative
  as one edit, and once `max_edits` is reached only its empty alternatives stay legal.

`max_tokens` bounds the whole sentence: a token is allowed only if the sentence can still be
completed within the budget (each rule's shortest completion is precomputed), so a decode
under any model ends, and parses, within `max_tokens` tokens: there is no failure path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class GrammarError(ValueError):
    """A token the automaton does not allow here, or a malformed grammar definition."""


@dataclass(frozen=True)
class Leaf:
    ids: frozenset[int]


@dataclass(frozen=True)
class Run:
    ids: frozenset[int]
    closer: int


@dataclass(frozen=True)
class Choice:
    alternatives: Mapping[int, tuple[str, ...]]
    counted: bool = False


Rule = Leaf | Run | Choice


@dataclass(frozen=True)
class Grammar:
    """Named rules plus the start rule; validated once so decoding never meets a dangling name."""

    rules: Mapping[str, Rule]
    start: str
    _terminators: Mapping[str, frozenset[int]] = field(init=False, repr=False, compare=False)
    _shortest: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.start not in self.rules:
            raise GrammarError(f"start rule {self.start!r} is not defined")
        terminators: dict[str, frozenset[int]] = {}
        for name, rule in self.rules.items():
            if isinstance(rule, Leaf) and not rule.ids:
                raise GrammarError(f"rule {name!r} allows no token")
            if isinstance(rule, Run) and rule.closer in rule.ids:
                raise GrammarError(f"rule {name!r}: the closer must not also be a run item")
            if isinstance(rule, Choice):
                if not rule.alternatives:
                    raise GrammarError(f"rule {name!r} has no alternatives")
                for tok, rest in rule.alternatives.items():
                    for sym in rest:
                        if sym not in self.rules:
                            raise GrammarError(
                                f"rule {name!r}, alternative {tok}: undefined rule {sym!r}"
                            )
                ends = frozenset(t for t, rest in rule.alternatives.items() if not rest)
                if rule.counted and not ends:
                    raise GrammarError(f"counted rule {name!r} needs an empty alternative")
                terminators[name] = ends
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))
        object.__setattr__(self, "_terminators", MappingProxyType(terminators))
        object.__setattr__(self, "_shortest", MappingProxyType(self._shortest_completions()))

    def _shortest_completions(self) -> dict[str, int]:
        """Fewest tokens that complete each rule (a fixed point; recursion is fine)."""
        inf = 1 << 30
        best = dict.fromkeys(self.rules, inf)
        changed = True
        while changed:
            changed = False
            for name, rule in self.rules.items():
                if isinstance(rule, Leaf | Run):
                    n = 1
                else:
                    n = min(1 + sum(best[s] for s in rest) for rest in rule.alternatives.values())
                if n < best[name]:
                    best[name], changed = n, True
        bad = [name for name, n in best.items() if n >= inf]
        if bad:
            raise GrammarError(f"rules {bad} can never complete")
        return best

    def shortest(self, names: list[str] | tuple[str, ...]) -> int:
        return sum(self._shortest[n] for n in names)

    def state(
        self, *, max_edits: int = 64, max_run: int = 256, max_tokens: int | None = None
    ) -> GrammarState:
        return GrammarState(self, max_edits=max_edits, max_run=max_run, max_tokens=max_tokens)

    def accepts(
        self,
        ids: list[int],
        *,
        max_edits: int = 64,
        max_run: int = 256,
        max_tokens: int | None = None,
    ) -> bool:
        """Whether `ids` is one complete sentence (used to validate training targets)."""
        st = self.state(max_edits=max_edits, max_run=max_run, max_tokens=max_tokens)
        for tok in ids:
            if st.done or tok not in st.allowed():
                return False
            st.advance(tok)
        return st.done


class GrammarState:
    """One decode in progress: the automaton's stack and its cap counters."""

    __slots__ = (
        "edits", "emitted", "grammar", "max_edits", "max_run", "max_tokens", "run_len", "stack",
    )  # fmt: skip

    def __init__(
        self, grammar: Grammar, *, max_edits: int, max_run: int, max_tokens: int | None = None
    ) -> None:
        if max_edits < 0 or max_run < 0:
            raise GrammarError("max_edits and max_run must be >= 0")
        if max_tokens is not None and max_tokens < grammar.shortest([grammar.start]):
            raise GrammarError(f"max_tokens={max_tokens} cannot hold even the shortest sentence")
        self.grammar = grammar
        self.max_edits = max_edits
        self.max_run = max_run
        self.max_tokens = max_tokens
        self.stack: list[str] = [grammar.start]
        self.edits = 0
        self.run_len = 0
        self.emitted = 0

    @property
    def done(self) -> bool:
        return not self.stack

    def _capped(self) -> bool:
        rule = self.grammar.rules[self.stack[-1]]
        if isinstance(rule, Run):
            return self.run_len >= self.max_run
        if isinstance(rule, Choice) and rule.counted:
            return self.edits >= self.max_edits
        return False

    def _rule_allowed(self) -> frozenset[int]:
        name = self.stack[-1]
        rule = self.grammar.rules[name]
        capped = self._capped()
        if isinstance(rule, Leaf):
            return rule.ids
        if isinstance(rule, Run):
            return frozenset({rule.closer}) if capped else rule.ids | {rule.closer}
        if capped:
            return self.grammar._terminators[name]
        return frozenset(rule.alternatives)

    def allowed(self) -> frozenset[int]:
        """The tokens legal now (and, under `max_tokens`, still completable in budget)."""
        if not self.stack:
            raise GrammarError("the sentence is complete: nothing more is allowed")
        base = self._rule_allowed()
        if self.max_tokens is None:
            return base
        left = self.max_tokens - self.emitted - 1  # tokens left after this one
        below = self.stack[:-1]
        rule = self.grammar.rules[self.stack[-1]]
        g = self.grammar
        if isinstance(rule, Leaf):
            return base if g.shortest(below) <= left else frozenset()
        if isinstance(rule, Run):
            if g.shortest(self.stack) <= left:
                return base
            return frozenset({rule.closer})
        return frozenset(
            t for t in base if g.shortest(below) + g.shortest(rule.alternatives[t]) <= left
        )

    def advance(self, tok: int) -> None:
        if tok not in self.allowed():
            raise GrammarError(f"token {tok} is not allowed by rule {self.stack[-1]!r}")
        name = self.stack[-1]
        rule = self.grammar.rules[name]
        self.emitted += 1
        if isinstance(rule, Leaf):
            self.stack.pop()
        elif isinstance(rule, Run):
            if tok == rule.closer:
                self.stack.pop()
                self.run_len = 0
            else:
                self.run_len += 1
        else:
            self.stack.pop()
            rest = rule.alternatives[tok]
            if rule.counted and rest:
                self.edits += 1
            self.stack.extend(reversed(rest))
