"""The trial process: reads trial specs, one JSON line each, and answers with their metrics.

Trials run here, in a process of their own, because only a process can really be stopped: a
budget deadline that falls mid-trial kills this process (Prefect's timeouts cannot interrupt
blocking code in a thread). Nothing else may write to the protocol stream, so whatever an
experiment prints is redirected to stderr.

    python -m engine.execution.child    # stdin: {"spec": {...}} lines; stdout: one answer line each
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, TextIO

PARENT_ENV = "VERISIM_TRIAL_PARENT"
"""The pid of the process that started this child (to notice a parent gone before we armed)."""


def answer(line: str) -> dict[str, Any]:
    """Run the trial in one request line and describe the outcome (never raises)."""
    from engine.execution.trials import execute_on_device, spec_from_dict

    try:
        request = json.loads(line)
        spec = spec_from_dict(request["spec"])
    except Exception as exc:  # a malformed request is answered, not fatal
        return {"ok": False, "error": f"bad request: {type(exc).__name__}: {exc}"}
    started = time.perf_counter()
    try:
        metrics, device = execute_on_device(spec)
    except Exception as exc:  # the trial's own failure is its result
        return {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "seconds": time.perf_counter() - started,
        }
    seconds = time.perf_counter() - started
    return {"ok": True, "metrics": metrics, "device": device, "seconds": seconds}


def serve(requests: TextIO, replies: TextIO) -> None:
    for line in requests:
        if not line.strip():
            continue
        replies.write(json.dumps(answer(line)) + "\n")
        replies.flush()


def _silence(stream: TextIO) -> None:
    """Point `stream`'s descriptor at /dev/null, so its last flush (at exit) cannot fail."""
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, stream.fileno())
    finally:
        os.close(null)


def main() -> int:
    """Serve requests until stdin closes; 0 then, 1 when the parent went away mid-answer.

    The child runs in a process group of its own, so a kill of the run can leave it behind
    for a moment with nobody reading its answers: that is a normal end, not an error, and it
    must not print a `BrokenPipeError` traceback into the user's terminal.
    """
    # The batch that started us holds us for its whole life: when it goes, so do we, even
    # mid-trial and even if it was SIGKILLed (we run in a session of our own, so no terminal
    # or process-group signal reaches us otherwise).
    from engine.execution.lifetime import die_with_parent

    parent = os.environ.get(PARENT_ENV)
    die_with_parent(parent=int(parent) if parent and parent.isdigit() else None)
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        protocol.write(json.dumps({"ready": True}) + "\n")
        protocol.flush()
        serve(sys.stdin, protocol)
    except BrokenPipeError:
        _silence(protocol)
        return 1
    except KeyboardInterrupt:  # the run was interrupted from the terminal: it says so itself
        _silence(protocol)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
