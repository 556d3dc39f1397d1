"""Validation errors that say where (file, field) and why, in one line.

A pre-registration that does not validate must be rejected *before* anything of it reaches the
ledger, and the person who wrote it has to be able to fix it from the message alone: so every
problem carries the file, the dotted field and the reason, and `str()` is a single line that a
CLI can print as is.
"""

from __future__ import annotations

from collections.abc import Iterable

from .limits import clip, one_line


class HypothesisError(ValueError):
    """One problem in one hypothesis file (or in a hypothesis built in memory).

    `file` is the path as given (or `"<memory>"`), `field` the dotted path of the offending
    field (`""` when the problem concerns the whole file, e.g. bad TOML), `reason` the human
    explanation (cut to a few hundred characters: a message lists what is wrong, not the
    whole file).
    """

    def __init__(self, file: str, field: str, reason: str) -> None:
        self.file = one_line(file)
        self.field = one_line(field)
        self.reason = clip(one_line(reason))
        super().__init__(self._line())

    def _line(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.reason}"

    def __reduce__(self) -> tuple[type[HypothesisError], tuple[str, str, str]]:
        # Keep the three attributes when the error crosses a process boundary (pickling).
        return (type(self), (self.file, self.field, self.reason))


class HypothesisErrors(HypothesisError):
    """Several problems at once (a directory with several bad files, or a file with several
    bad fields), so `verisim-engine hypotheses validate` can list them all in one pass.

    It is itself a `HypothesisError` whose file/field/reason are those of the first problem,
    so callers that only catch `HypothesisError` still get a useful first line.
    """

    def __init__(self, errors: Iterable[HypothesisError]) -> None:
        self.errors: tuple[HypothesisError, ...] = tuple(errors)
        if not self.errors:
            raise ValueError("HypothesisErrors needs at least one error")
        first = self.errors[0]
        super().__init__(first.file, first.field, first.reason)

    def __str__(self) -> str:
        if len(self.errors) == 1:
            return str(self.errors[0])
        lines = [f"{len(self.errors)} problems:"] + [f"  {e}" for e in self.errors]
        return "\n".join(lines)

    def __reduce__(self) -> tuple[type[HypothesisErrors], tuple[tuple[HypothesisError, ...]]]:  # type: ignore[override]
        return (type(self), (self.errors,))
