"""The run summary: what a run did and the family of verdicts it stands behind.

One plain, JSON-ready value, built from the ledger at the end of a run, so the CLI's closing
report, the ledger's run row and the Prefect artifacts all say the same thing. Beside every
raw outcome stands the family-corrected one, so a reader sees at once which confirmations
survive the multiple comparisons.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.ratchet.budget import format_seconds

VERDICT_FIELDS = (
    "hypothesis",
    "cell",
    "outcome",
    "adjusted",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
    "method",
    "p",
    "adjusted_p",
    "correction",
)


@dataclass
class RunSummary:
    """Counts, verdicts (raw and corrected), what was passed over, and how the run ended."""

    run_id: int
    status: str
    budget_seconds: float
    elapsed_seconds: float
    correction: str
    trials: dict[str, int] = field(default_factory=dict)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    concluded: list[dict[str, Any]] = field(default_factory=list)
    children: list[dict[str, str]] = field(default_factory=list)
    passed_over: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSummary:
        return cls(**data)

    def text(self) -> str:
        """The closing report printed by `verisim-engine run`."""
        t = self.trials
        lines = [
            f"run {self.run_id}: {self.status} after {format_seconds(self.elapsed_seconds)} "
            f"of {format_seconds(self.budget_seconds)}",
            f"trials this run: {t.get('finished', 0)} finished, {t.get('failed', 0)} failed, "
            f"{t.get('crashed', 0)} crashed, {t.get('cut', 0)} cut by the budget, "
            f"{t.get('reused', 0)} reused from the ledger",
        ]
        if self.concluded:
            lines.append("concluded this run:")
            lines += [f"  {c['hypothesis']}: {c['line']}" for c in self.concluded]
        if self.children:
            lines.append("levers pulled:")
            lines += [f"  {c['parent']} -> {c['child']} ({c['when']})" for c in self.children]
        if self.passed_over:
            lines.append("not run (carried to the next run):")
            lines += [f"  {hid}: {why}" for hid, why in sorted(self.passed_over.items())]
        if self.verdicts:
            lines.append(
                f"family of {len(self.verdicts)} verdict(s), {self.correction} correction "
                "(raw -> adjusted):"
            )
            for v in self.verdicts:
                cell = f" [{v['cell']}]" if v["cell"] else ""
                ci = f"[{v['ci_low']:.4g}, {v['ci_high']:.4g}]"
                adjusted = v["adjusted"] or "-"
                lines.append(
                    f"  {v['hypothesis']}{cell}: {v['outcome']} -> {adjusted}  "
                    f"effect {v['estimate']:.4g} CI {ci} n={v['n']} p={v['p']:.3g}"
                )
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"figure: {f}" for f in self.figures]
        return "\n".join(lines)
