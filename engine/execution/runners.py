"""Which Prefect task runner carries a run's trials: local processes, or a Dask cluster.

Three choices, named the way the CLI takes them:

    --runner process                          trials in local processes, N at a time (the default)
    --runner dask                             a throwaway local multi-process Dask cluster
    --runner dask --dask-address tcp://H:P    an existing Dask cluster, possibly many machines

The choice is validated before anything starts, against the ledger it will write to: a SQLite
ledger is a file on one machine, so fanning out to a cluster whose workers may sit elsewhere
is refused with one line that says what to use instead. An existing cluster's scheduler is
probed with a plain TCP connect, so a wrong address is an error in seconds, not a hang inside
Dask's own retry loop.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

if TYPE_CHECKING:  # Prefect is imported only once its environment is set (engine.settings)
    from prefect.task_runners import TaskRunner

RunnerKind = Literal["process", "dask"]
RUNNER_KINDS: tuple[RunnerKind, ...] = ("process", "dask")
DASK_SCHEMES = frozenset({"tcp", "tls", "ws", "wss"})
DEFAULT_DASK_PORT = 8786
PROBE_TIMEOUT_SECONDS = 5.0
MAX_WORKERS = 1024


class RunnerError(ValueError):
    """A runner choice that cannot work (the message is one line, ready to print)."""


@dataclass(frozen=True)
class RunnerSpec:
    """A validated runner choice: what carries the trials, and how many at once."""

    kind: RunnerKind
    workers: int
    address: str | None = None

    @property
    def distributed(self) -> bool:
        """Whether trials may run on other machines (an existing cluster can span several)."""
        return self.address is not None

    def describe(self) -> str:
        """A short label for the ledger's run row and the CLI banner."""
        if self.kind == "process":
            return f"process-pool[{self.workers}]"
        if self.address is None:
            return f"dask-local[{self.workers}]"
        return f"dask[{self.address}]"


def parse_dask_address(address: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a Dask scheduler address such as `tcp://10.0.0.5:8786`."""
    text = address.strip()
    if "://" not in text:
        raise RunnerError(
            f"dask address {address!r} needs a scheme: tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)"
        )
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DASK_SCHEMES:
        raise RunnerError(
            f"dask address {address!r}: scheme {scheme!r} is not one of "
            f"{', '.join(sorted(DASK_SCHEMES))}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise RunnerError(f"dask address {address!r}: expected only HOST:PORT after the scheme")
    try:
        port = parts.port
    except ValueError:
        raise RunnerError(f"dask address {address!r}: the port is not a number 1-65535") from None
    host = parts.hostname
    if not host:
        raise RunnerError(f"dask address {address!r}: no host")
    return scheme, host, DEFAULT_DASK_PORT if port is None else port


def parse_runner(kind: str, *, workers: int, address: str | None = None) -> RunnerSpec:
    """Validate a runner choice as typed on the command line."""
    name = kind.strip().lower()
    if name not in RUNNER_KINDS:
        raise RunnerError(f"unknown runner {kind!r}; choose one of: {', '.join(RUNNER_KINDS)}")
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise RunnerError(
            f"workers must be a whole number from 1 to {MAX_WORKERS}, got {workers!r}"
        )
    cleaned = address.strip() if address is not None else None
    if cleaned == "":
        cleaned = None
    if cleaned is not None:
        if name != "dask":
            raise RunnerError("--dask-address only goes with --runner dask")
        parse_dask_address(cleaned)
    runner: RunnerKind = "dask" if name == "dask" else "process"
    return RunnerSpec(kind=runner, workers=workers, address=cleaned)


def check_ledger_for(spec: RunnerSpec, ledger_url: str) -> None:
    """Refuse a runner that the ledger cannot serve.

    Only a distributed runner is refused, and only on SQLite: a SQLite file is reachable from
    one machine only, so workers elsewhere would either fail to open it or (worse, on a shared
    network filesystem) corrupt it, since SQLite's locking is not safe over NFS.
    """
    if not spec.distributed:
        return
    try:
        backend = make_url(ledger_url).get_backend_name()
    except ArgumentError:
        raise RunnerError(f"ledger URL {ledger_url!r} does not parse") from None
    if backend == "sqlite":
        raise RunnerError(
            f"--runner dask --dask-address {spec.address} fans trials out to other machines, "
            "but the ledger is a SQLite file on this one; use a server ledger: "
            "--ledger postgresql+psycopg://USER@HOST:5432/DB (then `verisim-engine ledger upgrade`)"
        )


def probe_scheduler(address: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> None:
    """Fail fast, in one line, if nothing accepts connections at a Dask scheduler address."""
    _, host, port = parse_dask_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise RunnerError(
            f"no Dask scheduler at {address} ({reason}); start one with "
            f"`dask scheduler --host {host} --port {port}` and workers with "
            f"`dask worker {address}`"
        ) from None


def make_task_runner(spec: RunnerSpec) -> TaskRunner:
    """The Prefect task runner for a validated spec (imports Prefect: call after settings).

    Local processes are Prefect's thread pool, one thread per worker slot, in the flow's own
    process. A batch's trials already run in a killable child process of their own
    (`engine.execution.isolation`), so the task itself only waits on that child and writes the
    ledger; a process pool around it would add, per slot, a spawned interpreter that imports
    Prefect and the flow module (several seconds each before the first trial) for nothing.

    The local Dask cluster listens on loopback with one single-threaded worker process per
    trial slot (trials are CPU-bound Python; threads would only contend for the GIL) and no
    dashboard (it would open a public port and needs bokeh).
    """
    if spec.kind == "process":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=spec.workers)
    from prefect_dask import DaskTaskRunner

    if spec.address is not None:
        return DaskTaskRunner(address=spec.address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": spec.workers,
            "threads_per_worker": 1,
            "processes": True,
            "host": "127.0.0.1",
            "dashboard_address": None,
        },
    )


def resolve_runner(
    kind: str, *, workers: int, address: str | None, ledger_url: str, probe: bool = True
) -> RunnerSpec:
    """Everything the CLI checks before a run starts, in order; the first problem is raised."""
    spec = parse_runner(kind, workers=workers, address=address)
    check_ledger_for(spec, ledger_url)
    if probe and spec.address is not None:
        probe_scheduler(spec.address)
    return spec
