"""Reading hypothesis files and directories, reporting every problem with file, field, reason.

A file is checked in three layers: TOML syntax, structure (the models), then names against
the catalog and every `set` lever (each is derived once, so a lever whose child would be
invalid is caught at pre-registration, not hours into a run). A directory adds what one file
cannot know: duplicate ids and levers whose `next` names no registered hypothesis.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from .catalog import Catalog, known
from .derive import derive_child
from .errors import HypothesisError, HypothesisErrors
from .limits import MAX_DEPTH, MAX_FILE_BYTES
from .model import Hypothesis
from .power import power_field, power_problem
from .validate import hypothesis_problems

_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def _read_text(path: Path, file: str) -> str:
    """The file's text, read only if it is a regular file of a sane size.

    The file is opened without blocking and checked on the open descriptor (not on the name,
    which could change in between): a FIFO named `*.toml` would otherwise block forever, and
    a link to `/dev/zero` would be read until memory runs out.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise HypothesisError(file, "", "no such file") from None
    except OSError as exc:
        raise HypothesisError(file, "", f"cannot read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise HypothesisError(file, "", "not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise HypothesisError(
                file, "", f"file of {info.st_size} bytes (at most {MAX_FILE_BYTES})"
            )
        try:
            raw = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise HypothesisError(file, "", f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise HypothesisError(file, "", f"file larger than {MAX_FILE_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HypothesisError(file, "", f"not UTF-8 text (byte {exc.start})") from None


def _read_toml(path: Path, file: str) -> dict[str, Any]:
    text = _read_text(path, file)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        pos = _TOML_POS.search(message)
        detail = _TOML_POS.sub("", message).strip()
        where = f" at line {pos.group(1)}, column {pos.group(2)}" if pos else ""
        raise HypothesisError(file, "", f"invalid TOML{where}: {detail}") from None
    except RecursionError:
        # The same words as the depth limit's (`limits.py`): whether the parser itself runs
        # out of stack first depends on the process's recursion limit, not on the file.
        raise HypothesisError(
            file, "", f"invalid TOML: nested more than {MAX_DEPTH} levels deep"
        ) from None
    except ValueError as exc:  # e.g. an integer literal too long for int()
        raise HypothesisError(file, "", f"invalid TOML: {exc}") from None


def _file_level(h: Hypothesis, file: str) -> list[HypothesisError]:
    """What a registered file may not claim (both are the engine's to set on children)."""
    problems = []
    if "/" in h.id:
        problems.append(
            HypothesisError(file, "id", "a file's id may not contain '/' (children only)")
        )
    if h.parent is not None:
        problems.append(
            HypothesisError(file, "parent", "set by the engine on derived children only")
        )
    return problems


def _lever_problems(
    h: Hypothesis, catalog: Catalog, file: str
) -> tuple[list[HypothesisError], list[HypothesisError]]:
    """Children that cannot be derived; else children whose seeds could never decide."""
    problems: list[HypothesisError] = []
    children: list[HypothesisError] = []
    for i, lever in enumerate(h.levers):
        if lever.set_ is None:
            continue
        try:
            child = derive_child(h, lever, catalog=catalog, file=file)
        except HypothesisErrors as many:
            problems.extend(many.errors)
            continue
        except HypothesisError as one:
            problems.append(one)
            continue
        weak = power_problem(child)  # a child is its own family
        if weak is not None:
            said = f"the child's {weak}" if child.search is None else f"the child search: {weak}"
            children.append(HypothesisError(file, f"levers[{i}].set", said))
    return problems, children


def check_file(
    path: str | Path, catalog: Catalog
) -> tuple[Hypothesis | None, list[HypothesisError]]:
    """The hypothesis (when it parses) and every problem found in one file."""
    file = str(path)
    try:
        data = _read_toml(Path(path), file)
    except HypothesisError as exc:
        return None, [exc]
    h, problems = hypothesis_problems(data, file=file, catalog=catalog)
    if h is None:
        return None, problems
    problems = _file_level(h, file) + problems
    if problems:
        return h, problems
    structural, weak_children = _lever_problems(h, catalog, file)
    if structural:
        return h, structural
    weak = power_problem(h)  # the file's own power first, then its children's
    if weak is not None:
        return h, [HypothesisError(file, power_field(h), weak)]
    return h, weak_children


def load_hypothesis(path: str | Path, catalog: Catalog) -> Hypothesis:
    """One validated file; raises the first `HypothesisError` found (one line)."""
    h, problems = check_file(path, catalog)
    if problems:
        raise problems[0]
    assert h is not None
    return h


def hypothesis_files(directory: str | Path) -> list[Path]:
    """The files a directory holds as hypotheses: `*.toml`, hidden ones (`.name`) excluded.

    The one definition every command uses (validate, list, run, provenance), so they agree on
    what a directory contains. Entries that are not regular files are listed too: reading them
    is refused with a reason, rather than skipping them silently.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise HypothesisError(str(folder), "", "no such directory")
    return sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))


def _scan(
    directory: str | Path, catalog: Catalog
) -> tuple[list[Hypothesis], list[HypothesisError]]:
    problems: list[HypothesisError] = []
    loaded: list[tuple[Path, Hypothesis]] = []
    for path in hypothesis_files(directory):
        h, found = check_file(path, catalog)
        problems += found
        if h is not None and not found:
            loaded.append((path, h))
    first_file: dict[str, Path] = {}
    unique: list[tuple[Path, Hypothesis]] = []
    for path, h in loaded:
        if h.id in first_file:
            problems.append(
                HypothesisError(
                    str(path), "id", f"duplicate id {h.id!r} (also in {first_file[h.id]})"
                )
            )
            continue
        first_file[h.id] = path
        unique.append((path, h))
    for path, h in unique:
        for i, lever in enumerate(h.levers):
            if lever.next is not None and lever.next not in first_file:
                problems.append(
                    HypothesisError(
                        str(path),
                        f"levers[{i}].next",
                        f"unknown hypothesis id {lever.next!r} {known(first_file)}",
                    )
                )
    problems += _family_problems(unique)
    hypotheses = sorted((h for _, h in unique), key=lambda h: (h.priority, h.id))
    return hypotheses, problems


def _family_problems(files: list[tuple[Path, Hypothesis]]) -> list[HypothesisError]:
    """A shared family: one alpha for all, and every member able to decide within it."""
    shared: dict[str, list[tuple[Path, Hypothesis]]] = {}
    for path, h in files:
        if h.decision.family is not None:
            shared.setdefault(h.decision.family, []).append((path, h))
    problems: list[HypothesisError] = []
    for name, members in sorted(shared.items()):
        levels = sorted({h.decision.confidence for _, h in members})
        if len(levels) > 1:
            problems.append(
                HypothesisError(
                    str(members[0][0]),
                    "decision.confidence",
                    f"family {name!r} mixes confidence levels {levels}: one alpha per family",
                )
            )
            continue
        size = sum(len(h.cells()) for _, h in members)
        for path, h in members:
            weak = power_problem(h, size)
            if weak is not None:
                problems.append(HypothesisError(str(path), power_field(h), weak))
    return problems


def validate_directory(directory: str | Path, catalog: Catalog) -> list[HypothesisError]:
    """Every problem in every `*.toml` file of `directory` (empty list: all valid)."""
    try:
        return _scan(directory, catalog)[1]
    except HypothesisError as exc:
        return [exc]


def load_directory(directory: str | Path, catalog: Catalog) -> list[Hypothesis]:
    """All hypotheses of `directory`, sorted by (priority, id).

    Raises `HypothesisErrors` listing every problem when any file is bad: a registry is
    pre-registered as a whole or not at all.
    """
    hypotheses, problems = _scan(directory, catalog)
    if problems:
        raise HypothesisErrors(problems)
    return hypotheses
