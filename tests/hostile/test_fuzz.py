"""Fuzzing the input paths: whatever a user types, a clear refusal, quickly, and no row.

Hypothesis draws hostile edits of a valid document (any value at any path, known or not:
huge and negative integers, NaN, NUL, long text, nesting, wrong types, unknown keys), raw
byte damage to its text, and hostile command-line arguments. The properties:

- `check_file` never raises: it returns the schema's `HypothesisError`s, one line each,
  naming the file, within a time bound;
- a document it accepts is storable as it is (the ledger's own input checks take it);
- `run` on a directory holding a refused file exits 2 and leaves the ledger as it was;
- any other command with hostile arguments exits 0, 1 or 2, never with a traceback, and a
  refusal is one line.

Examples are bounded (this is in the default suite): a few dozen per property, no example
database, no deadline from Hypothesis itself (the time bound is asserted explicitly, so a slow
example fails with its duration rather than as flaky).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hostile_docs import doc, dumps, put
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from engine.cli.app import app
from engine.experiments.catalog import build_catalog
from hypotheses import Catalog, HypothesisError, check_file
from ledger import Ledger

runner = CliRunner()
BOUND_S = 10.0

FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

PATHS: list[tuple[str | int, ...]] = [
    ("id",),
    ("title",),
    ("world",),
    ("experiment",),
    ("priority",),
    ("estimated_trial_seconds",),
    ("tags",),
    ("parent",),
    ("colour",),
    ("world_config",),
    ("world_config", "hosts"),
    ("world_config", "ports"),
    ("world_config", "colour"),
    ("params",),
    ("params", "steps"),
    ("params", "rho"),
    ("params", "driver"),
    ("params", "train_driver"),
    ("params", "train_trajectories"),
    ("params", "train_seeds"),
    ("params", "train_steps"),
    ("params", "nosuch"),
    ("grid",),
    ("grid", "rho"),
    ("grid", "driver"),
    ("grid", "steps"),
    ("arms",),
    ("arms", "null", "proposer"),
    ("arms", "null", "params"),
    ("arms", "null", "params", "d_model"),
    ("arms", "null", "overrides"),
    ("arms", "null", "overrides", "rho"),
    ("arms", "ghost"),
    ("seeds", "initial"),
    ("seeds", "extra"),
    ("effect", "metric"),
    ("effect", "kind"),
    ("effect", "control"),
    ("decision", "direction"),
    ("decision", "threshold"),
    ("decision", "confidence"),
    ("decision", "equivalence"),
    ("decision", "nosuch"),
    ("levers", 0, "set"),
    ("levers", 0, "set", "params.driver"),
    ("levers", 0, "set", "seeds.initial"),
    ("levers", 0, "when"),
    ("levers", 1),
]

_scalars = st.one_of(
    st.integers(),
    st.sampled_from([2**63, 2**63 - 1, -(2**63) - 1, 2**64, 10**30, -1, 0, 1, 100_000]),
    st.integers(min_value=-(10**999), max_value=10**999),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=20),
    st.sampled_from(
        ["", "\x00", "weighted", "nosuch", "oracle", "graph_rssm", "llm", "x" * 20_000, "a/b"]
    ),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=16,
)


def _big(kind: str) -> Any:
    """Values too large for a pre-registration, made cheaply."""
    if kind == "long-list":
        return list(range(60_000))
    if kind == "repeats":
        return [i % 7 for i in range(9_000)]
    if kind == "deep":
        value: Any = 1
        for _ in range(40):
            value = {"a": value}
        return value
    return [[i / 100 for i in range(100)] for _ in range(3)]


_edit_values = _values | st.sampled_from(["long-list", "repeats", "deep", "wide"]).map(_big)
_edits = st.lists(st.tuples(st.sampled_from(PATHS), _edit_values), min_size=1, max_size=4)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog()


def _edited(edits: list[tuple[tuple[str | int, ...], Any]]) -> dict[str, Any]:
    document = doc()
    for path, value in edits:
        put(document, path, value)
    return document


def _check(path: Path, catalog: Catalog) -> list[HypothesisError]:
    started = time.perf_counter()
    h, problems = check_file(path, catalog)
    elapsed = time.perf_counter() - started
    assert elapsed < BOUND_S, f"{elapsed:.1f}s for {path.name}"
    assert all(isinstance(p, HypothesisError) for p in problems)
    for p in problems:
        line = str(p)
        assert "\n" not in line and line.startswith(str(path)) and len(line) < 1000, line
    if not problems:
        assert h is not None
        _storable(h)
    return problems


def _storable(h: Any) -> None:
    """An accepted hypothesis passes the ledger's own input checks as it is."""
    from ledger.inputs import HypothesisIn, validated

    validated(
        HypothesisIn,
        content=h.canonical(),
        content_hash=h.content_hash,
        hypothesis_id=h.id,
        title=h.title,
    )


