"""End to end in a real browser: a tiny run, then the Prefect UI shows it and its verdicts.

Headless Debian Chromium (no browser download) drives the UI that `verisim-engine ui` serves:
the flow run is listed, its page shows the trial task runs and the verdict artifacts, and the
run-summary artifact renders the verdict table and the H_eps(rho) plot. Screenshots go to the
test's temp dir, or to `$VERISIM_SCREENSHOTS` when set (how docs/img/ is refreshed).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cdp import BrowserUnavailable, Page, find_chromium, headless_page
from engine_ui import UIServer, run_engine, tiny_curve, ui_server

from ledger import Ledger, default_url

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UIServer]:
    try:
        find_chromium()
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
    home = tmp_path_factory.mktemp("verisim-home")
    hypotheses = tiny_curve(home / "hypotheses")
    with ui_server(home) as server:
        # A local multi-process Dask cluster carries the trials (`--runner dask`, no address).
        args = ["run", "--budget", "3m", "--hypotheses", str(hypotheses), "--no-progress"]
        done = run_engine(home, *args, "--runner", "dask", "--workers", "2")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "PLANT-curve" in done.stdout
        with Ledger(default_url(home)) as led:
            assert [r.runner for r in led.runs()] == ["dask-local[2]"]
        yield server


@pytest.fixture
def page() -> Iterator[Page]:
    with headless_page() as tab:
        yield tab


def _shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("VERISIM_SCREENSHOTS") or tmp_path)


def test_the_run_its_task_runs_and_verdict_artifacts_are_shown(
    served_run: UIServer, page: Page, tmp_path: Path
) -> None:
    (flow_run,) = served_run.api("/flow_runs/filter")
    assert flow_run["state_type"] == "COMPLETED"
    page.goto(f"{served_run.url}/runs")
    page.wait_for_text(flow_run["name"])
    listed = page.wait_for_text("research_run")  # the flow's name renders after the run's
    assert flow_run["name"] in listed
    page.goto(f"{served_run.url}/runs/flow-run/{flow_run['id']}")
    shown = page.wait_for_text("PLANT-curve[rho=0.5] oracle seeds 0,1,2")  # a trial task run
    assert "Completed" in shown and "research_run" in shown
    assert page.click_text("Artifacts")
    artifacts = page.wait_for_text("verdict-family")
    assert "verdict-plant-curve" in artifacts and "run-summary" in artifacts
    time.sleep(1.0)  # let the timeline finish drawing before the picture
    assert page.screenshot(_shots(tmp_path) / "prefect-ui-run.png").stat().st_size > 10_000


def test_the_summary_artifact_renders_the_table_and_the_plot(
    served_run: UIServer, page: Page, tmp_path: Path
) -> None:
    (summary,) = served_run.api(
        "/artifacts/filter", {"artifacts": {"key": {"any_": ["run-summary"]}}}
    )
    page.call(
        "Emulation.setDeviceMetricsOverride",
        width=1440,
        height=1500,
        deviceScaleFactor=1,
        mobile=False,
    )
    page.goto(f"{served_run.url}/artifacts/artifact/{summary['id']}")
    text = page.wait_for_text("decided within each pre-registered family")
    for cell in ("rho=0.0", "rho=0.5", "rho=1.0"):
        assert cell in text
    assert "confirmed" in text and "refuted" in text
    plots = page.evaluate(
        "Array.from(document.images)"
        ".filter(i => i.src.startsWith('data:image/png') && i.complete && i.naturalWidth > 0)"
        ".map(i => i.alt)"
    )
    assert plots == ["PLANT-curve-horizon-vs-rho"]
    time.sleep(0.5)
    assert page.screenshot(_shots(tmp_path) / "prefect-ui-verdicts.png").stat().st_size > 10_000
