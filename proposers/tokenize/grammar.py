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

    def state(self, *, max_edits: int = 64, max_run: int = 256) -> GrammarState:
        return GrammarState(self, max_edits=max_edits, max_run=max_run)

    def accepts(self, ids: list[int], *, max_edits: int = 64, max_run: int = 256) -> bool:
        """Whether `ids` is one complete sentence (used to validate training targets)."""
        st = self.state(max_edits=max_edits, max_run=max_run)
        for tok in ids:
            if st.done or tok not in st.allowed():
                return False
            st.advance(tok)
        return st.done


class GrammarState:
    """One decode in progress: the automaton's stack and its cap counters."""

    __slots__ = ("_cache", "edits", "grammar", "max_edits", "max_run", "run_len", "stack")

    def __init__(self, grammar: Grammar, *, max_edits: int, max_run: int) -> None:
        if max_edits < 0 or max_run < 0:
            raise GrammarError("max_edits and max_run must be >= 0")
        self.grammar = grammar
        self.max_edits = max_edits
        self.max_run = max_run
        self.stack: list[str] = [grammar.start]
        self.edits = 0
        self.run_len = 0

    @property
    def done(self) -> bool:
        return not self.stack

    def mode(self) -> tuple[str, bool]:
        """A hashable key of the current allowed set (rule name, capped?): masks cache on it."""
        if not self.stack:
            raise GrammarError("the sentence is complete: nothing more is allowed")
        name = self.stack[-1]
        rule = self.grammar.rules[name]
        if isinstance(rule, Run):
            return name, self.run_len >= self.max_run
        if isinstance(rule, Choice) and rule.counted:
            return name, self.edits >= self.max_edits
        return name, False

    def allowed(self) -> frozenset[int]:
        name, capped = self.mode()
        rule = self.grammar.rules[name]
        if isinstance(rule, Leaf):
            return rule.ids
        if isinstance(rule, Run):
            return frozenset({rule.closer}) if capped else rule.ids | {rule.closer}
        if capped:
            return self.grammar._terminators[name]
        return frozenset(rule.alternatives)

    def advance(self, tok: int) -> None:
        if tok not in self.allowed():
            raise GrammarError(f"token {tok} is not allowed by rule {self.stack[-1]!r}")
        name = self.stack[-1]
        rule = self.grammar.rules[name]
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
