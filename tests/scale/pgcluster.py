"""A throwaway PostgreSQL cluster on loopback, for tests that need a real server.

The cluster lives in a temporary directory on a free port, listens on 127.0.0.1 only, trusts
loopback connections (nothing else can reach it), and is removed at the end. Root cannot run a
PostgreSQL server, so when the tests run as root (CI) `initdb`/`pg_ctl` run as the `postgres`
user through `runuser`; a developer running as themselves runs them directly. Durability knobs
are off (`fsync`, `full_page_writes`): the tests kill and stop the server on purpose, but never
the machine, so the OS page cache keeps every committed row.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT_SECONDS = 60


class PgUnavailable(RuntimeError):
    """No PostgreSQL binaries (or no way to run them) here: the caller skips with this reason."""


def find_pg_bin() -> Path:
    """The directory holding `initdb` and `pg_ctl`: Debian's newest versioned dir, else PATH."""
    versioned = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for candidate in reversed(versioned):
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    raise PgUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; "
        "run scripts/ci_services.sh (Debian) or install postgresql"
    )


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> list[str]:
    """The command prefix that runs a server binary as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PgUnavailable(
            "running as root but there is no `postgres` user to run the server"
        ) from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PgUnavailable("running as root but `runuser` is missing")
    return [runuser, "-u", "postgres", "--"]


@dataclass
class PgCluster:
    """One private cluster: `start()`, `url(db)`, `stop()`/`kill()` mid-test, `destroy()`."""

    root: Path
    bin_dir: Path
    port: int
    prefix: list[str] = field(default_factory=list)

    @classmethod
    def create(cls) -> PgCluster:
        bin_dir = find_pg_bin()
        prefix = _run_as()
        root = Path(tempfile.mkdtemp(prefix="verisim-pg-"))
        cluster = cls(root=root, bin_dir=bin_dir, port=free_port(), prefix=prefix)
        if prefix:
            entry = pwd.getpwnam("postgres")
            os.chmod(root, 0o755)
            for sub in ("data", "sock"):
                (root / sub).mkdir()
                os.chown(root / sub, entry.pw_uid, entry.pw_gid)
        else:
            (root / "data").mkdir()
            (root / "sock").mkdir()
        try:
            cluster._tool(
                "initdb",
                "-D",
                str(cluster.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            )
        except PgUnavailable:
            cluster.destroy()
            raise
        return cluster

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def _tool(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*self.prefix, str(self.bin_dir / name), *args],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_SECONDS + 30,
            check=False,
        )
        if check and done.returncode != 0:
            raise PgUnavailable(f"{name} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        return done

    def start(self) -> None:
        """Start (or restart) the server on this cluster's port; return once it accepts."""
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.root / 'sock'}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c full_page_writes=off",
                "-c synchronous_commit=off",
                "-c max_connections=100",
            ]
        )
        # pg_ctl's log goes to a file the server user can write: the socket dir is theirs.
        logfile = self.root / "sock" / "server.log"
        self._tool(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(logfile),
            "-o",
            options,
            "-w",
            "-t",
            str(START_TIMEOUT_SECONDS),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: sessions cut, committed data kept; `immediate`: a crash)."""
        self._tool("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def running(self) -> bool:
        return self._tool("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A fresh, empty database in this cluster; its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server if it runs and delete every file of the cluster."""
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[PgCluster]:
    """A started cluster for the duration of a `with` block (retrying once on a port race)."""
    cluster = PgCluster.create()
    try:
        try:
            cluster.start()
        except PgUnavailable:
            cluster.port = free_port()
            cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `predicate()` until true; fail with `what` after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
