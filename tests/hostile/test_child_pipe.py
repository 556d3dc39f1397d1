"""The trial child, when nobody reads its answers any more, ends quietly.

A kill of the run leaves the trial child (in a process group of its own) writing an answer
into a pipe whose reader is gone. That is the normal end of a killed run, so it must not print
a `BrokenPipeError` traceback into the terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_child_exits_quietly_when_its_reader_is_gone() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.execution.child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None and proc.stderr is not None
    assert b'"ready"' in proc.stdout.readline()
    proc.stdout.close()  # the run is gone: nobody reads the answers
    proc.stdin.write(b'{"spec": {}}\n')  # answered at once (a bad request) into a dead pipe
    proc.stdin.close()
    err = proc.stderr.read().decode("utf-8", "replace")
    assert proc.wait(timeout=60) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_child_answers_and_ends_normally_on_eof() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "engine.execution.child"],
        input=b'{"spec": {}}\n',
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 0 and len(lines) == 2
    assert '"ok": false' in lines[1] and "bad request" in lines[1]
