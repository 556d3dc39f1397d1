"""Engine throughput: trials per hour with 1 vs N local workers, and the engine's overhead.

    .venv/bin/python bench/trials_per_hour.py [--workers 1 2] [--seeds 16] [--steps 700]
                                              [--runner process|dask] [--ledger-url URL]
                                              [--repeats K]

Each configuration is one real `verisim-engine run` (the CLI, the Prefect flow, the task
runner, the ledger) over a fresh ledger and a fresh copy of two benchmark hypotheses
(oracle-vs-null horizon curves on the filesystem world: 2 hypotheses x 2 arms x `--seeds`
trials, each a `--steps`-step rollout). A Prefect server is started once beforehand and shared,
as `verisim-engine ui` would be, so its ~10-20 s start-up is not charged to every run.

Reported per configuration:

- wall: the `run` command's wall time, start to exit (Python start-up, flow, pool, artifacts);
- trials/hour: trials finished / wall;
- body: the sum of the trial bodies' own durations, as the ledger records them (measured inside
  the trial process, around the experiment call only);
- overhead share: time outside trial bodies over the wall, per worker slot:
  1 - body / (workers x wall). With one worker that is exactly (wall - body) / wall;
- speed-up: trials/hour over the first configuration's (1 worker by default) in the same
  pass, with the machine's load average, since a shared machine makes any one number noisy.
  `--repeats K` runs K passes, alternating the configurations' order (1 2, then 2 1, ...), and
  prints each pass's speed-up and their median: on this VM the same pass's trial bodies have
  taken 13% longer from one pass to the next, which no single pass can tell from the engine;
- server CPU: CPU seconds the shared Prefect server spent during the run (psutil, its whole
  process tree); engine CPU: CPU seconds of the `run` command and its trial processes, less
  the bodies' own seconds. With every core running trials, both come out of the trials' time.

Then, unless `--no-bare`, the machine's own ceiling for the same work: the same trial specs
(planned from the same files) run bare in a `multiprocessing` pool of 1 and of N processes,
no engine, no ledger, no Prefect, imports warmed before the clock starts. Its speed-up is what
N cores give these trial bodies here; the engine's speed-up is read against it (on a 2-vCPU
VM, bodies run side by side are not always as fast as one alone).

`--ledger-url` takes a server URL template with `{name}` (e.g.
`postgresql+psycopg://postgres@127.0.0.1:5432/{name}`): each configuration gets the database
`bench_<runner>_<workers>`, which must exist and be upgraded (`verisim-engine ledger upgrade`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "data" / "hypotheses" / "resume"
CLI = [sys.executable, "-c", "from engine.cli.app import main; main()"]


@dataclass(frozen=True)
class Result:
    runner: str
    workers: int
    trials: int
    wall_s: float
    flow_s: float
    body_s: float
    server_cpu_s: float
    engine_cpu_s: float

    @property
    def trials_per_hour(self) -> float:
        return self.trials / self.wall_s * 3600.0

    @property
    def overhead_share(self) -> float:
        return 1.0 - self.body_s / (self.workers * self.wall_s)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(home: Path, api: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"VERISIM_HOME": str(home), "PYTHONHASHSEED": "0"})
    if api is not None:
        env["PREFECT_API_URL"] = api
        env["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"
    return env


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its live descendants."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = p.cpu_times()
            total += times.user + times.system
    return total


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[tuple[str, Callable[[], float]]]:
    """`verisim-engine ui` on a free loopback port; yields its API URL and a function giving
    the CPU seconds its process tree has used so far."""
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    proc = subprocess.Popen(
        [*CLI, "ui", "--port", str(port)],
        cwd=ROOT,
        env=_env(home, None),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{api}/health", timeout=2):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the Prefect server did not start")
            time.sleep(0.5)
        yield api, lambda: _tree_cpu(proc.pid)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def write_hypotheses(directory: Path, seeds: int, steps: int) -> int:
    """The benchmark hypotheses (the resume test's pair, resized); returns the trial count."""
    directory.mkdir(parents=True)
    count = 0
    for source in sorted(SOURCE.glob("*.toml")):
        text = source.read_text(encoding="utf-8")
        resized, n_seeds = re.subn(
            r"(?m)^initial = \[.*\]$", f"initial = {list(range(seeds))}", text
        )
        resized, n_steps = re.subn(r"(?m)^steps = \d+$", f"steps = {steps}", resized)
        if (n_seeds, n_steps) != (1, 1):  # the source file changed shape: say so, measure nothing
            raise SystemExit(f"{source}: expected one `initial = [...]` and one `steps = N` line")
        (directory / source.name).write_text(resized, encoding="utf-8")
        count += 2 * seeds
    return count


def measure(
    workdir: Path,
    server: tuple[str, Callable[[], float]],
    runner: str,
    workers: int,
    seeds: int,
    steps: int,
    ledger: str | None,
) -> Result:
    from ledger import Ledger

    api, server_cpu = server
    home = workdir / f"{runner}-{workers}"
    hypotheses = home / "hypotheses"
    planned = write_hypotheses(hypotheses, seeds, steps)
    url = ledger.format(name=f"bench_{runner}_{workers}") if ledger else None
    url = url or f"sqlite:///{home / 'ledger.db'}"
    args = ["run", "--budget", "30m", "--hypotheses", str(hypotheses), "--ledger", url]
    args += ["--workers", str(workers), "--runner", runner, "--no-progress"]
    server_before = server_cpu()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [*CLI, *args], cwd=ROOT, env=_env(home, api), capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and its trial processes
    run_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    server_s = server_cpu() - server_before
    if done.returncode != 0:
        raise SystemExit(f"run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    with Ledger(url) as led:
        trials = led.trials(status="finished")
        (run,) = led.runs()
    if len(trials) != planned:
        raise SystemExit(f"expected {planned} finished trials, the ledger has {len(trials)}")
    assert run.finished_at is not None
    return Result(
        runner=runner,
        workers=workers,
        trials=len(trials),
        wall_s=wall,
        flow_s=(run.finished_at - run.started_at).total_seconds(),
        body_s=(body := sum(t.duration_s or 0.0 for t in trials)),
        server_cpu_s=server_s,
        engine_cpu_s=run_cpu - body,
    )


def _bare_trial(spec_dict: dict[str, object]) -> float:
    from engine.execution.trials import spec_from_dict
    from engine.experiments import get_experiment

    spec = spec_from_dict(spec_dict)
    started = time.perf_counter()
    get_experiment(spec.experiment).run(spec)
    return time.perf_counter() - started


def bare(workdir: Path, workers: list[int], seeds: int, steps: int) -> list[tuple[int, float]]:
    """(processes, wall seconds) for the bench's trials run bare in a process pool."""
    import multiprocessing

    from engine.execution.trials import plan_trials, spec_to_dict
    from engine.experiments.catalog import build_catalog
    from hypotheses import load_directory

    directory = workdir / "bare"
    write_hypotheses(directory, seeds, steps)
    specs = [
        spec_to_dict(r.spec)
        for h in load_directory(directory, build_catalog())
        for r in plan_trials(h)
    ]
    context = multiprocessing.get_context("spawn")
    out = []
    for n in workers:
        with context.Pool(n) as pool:
            pool.map(_bare_trial, specs[:n], chunksize=1)  # imports and caches, off the clock
            started = time.perf_counter()
            pool.map(_bare_trial, specs, chunksize=1)
            out.append((n, time.perf_counter() - started))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--steps", type=int, default=700)
    parser.add_argument("--runner", choices=("process", "dask"), default="process")
    parser.add_argument("--ledger-url", help="server URL template with {name} (default SQLite)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare process-pool ceiling")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="passes over the configurations, alternating their order; speed-ups are then "
        "taken pass by pass and their median printed",
    )
    args = parser.parse_args()
    if args.repeats < 1:
        raise SystemExit("error: --repeats must be at least 1")
    if args.repeats > 1 and args.ledger_url:
        raise SystemExit(
            "error: --repeats needs a fresh ledger per pass; with --ledger-url each "
            "configuration has one database, so run the passes one call at a time"
        )
    workdir = Path(tempfile.mkdtemp(prefix="verisim-bench-"))
    load_before = os.getloadavg()[0]
    try:
        with prefect_server(workdir / "prefect") as server:
            passes = []
            for k in range(args.repeats):
                order = args.workers if k % 2 == 0 else args.workers[::-1]
                by_workers = {}
                for w in order:
                    by_workers[w] = measure(
                        workdir / f"pass-{k}",
                        server,
                        args.runner,
                        w,
                        args.seeds,
                        args.steps,
                        args.ledger_url,
                    )
                passes.append([by_workers[w] for w in args.workers])
        ceiling = [] if args.no_bare else bare(workdir, args.workers, args.seeds, args.steps)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        rows = [
            {
                "pass": k,
                **asdict(r),
                "trials_per_hour": r.trials_per_hour,
                "overhead_share": r.overhead_share,
            }
            for k, one in enumerate(passes)
            for r in one
        ]
        bare_rows = [{"processes": n, "wall_s": w} for n, w in ceiling]
        print(
            json.dumps(
                {
                    "machine": platform.platform(),
                    "cpus": os.cpu_count(),
                    "runs": rows,
                    "bare": bare_rows,
                }
            )
        )
        return
    print(f"{platform.platform()}, {os.cpu_count()} CPUs; trials: {args.seeds} seeds x 4 arms")
    print(
        f"1-min load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f} "
        "(other work on the machine skews the speed-up)"
    )
    print(
        "pass  runner   workers  trials  wall_s  flow_s  body_s  trials/hour  overhead  speed-up  "
        "server_cpu_s  engine_cpu_s"
    )
    for k, one in enumerate(passes):
        base = one[0]  # each pass's speed-up is against its own first configuration
        for r in one:
            print(
                f"{k:>4}  {r.runner:<8} {r.workers:>7} {r.trials:>7} "
                f"{r.wall_s:>7.1f} {r.flow_s:>7.1f} "
                f"{r.body_s:>7.1f} {r.trials_per_hour:>12.0f} {r.overhead_share:>8.1%} "
                f"{r.trials_per_hour / base.trials_per_hour:>8.2f}x "
                f"{r.server_cpu_s:>13.1f} {r.engine_cpu_s:>13.1f}"
            )
    if len(passes) > 1:
        for i, w in enumerate(args.workers[1:], start=1):
            ups = [one[i].trials_per_hour / one[0].trials_per_hour for one in passes]
            print(
                f"speed-up at {w} workers, pass by pass: "
                + ", ".join(f"{u:.2f}x" for u in ups)
                + f"; median {statistics.median(ups):.2f}x over {len(ups)} passes"
            )
    if ceiling:
        print("bare pool (same trial specs, no engine): processes, wall_s, speed-up")
        for n, wall in ceiling:
            print(f"  {n:>3} {wall:>8.1f} {ceiling[0][1] / wall:>8.2f}x")
        if len(ceiling) == len(args.workers) > 1:
            engine = statistics.median(
                one[-1].trials_per_hour / one[0].trials_per_hour for one in passes
            )
            print(
                f"engine speed-up / bare speed-up at {args.workers[-1]} workers: "
                f"{engine / (ceiling[0][1] / ceiling[-1][1]):.2f}"
            )


if __name__ == "__main__":
    main()