@FUZZ
@given(edits=_edits)
# A key holding a newline, under a value out of range: the field path must not break the line.
@example(edits=[(("id",), {"\n": 2**63})])
@example(edits=[(("params", 'a."b'), "x\x00\ty")])
def test_edited_documents_get_clear_errors(
    edits: list[tuple[tuple[str | int, ...], Any]], tmp_path: Path, catalog: Catalog
) -> None:
    path = tmp_path / "fuzz.toml"
    try:
        text = dumps(_edited(edits))
    except ValueError:  # an integer too long for str(): not a file anyone can write
        return
    path.write_text(text, encoding="utf-8")
    _check(path, catalog)


@FUZZ
@given(
    at=st.floats(min_value=0.0, max_value=1.0),
    cut=st.integers(min_value=0, max_value=40),
    junk=st.binary(max_size=40),
)
def test_damaged_bytes_get_clear_errors(
    at: float, cut: int, junk: bytes, tmp_path: Path, catalog: Catalog
) -> None:
    raw = dumps(doc()).encode("utf-8")
    i = int(at * len(raw))
    path = tmp_path / "damaged.toml"
    path.write_bytes(raw[:i] + junk + raw[i + cut :])
    _check(path, catalog)


def _snapshot(url: str) -> dict[str, Any]:
    with Ledger(url) as ledger:
        return dict(ledger.export())


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger(url) as ledger:
        ledger.start_run(code_version="test", host="here")
    return url


@settings(FUZZ, max_examples=12)
@given(edits=_edits, budget=st.sampled_from(["1m", "90s", "15", "0s", "1h1h"]))
def test_refused_run_writes_no_row(
    edits: list[tuple[tuple[str | int, ...], Any]],
    budget: str,
    tmp_path_factory: pytest.TempPathFactory,
    catalog: Catalog,
) -> None:
    folder = tmp_path_factory.mktemp("fuzz-run")
    path = folder / "fuzz.toml"
    try:
        path.write_text(dumps(_edited(edits)), encoding="utf-8")
    except ValueError:
        return
    problems = _check(path, catalog)
    if not problems:
        return  # an accepted file would really run: not this property's business
    url = f"sqlite:///{folder / 'ledger.db'}"
    with Ledger(url) as ledger:
        ledger.start_run(code_version="test", host="here")
    before = _snapshot(url)
    result = runner.invoke(
        app, ["run", "--budget", budget, "--hypotheses", str(folder), "--ledger", url]
    )
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert _snapshot(url) == before


_arg = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "postgresql://u:p@h:notaport/x",
            "sqlite://:memory:",
            "sqlite:///:memory:",
            "sqlite://",
            "sqlite:///file:x?mode=memory&uri=true",
            "sqlite:////nonexistent/dir/l.db",
            "nosuchdb://x",
            "99999999999999999999999",
            "²",
            "%",
            "-1",
            "",
        ]
    ),
)
_commands = st.sampled_from(
    [
        ["ledger", "show", "{a}", "--ledger", "{L}"],
        ["ledger", "lineage", "{a}", "--ledger", "{L}"],
        ["ledger", "trials", "--hypothesis", "{a}", "--status", "{b}", "--ledger", "{L}"],
        ["ledger", "runs", "--ledger", "{a}"],
        ["ledger", "verdicts", "--ledger", "{a}", "--format", "{b}"],
        ["ledger", "export", "--ledger", "{L}", "--out", "{a}"],
        ["replay", "{a}", "--ledger", "{L}"],
        ["run", "--budget", "{a}", "--workers", "{b}", "--hypotheses", "{B}", "--ledger", "{L}"],
        ["run", "--budget", "1m", "--ledger", "{a}", "--hypotheses", "{B}"],
        ["hypotheses", "validate", "{a}"],
        ["hypotheses", "list", "--hypotheses", "{a}", "--format", "{b}"],
        ["ui", "--port", "{a}"],
    ]
)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@settings(FUZZ, max_examples=30)
@given(command=_commands, a=_arg, b=_arg)
def test_hostile_arguments_never_trace_back(
    command: list[str], a: str, b: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("fuzz-cli")
    url = f"sqlite:///{root / 'ledger.db'}"
    with Ledger(url) as ledger:
        ledger.start_run(code_version="test", host="here")
    bad = root / "bad"
    bad.mkdir()
    (bad / "bad.toml").write_text("id = [")
    if "\x00" in a + b:  # no argv can carry a NUL
        return
    if command[0] == "ui" and _number(a):
        return  # a valid port would really start a server
    if command[0] == "ledger" and command[1] == "export" and a.strip() and not a.startswith("-"):
        a = str(root / "out" / a.replace("/", "_"))  # keep writes inside the temp dir
    args = [
        part.format(a=a, b=b, L=url, B=str(bad)) if part.startswith("{") else part
        for part in command
    ]
    before = _snapshot(url)
    result = runner.invoke(app, args, env={"VERISIM_HOME": str(root / "home")})
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert result.exit_code in (0, 1, 2), (args, result.output)
    assert "Traceback" not in result.output
    if result.exit_code == 2 and args[0] != "hypotheses":
        assert result.stderr.count("\n") <= 1, (args, result.stderr)
    assert _snapshot(url) == before
