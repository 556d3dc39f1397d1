"""A closed, ordered vocabulary: the token ids a learned proposer reads and writes.

The vocabulary is built deterministically from the world's configuration (hosts, ports, names,
content words, ...), so two processes that build it from the same config agree on every id and
a cached model's weights stay meaningful. Tokens carry a class prefix (`host:h0`, `port:80`)
so that a value that is legal in two roles never collides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType


class VocabError(ValueError):
    """A token that the vocabulary does not hold, or a malformed vocabulary definition."""


PAD = "<pad>"
BOS = "<bos>"
EOS = "<eos>"
UNK = "<unk>"


@dataclass(frozen=True)
class Vocab:
    """Tokens in id order plus named token classes (the leaves of the delta grammar).

    `<unk>` exists only on the input side: a prompt may mention a value outside the closed
    world config (a user-typed host or port), but the grammar never lets a model emit it.
    """

    tokens: tuple[str, ...]
    classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _ids: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids: dict[str, int] = {}
        for i, tok in enumerate(self.tokens):
            if tok in ids:
                raise VocabError(f"duplicate token {tok!r} in vocabulary")
            ids[tok] = i
        for name, members in self.classes.items():
            missing = [m for m in members if m not in ids]
            if missing:
                raise VocabError(f"class {name!r} names tokens not in the vocabulary: {missing}")
        object.__setattr__(self, "_ids", MappingProxyType(ids))
        object.__setattr__(self, "classes", MappingProxyType(dict(self.classes)))

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def id(self, token: str) -> int:
        """The id of `token`; a token outside the vocabulary is a typed error."""
        try:
            return self._ids[token]
        except KeyError:
            raise VocabError(f"token {token!r} is not in the vocabulary") from None

    def id_or_unk(self, token: str) -> int:
        """The id of `token`, or of `<unk>` (prompt side only)."""
        return self._ids.get(token, self._ids[UNK])

    def token(self, idx: int) -> str:
        if not 0 <= idx < len(self.tokens):
            raise VocabError(f"token id {idx} is outside the vocabulary of {len(self.tokens)}")
        return self.tokens[idx]

    def class_ids(self, name: str) -> frozenset[int]:
        """The ids of one named class (e.g. `host`), for grammar masks."""
        try:
            return frozenset(self._ids[t] for t in self.classes[name])
        except KeyError:
            raise VocabError(f"no token class {name!r}") from None

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.id(t) for t in tokens]

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.token(i) for i in ids]


def build_vocab(groups: Sequence[tuple[str, Sequence[str]]]) -> Vocab:
    """Concatenate named groups in order; each group also becomes a token class."""
    tokens: list[str] = []
    classes: dict[str, tuple[str, ...]] = {}
    for name, members in groups:
        tokens.extend(members)
        classes[name] = tuple(members)
    return Vocab(tuple(tokens), classes)
