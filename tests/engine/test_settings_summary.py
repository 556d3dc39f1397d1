"""Settings resolve in a stated order and keep Prefect inside the data dir; the summary and
artifacts say the same thing; batches are split so workers are not left idle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.ratchet.scheduler import split_for_workers
from engine.reporting.artifacts import artifact_key, summary_markdown, verdict_table
from engine.reporting.summary import VERDICT_FIELDS, RunSummary
from engine.settings import (
    SettingsError,
    apply_prefect_environment,
    check_ledger_url,
    data_paths,
    resolve_ledger_url,
)


def test_ledger_url_precedence(tmp_path: Path) -> None:
    env = {"VERISIM_HOME": str(tmp_path / "h")}
    assert resolve_ledger_url(None, env) == f"sqlite:///{tmp_path / 'h' / 'ledger.db'}"
    env["VERISIM_LEDGER_URL"] = "sqlite:///from-env.db"
    assert resolve_ledger_url(None, env) == "sqlite:///from-env.db"
    assert resolve_ledger_url("postgresql+psycopg://u@h/db", env) == "postgresql+psycopg://u@h/db"
    assert data_paths({}).home == Path(".verisim").resolve()


def test_ledger_url_checks(tmp_path: Path) -> None:
    assert check_ledger_url(f"sqlite:///{tmp_path / 'x.db'}").get_backend_name() == "sqlite"
    with pytest.raises(SettingsError, match="no ledger at"):
        check_ledger_url(f"sqlite:///{tmp_path / 'x.db'}", must_exist=True)
    with pytest.raises(SettingsError, match="unknown database"):
        check_ledger_url("oracle9://x")
    check_ledger_url("postgresql+psycopg://user@localhost:5432/db")  # parses; not opened here


def test_prefect_environment_stays_in_the_data_dir(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    values = apply_prefect_environment(data_paths({"VERISIM_HOME": str(tmp_path)}), environ)
    assert environ["PREFECT_HOME"] == str(tmp_path / "prefect") and (tmp_path / "prefect").is_dir()
    assert environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert "PREFECT_API_URL" not in values


def summary() -> RunSummary:
    return RunSummary(
        run_id=3,
        status="budget_exhausted",
        budget_seconds=900.0,
        elapsed_seconds=899.0,
        correction="holm",
        trials={"finished": 10, "failed": 0, "cut": 1, "reused": 4},
        verdicts=[
            {
                "hypothesis": "H1",
                "hash": "a" * 64,
                "cell": "rho=0.1",
                "outcome": "confirmed",
                "adjusted": "inconclusive",
                "estimate": 1.5,
                "ci_low": 1.0,
                "ci_high": 2.0,
                "adjusted_ci_low": None,
                "adjusted_ci_high": 2.5,
                "adjusted_alpha": 0.025,
                "n": 5,
                "method": "exact sign-flip",
                "p": 0.03125,
                "adjusted_p": 0.0625,
                "correction": "holm over 2 (H1)",
            },
            {
                "hypothesis": "H2",
                "hash": "b" * 64,
                "cell": "",
                "outcome": "confirmed",
                "adjusted": None,
                "estimate": 0.5,
                "ci_low": 0.2,
                "ci_high": 0.7,
                "adjusted_ci_low": None,
                "adjusted_ci_high": None,
                "adjusted_alpha": None,
                "n": 8,
                "method": "exact sign-flip",
                "p": 0.004,
                "adjusted_p": None,
                "correction": None,
            },
        ],
        concluded=[{"hypothesis": "H1", "line": "confirmed"}],
        children=[{"parent": "H1", "child": "H1/more", "when": "more"}],
        passed_over={"H9": "needs ~2000s for 40 trials, 10s left"},
    )


def test_summary_text_and_markdown_agree() -> None:
    s = summary()
    text = s.text()
    assert "run 3: budget_exhausted after 14m59s of 15m" in text
    # The decisive (adjusted) outcome leads, with the interval at the level it used; the raw
    # outcome stands beside it; a member of an incomplete family says so.
    assert (
        "H1 [rho=0.1]: inconclusive  effect 1.5 CI [-inf, 2.5] at alpha 0.025 "
        "(holm over 2 (H1)), n=5; raw confirmed p=0.0312"
    ) in text
    assert "H2: awaiting its family (raw confirmed p=0.004)" in text and "H9: needs" in text
    md = summary_markdown(s)
    assert (
        "| H1 | rho=0.1 | inconclusive | 1.5 | [-inf, 2.5] | 0.025 | holm over 2 (H1) "
        "| confirmed | 0.0312 | 5 |"
    ) in md
    assert "| H2 | - | awaiting family |" in md
    assert "H1 → **H1/more**" in md
    assert RunSummary.from_dict(s.to_dict()) == s
    row = verdict_table(s.verdicts)[0]
    assert list(row)[:4] == ["hypothesis", "cell", "adjusted", "estimate"]
    assert list(row) == list(VERDICT_FIELDS)
    assert artifact_key("verdict-H8/replicate x") == "verdict-h8-replicate-x"


@dataclass(frozen=True)
class Req:
    """What split_for_workers reads of a trial request: its key (the seed, here)."""

    n: int

    @property
    def key(self) -> str:
        return str(self.n)


def reqs(ns: Iterable[int]) -> list[Req]:
    return [Req(n) for n in ns]


def ns(split: list[list[Any]]) -> list[list[int]]:
    return [[r.n for r in b] for b in split]


def test_split_for_workers_keeps_every_trial_once() -> None:
    batches = [reqs(range(0, 8)), reqs(range(8, 10))]
    split = ns(split_for_workers(batches, 4))  # type: ignore[arg-type]
    assert len(split) >= 4
    assert sorted(x for b in split for x in b) == list(range(10))
    assert split_for_workers(batches, 1) == batches  # type: ignore[arg-type]
    assert ns(split_for_workers([reqs([1])], 8)) == [[1]]  # type: ignore[list-item]


def test_split_for_workers_balances_unequal_arms_longest_first() -> None:
    # an expensive arm (10 s a trial) and a cheap one (1 s), eight seeds each, two workers
    slow, fast = list(range(0, 8)), list(range(100, 108))
    cost = {**dict.fromkeys(slow, 10.0), **dict.fromkeys(fast, 1.0)}
    estimates = {str(n): c for n, c in cost.items()}
    split = ns(split_for_workers([reqs(slow), reqs(fast)], 2, estimates))  # type: ignore[list-item]
    assert sorted(x for b in split for x in b) == sorted(slow + fast)
    loads = [sum(cost[x] for x in b) for b in split]
    assert loads == sorted(loads, reverse=True)  # longest first
    assert max(loads) <= sum(loads) / 2  # no batch exceeds one worker's share
    assert all(b == sorted(b) for b in split)  # seeds stay in order within a piece
    assert len(split) <= 8  # at most four batches per worker


@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=6),
    workers=st.integers(1, 6),
)
def test_split_for_workers_is_a_partition(sizes: list[int], workers: int) -> None:
    batches, start = [], 0
    for n in sizes:
        batches.append(reqs(range(start, start + n)))
        start += n
    estimates = {str(n): float(n % 3 + 1) for n in range(start)}
    split = ns(split_for_workers(batches, workers, estimates))  # type: ignore[arg-type]
    assert sorted(x for b in split for x in b) == list(range(start))
    assert len(split) >= min(workers, start) or all(len(b) == 1 for b in split)
    assert len(split) <= max(len(batches), 4 * workers)


@dataclass(frozen=True)
class ModelReq:
    """A trial of one arm read on evaluation seed `seed` with the model fitted by `model_seed`."""

    arm: str
    model_seed: int
    seed: int

    @property
    def key(self) -> str:
        return f"{self.arm}/{self.model_seed}/{self.seed}"


def _arm(arm: str, models: int = 6, seeds: int = 2) -> list[ModelReq]:
    # `plan_trials` order: for each model seed, every evaluation seed
    return [ModelReq(arm, m, s) for m in range(models) for s in range(seeds)]


def _makespan(batches: list[list[ModelReq]], cost: dict[str, float], workers: int) -> float:
    """Greedy list scheduling, as the dispatch queue hands batches out: the next batch in
    order goes to whichever worker frees first."""
    free = [0.0] * workers
    for b in batches:
        i = free.index(min(free))
        free[i] += sum(cost[r.key] for r in b)
    return max(free)


def test_a_split_never_fits_one_model_twice() -> None:
    """Two arms x 6 model seeds x 2 held-out sets on 2 workers: each arm is cut into halves
    at model boundaries, so no model seed's trials land in two batches of one arm."""
    split = split_for_workers([_arm("residual"), _arm("likelihood")], 2)  # type: ignore[arg-type]
    assert len(split) == 4 and sorted(len(b) for b in split) == [6, 6, 6, 6]
    for arm in ("residual", "likelihood"):
        holders = {
            m: {i for i, b in enumerate(split) for r in b if (r.arm, r.model_seed) == (arm, m)}
            for m in range(6)
        }
        assert all(len(h) == 1 for h in holders.values())  # each model in one batch
        assert len(set().union(*holders.values())) == 2  # the arm is in two batches
    # one model seed only: no boundary keeps it whole, so the batch is not cut
    one_model = [ModelReq("a", 0, s) for s in range(8)]
    assert split_for_workers([one_model], 2) == [one_model]  # type: ignore[list-item]


def test_pieces_of_half_a_share_absorb_a_wrong_estimate() -> None:
    """Both arms carry the same estimate, but one arm's models were fitted by an earlier file
    (1 s a trial) and the other fits them (the first trial of each model seed 60 s). With a
    whole share per batch one worker ran the expensive arm alone (the EN8-residual-horizon
    run did); with half a share the free worker takes half of it."""
    fit, cached = _arm("fit"), _arm("cached")
    cost = {r.key: (60.0 if r.seed == 0 else 1.0) for r in fit} | {r.key: 1.0 for r in cached}
    estimates = dict.fromkeys(cost, 10.0)
    split = split_for_workers([fit, cached], 2, estimates)  # type: ignore[arg-type]
    whole_share = [fit, cached]
    assert _makespan(split, cost, 2) <= 0.55 * _makespan(whole_share, cost, 2)
