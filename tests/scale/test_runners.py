"""Runner selection: what is accepted, what is refused, and the one-line reasons."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.execution.runners import (
    RunnerError,
    RunnerSpec,
    check_ledger_for,
    make_task_runner,
    parse_dask_address,
    parse_runner,
    probe_scheduler,
    resolve_runner,
)

SQLITE = "sqlite:////tmp/verisim-test/ledger.db"
POSTGRES = "postgresql+psycopg://verisim@10.0.0.5:5432/verisim"


def test_default_choices_are_local() -> None:
    assert parse_runner("process", workers=2) == RunnerSpec("process", 2, None)
    local = parse_runner("dask", workers=3)
    assert local.kind == "dask" and local.address is None and not local.distributed
    assert local.describe() == "dask-local[3]"
    remote = parse_runner(" DASK ", workers=1, address=" tcp://10.0.0.5:8786 ")
    assert remote.address == "tcp://10.0.0.5:8786" and remote.distributed
    assert remote.describe() == "dask[tcp://10.0.0.5:8786]"


@pytest.mark.parametrize(
    ("kind", "workers", "address", "needle"),
    [
        ("threads", 1, None, "unknown runner 'threads'"),
        ("process", 0, None, "workers must be a whole number"),
        ("process", True, None, "workers must be a whole number"),
        ("process", 1, "tcp://h:1", "--dask-address only goes with --runner dask"),
        ("dask", 1, "10.0.0.5:8786", "needs a scheme"),
        ("dask", 1, "http://h:8786", "scheme 'http'"),
        ("dask", 1, "tcp://h:99999", "port is not a number"),
        ("dask", 1, "tcp://:8786", "no host"),
        ("dask", 1, "tcp://h:8786/path", "only HOST:PORT"),
    ],
)
def test_bad_choices_say_why(kind: str, workers: int, address: str | None, needle: str) -> None:
    with pytest.raises(RunnerError) as info:
        parse_runner(kind, workers=workers, address=address)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_address_defaults_to_dask_port() -> None:
    assert parse_dask_address("tcp://sched") == ("tcp", "sched", 8786)
    assert parse_dask_address("tls://[::1]:9000") == ("tls", "::1", 9000)


@given(
    scheme=st.sampled_from(["tcp", "tls", "ws", "wss"]),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True),
    port=st.integers(min_value=1, max_value=65535),
)
def test_address_round_trips(scheme: str, host: str, port: int) -> None:
    assert parse_dask_address(f"{scheme}://{host}:{port}") == (scheme, host, port)


def test_sqlite_ledger_refuses_a_cluster_in_one_line() -> None:
    spec = parse_runner("dask", workers=1, address="tcp://10.0.0.5:8786")
    with pytest.raises(RunnerError) as info:
        check_ledger_for(spec, SQLITE)
    message = str(info.value)
    assert "SQLite" in message and "postgresql+psycopg://" in message
    assert "\n" not in message
    check_ledger_for(spec, POSTGRES)  # a server ledger is fine
    for local in (parse_runner("dask", workers=2), parse_runner("process", workers=2)):
        check_ledger_for(local, SQLITE)  # one machine: SQLite is the default and stays fine


def test_resolve_checks_the_ledger_before_probing() -> None:
    # The SQLite refusal comes first, with no network traffic to the (unroutable) address.
    with pytest.raises(RunnerError, match="SQLite"):
        resolve_runner("dask", workers=1, address="tcp://192.0.2.1:8786", ledger_url=SQLITE)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_probe_finds_a_listener_and_names_a_missing_one() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        probe_scheduler(f"tcp://127.0.0.1:{server.getsockname()[1]}", timeout=2)
    port = _closed_port()
    with pytest.raises(RunnerError) as info:
        probe_scheduler(f"tcp://127.0.0.1:{port}", timeout=2)
    assert f"no Dask scheduler at tcp://127.0.0.1:{port}" in str(info.value)
    assert "dask scheduler --host 127.0.0.1" in str(info.value)


def test_task_runners_match_the_choice() -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    # Local slots are threads of the flow's process; each batch's trials run in a child
    # process of their own (engine.execution.isolation), so there is no pool of interpreters.
    pool = make_task_runner(parse_runner("process", workers=2))
    assert isinstance(pool, ThreadPoolTaskRunner) and pool._max_workers == 2
    local = make_task_runner(parse_runner("dask", workers=2))
    assert isinstance(local, DaskTaskRunner)
    assert local.cluster_kwargs["n_workers"] == 2
    assert local.cluster_kwargs["host"] == "127.0.0.1"
    remote = make_task_runner(parse_runner("dask", workers=1, address="tcp://10.0.0.5:8786"))
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.5:8786"
