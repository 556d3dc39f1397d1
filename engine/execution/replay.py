"""Replaying a trial from its ledger row: the check that every result is a pure function.

The stored spec is exactly what ran; the trial is re-run in a fresh trial process (as in a
run, so nothing cached in this process can help it), and the metrics must match bit for bit.
A trial recorded under other source than this checkout's (another code hash, or none: a row
from before trials carried one) is still replayed and compared, and the result says so: a
match then shows the change did not touch this trial, a mismatch may be the change itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from engine.execution.isolation import TrialProcess
from engine.execution.source_hash import source_hash
from engine.execution.trials import TrialError, metric_differences, spec_from_dict, spec_to_dict

REPLAY_TIMEOUT_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class ReplayResult:
    key: str
    stored: dict[str, float]
    replayed: dict[str, float]
    differences: list[tuple[str, float | None, float | None]]
    seconds: float
    recorded_code: str | None = None
    replay_code: str | None = None
    stored_device: str | None = None
    replayed_device: str | None = None

    @property
    def matches(self) -> bool:
        return not self.differences

    @property
    def same_code(self) -> bool:
        return self.recorded_code is not None and self.recorded_code == self.replay_code

    def code_note(self) -> str:
        """One line when the trial was recorded under other source than the replay's."""
        if self.same_code:
            return ""
        here = (self.replay_code or "?")[:12]
        if self.recorded_code is None:
            return f"note: the trial was recorded without a code hash; replayed under code {here}"
        return (
            f"note: the trial was recorded under code {self.recorded_code[:12]}, "
            f"replayed under code {here} (the source changed since; compared anyway)"
        )

    def text(self) -> str:
        head = f"trial {self.key}: "
        note = [self.code_note()] if not self.same_code else []
        if self.matches:
            line = head + f"metrics match exactly ({len(self.stored)} metrics, {self.seconds:.2f}s)"
            return "\n".join([*note, line])
        lines = [*note, head + f"MISMATCH in {len(self.differences)} metric(s)"]
        lines += [f"  {name}: stored {a!r}, replayed {b!r}" for name, a, b in self.differences]
        if self.stored_device and self.replayed_device != self.stored_device:
            lines.append(
                f"  (recorded on {self.stored_device}, replayed on {self.replayed_device}: "
                "CUDA results repeat to the seed, not to the bit; VERISIM_DEVICE picks the device)"
            )
        return "\n".join(lines)


def _resolve(ledger: Any, ref: str) -> Any:
    from ledger import NotFoundError, TrialRecord

    record = ledger.get_trial(ref)
    if record is None:
        found = ledger.get(ref if ref.startswith("trial:") else f"trial:{ref}")
        if not isinstance(found, TrialRecord):
            raise NotFoundError(f"no trial {ref!r}")
        record = found
    return record


def replay_trial(ledger: Any, ref: str) -> ReplayResult:
    """Re-run the finished trial `ref` (key or unique prefix) and compare its metrics."""
    record = _resolve(ledger, ref)
    if record.status != "finished" or record.metrics is None:
        raise TrialError(f"trial {record.key} is {record.status}, not finished: nothing to compare")
    spec = spec_from_dict(dict(record.spec))
    with TrialProcess() as proc:
        answer = proc.run(spec_to_dict(spec), time.time() + REPLAY_TIMEOUT_SECONDS)
    if answer.status != "finished" or answer.metrics is None:
        raise TrialError(f"replay of trial {record.key} failed: {answer.error or answer.status}")
    stored = {k: float(v) for k, v in dict(record.metrics).items()}
    replayed = dict(answer.metrics)
    return ReplayResult(
        key=record.key,
        stored=stored,
        replayed=replayed,
        differences=metric_differences(stored, replayed),
        seconds=answer.seconds,
        recorded_code=record.code_hash,
        replay_code=source_hash(),
        stored_device=record.device,
        replayed_device=answer.device,
    )
