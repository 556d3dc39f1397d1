"""Bad input: one clear line on stderr, a non-zero exit, no traceback, the ledger untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.cli.app import app
from ledger import Ledger

DATA = Path(__file__).resolve().parents[1] / "data" / "hypotheses"
runner = CliRunner()


@pytest.fixture
def existing_ledger(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    with Ledger(url) as ledger:
        ledger.start_run(code_version="test", host="here")
    return url, path


def snapshot(url: str) -> dict[str, object]:
    with Ledger(url) as ledger:
        data = ledger.export()
    return data


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("bad_missing_field", "claim: required field is missing"),
        ("bad_unknown_proposer", "unknown proposer 'nosuch'"),
        ("bad_lever_path", "no arm 'ghost'"),
        ("bad_toml", "invalid TOML at line 10"),
        ("bad_sealed_seeds", "train_seeds [100001] are outside [0, 100000)"),
        ("bad_param_value", "parameter 'rho' must be in [0, 1], got 2.0"),
        ("bad_undecidable", "seeds.initial: 3 paired seeds can never reach a decision"),
        ("bad_undecidable", "the smallest n that could decide is 5"),
    ],
)
def test_malformed_hypothesis_files(
    case: str, expected: str, existing_ledger: tuple[str, Path]
) -> None:
    url, _ = existing_ledger
    before = snapshot(url)
    result = runner.invoke(
        app, ["run", "--budget", "1m", "--hypotheses", str(DATA / case), "--ledger", url]
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr
    assert case in result.stderr  # the file is named
    assert result.stdout == ""
    assert snapshot(url) == before


@pytest.mark.parametrize(
    ("budget", "ledger_url", "expected"),
    [
        ("15", None, "is not a duration"),
        ("1h1h", None, "largest first"),
        ("0s", None, "longer than zero"),
        ("1m", "nosuchdb://x", "unknown database 'nosuchdb'"),
        ("1m", "sqlite:////nonexistent/dir/l.db", "does not exist"),
        ("1m", "not a url at all", "does not parse"),
    ],
)
def test_bad_budget_or_ledger_url(
    budget: str, ledger_url: str | None, expected: str, tmp_path: Path
) -> None:
    env = {"VERISIM_HOME": str(tmp_path / "home")}
    args = ["run", "--budget", budget, "--hypotheses", str(DATA / "planted")]
    if ledger_url is not None:
        args += ["--ledger", ledger_url]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr
    assert not (tmp_path / "home" / "ledger.db").exists()


def test_bad_runner_options_are_one_line(existing_ledger: tuple[str, Path]) -> None:
    url, _ = existing_ledger
    for extra in (["--workers", "0"], ["--runner", "threads"], ["--correction", "bonferroni"]):
        result = runner.invoke(
            app,
            [
                "run",
                "--budget",
                "1m",
                "--ledger",
                url,
                "--hypotheses",
                str(DATA / "planted"),
                *extra,
            ],
        )
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, extra


def test_validate_lists_every_problem_and_exits_2() -> None:
    result = runner.invoke(
        app, ["hypotheses", "validate", str(DATA / "bad_toml" / "bad_toml.toml")]
    )
    assert result.exit_code == 2 and "invalid TOML" in result.stderr
    ok = runner.invoke(app, ["hypotheses", "validate", str(DATA / "planted")])
    assert ok.exit_code == 0 and "3 hypothesis file(s) valid" in ok.stdout


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "VERISIM_HOME": str(tmp_path)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine.cli",
            "run",
            "--budget",
            "1m",
            "--hypotheses",
            str(DATA / "bad_unknown_proposer"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "ledger.db").exists()


def test_an_unexpected_error_reaches_the_caller_as_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-line wrapper turns only Click's and Typer's own errors into one line; anything
    else (here a ledger failure mid-run) propagates unchanged, so its traceback names it."""
    import engine.cli.run as cli_run

    class Boom(RuntimeError):
        pass

    def fail(*args: object, **kwargs: object) -> None:
        raise Boom("the ledger broke")

    monkeypatch.setattr(cli_run, "execute_run", fail)
    with pytest.raises(Boom, match="the ledger broke"):
        app(["run", "--budget", "1m"], standalone_mode=True)
