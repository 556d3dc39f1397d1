"""How many workers can the registry keep busy? The real scheduler on a simulated clock.

    .venv/bin/python bench/schedule_sim.py --ledger sqlite:///.verisim/ledger.db \
        [--hypotheses hypotheses/registry] [--workers 8 32 128] [--json]

For each worker count, the engine's own loop (`engine.ratchet.dispatch.drive`, with the real
`Ratchet` pre-registering, judging and pulling levers on a scratch ledger) runs the registry
twice on simulated workers: once with the old schedule (one version at a time, a barrier at
every version boundary) and once across versions. Nothing is timed on this machine: each
trial takes the duration recorded for it in `--ledger` (a ledger of an earlier real run on the
same registry) and returns the metrics recorded there, so verdicts and lever children are the
real ones. A trial the source ledger never finished takes the scheduler's own estimate for it
(`CostModel` over the source ledger: the version's, the file's, or its kind's timings) and has
no result, so its version gets no verdict and derives no children; the report counts those.
The budget is unlimited: the wall time is what the whole registry (as far as the source
ledger reaches) takes.

Reported per worker count and schedule: registry wall time, worker utilisation (time inside
batches over workers x wall), batches dispatched, versions judged.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.execution.trials import TrialRequest  # noqa: E402
from engine.experiments.catalog import build_catalog  # noqa: E402
from engine.ratchet.dispatch import drive  # noqa: E402
from engine.ratchet.registration import Ratchet, source_files  # noqa: E402
from engine.ratchet.simulation import SimClock, SimulatedBatches  # noqa: E402
from hypotheses import Hypothesis, load_directory  # noqa: E402
from ledger import Ledger  # noqa: E402

Key = tuple[str, str, str, int]
UNLIMITED = 1e12


@dataclass(frozen=True)
class SimResult:
    schedule: str
    workers: int
    wall_s: float
    utilisation: float
    batches: int
    judged: int
    versions: int
    trials: int
    without_result: int


class Recorded:
    """Durations and metrics of the source ledger's finished trials, and estimates for others."""

    def __init__(self, url: str, hypotheses: list[Hypothesis]) -> None:
        catalog = build_catalog()
        with Ledger(url) as source:
            self.trials = {
                (t.hypothesis_hash, t.cell_id, t.arm, t.seed): (float(t.duration_s or 0.0), t)
                for t in source.trials(status="finished")
            }
            # The scheduler's own cost model over the source ledger, for trials it lacks.
            ratchet = Ratchet(source, catalog, run_id=0)
            self.costs = ratchet.cost_model()
        durations = [d for d, _ in self.trials.values()]
        self.fallback = statistics.median(durations) if durations else 1.0
        self.missing: set[Key] = set()
        self.by_hash = {h.content_hash: h for h in hypotheses}

    @staticmethod
    def key(req: TrialRequest) -> Key:
        return (req.hypothesis_hash, req.cell_id, req.arm, req.seed)

    def duration(self, req: TrialRequest, versions: dict[str, Hypothesis]) -> float:
        found = self.trials.get(self.key(req))
        if found is not None:
            return found[0]
        estimate = self.costs.estimate(req, versions[req.hypothesis_hash])
        return self.fallback if estimate is None else estimate

    def result(self, req: TrialRequest) -> dict[str, float] | None:
        found = self.trials.get(self.key(req))
        if found is None:
            self.missing.add(self.key(req))
            return None
        return dict(found[1].metrics or {})


def simulate(
    recorded: Recorded, directory: Path, workers: int, barrier: bool, scratch: Path
) -> SimResult:
    catalog = build_catalog()
    recorded.missing.clear()
    url = f"sqlite:///{scratch / f'sim-{workers}-{int(barrier)}.db'}"
    with Ledger(url) as led:
        run = led.start_run(
            code_version="simulation",
            host="simulation",
            budget_seconds=UNLIMITED,
            workers=workers,
            runner="simulation",
            hypotheses_dir=str(directory),
        )
        ratchet = Ratchet(led, catalog, run.id)
        ratchet.preregister(load_directory(directory, catalog), source_files(directory, catalog))
        clock = SimClock()
        runner = SimulatedBatches(
            led,
            clock,
            lambda r: recorded.duration(r, ratchet.versions),
            recorded.result,
            run_id=run.id,
        )
        result = drive(
            ratchet,
            runner,
            workers=workers,
            trial_deadline=UNLIMITED,
            clock=clock,
            barrier=barrier,
        )
        judged = len({v.hypothesis_hash for v in led.verdicts()})
        trials = len(led.trials())
    wall = clock.now
    return SimResult(
        schedule="barrier" if barrier else "across",
        workers=workers,
        wall_s=wall,
        utilisation=runner.busy_seconds / (workers * wall) if wall else 0.0,
        batches=runner.batches,
        judged=judged,
        versions=len(result.concluded),
        trials=trials,
        without_result=len(recorded.missing),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", required=True, help="source ledger URL (a real run)")
    parser.add_argument("--hypotheses", type=Path, default=ROOT / "hypotheses" / "registry")
    parser.add_argument("--workers", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    catalog = build_catalog()
    recorded = Recorded(args.ledger, load_directory(args.hypotheses, catalog))
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(
        prefix="verisim-sim-", dir=shm if shm.is_dir() else None
    ) as tmp:
        results = [
            simulate(recorded, args.hypotheses, w, barrier, Path(tmp))
            for w in args.workers
            for barrier in (True, False)
        ]
    if args.json:
        print(json.dumps([asdict(r) for r in results]))
        return
    print(f"source: {args.ledger}: {len(recorded.trials)} finished trials with durations")
    print("workers  schedule  wall_s   util  batches  judged  trials  no_result  speed-up")
    by = {(r.workers, r.schedule): r for r in results}
    for r in results:
        base = by[(r.workers, "barrier")].wall_s
        print(
            f"{r.workers:>7}  {r.schedule:<8} {r.wall_s:>7.0f} {r.utilisation:>6.1%} "
            f"{r.batches:>8} {r.judged:>7} {r.trials:>7} {r.without_result:>10} "
            f"{base / r.wall_s if r.wall_s else 0.0:>8.2f}x"
        )


if __name__ == "__main__":
    main()
