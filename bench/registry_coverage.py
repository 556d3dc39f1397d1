"""How far a budget gets through the shipped registry: files verdicted, lever children, trials.

    .venv/bin/python bench/registry_coverage.py --budget 45m [--workers 2]
    .venv/bin/python bench/registry_coverage.py --ledger sqlite:///.verisim/ledger.db

The first form is one real `verisim-engine run` (the same command `make run` runs) on the
shipped registry, in a throwaway data directory, so nothing cached from earlier runs (trials,
weights, Prefect state) helps it; it prints the wall time and then the coverage read back from
that run's ledger. The second form only reads an existing ledger and prints its coverage.

Coverage, read from the ledger alone:

- files: the hypothesis files registered from the registry (depth 0), and how many of them
  have at least one verdict (a grid hypothesis counts once, whatever its cells);
- lever children: hypotheses the engine derived from a verdict's lever (depth > 0), and how
  many of those have a verdict;
- trials: by status (finished, cut, failed, ...).

Then, per root file, in the registry's order of priority: how many of its cells got a
verdict, the adjusted (deciding) outcomes and the raw ones, and the seed's own result as the
file quotes it ("Seed result for comparison only: ..."), so the two can be read side by side.
Files the budget never reached are listed as such.

It prints figures and asserts nothing; which files a budget reaches depends on the machine
(cores, other load) and on each file's priority and cost.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def coverage(url: str) -> dict[str, int]:
    """The coverage figures of the ledger at `url` (see the module docstring)."""
    from ledger import Ledger

    with Ledger(url, check_schema=False) as ledger:
        versions = ledger.hypotheses()
        verdicted = {v.hypothesis_hash for v in ledger.verdicts()}
        statuses = Counter(t.status for t in ledger.trials())
    roots = [h for h in versions if h.depth == 0]
    children = [h for h in versions if h.depth > 0]
    figures = {
        "files registered": len(roots),
        "files verdicted": sum(h.content_hash in verdicted for h in roots),
        "lever children registered": len(children),
        "lever children verdicted": sum(h.content_hash in verdicted for h in children),
    }
    figures.update({f"trials {status}": n for status, n in sorted(statuses.items())})
    return figures


def _seed_text(content: Any) -> str:
    source = str(content.get("source", "")) if isinstance(content, dict) else ""
    marker = "for comparison only:"
    at = source.lower().find(marker)
    return source[at + len(marker) :].strip() if at >= 0 else ""


def _counts(outcomes: list[str | None]) -> str:
    counted = Counter(o or "-" for o in outcomes)
    return ", ".join(f"{n} {o}" for o, n in sorted(counted.items())) or "-"


def per_file(url: str) -> list[str]:
    """One line per root file: cells verdicted, adjusted and raw outcomes, the seed's result."""
    from ledger import Ledger

    with Ledger(url, check_schema=False) as ledger:
        roots = [h for h in ledger.hypotheses() if h.depth == 0]
        verdicts = ledger.verdicts()
    roots.sort(key=lambda h: (h.content.get("priority", 0), h.hypothesis_id))
    lines = []
    for h in roots:
        mine = [v for v in verdicts if v.hypothesis_hash == h.content_hash and not v.superseded]
        seed = _seed_text(h.content)
        if not mine:
            lines.append(f"{h.hypothesis_id}: not reached | seed: {seed or '-'}")
            continue
        lines.append(
            f"{h.hypothesis_id}: {len(mine)} cell(s); adjusted: "
            f"{_counts([v.adjusted_outcome for v in mine])}; raw: "
            f"{_counts([v.outcome for v in mine])} | seed: {seed or '-'}"
        )
    return lines


def run(budget: str, workers: int) -> tuple[str, float, int]:
    """One `verisim-engine run` in a fresh data directory: (ledger URL, wall seconds, exit)."""
    home = Path(tempfile.mkdtemp(prefix="verisim-coverage-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"VERISIM_HOME": str(home), "PYTHONPATH": str(ROOT)})
    argv = [sys.executable, "-m", "engine.cli", "run", "--budget", budget]
    argv += ["--workers", str(workers), "--no-progress"]
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, check=False)
    return f"sqlite:///{home / 'ledger.db'}", time.perf_counter() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--budget", help="run the registry with this budget (e.g. 45m)")
    group.add_argument("--ledger", help="only report the coverage of this ledger URL")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.ledger is not None:
        url = args.ledger
    else:
        url, wall, code = run(args.budget, args.workers)
        print(
            f"run --budget {args.budget} --workers {args.workers}: exit {code}, wall {wall:.0f}s "
            f"on {os.cpu_count()} cores ({platform.processor() or platform.machine()})"
        )
    for name, value in coverage(url).items():
        print(f"{name:>28}: {value}")
    print(f"{'ledger':>28}: {url}")
    print()
    for line in per_file(url):
        print(line)


if __name__ == "__main__":
    main()
