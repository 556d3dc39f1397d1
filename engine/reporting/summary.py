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
    "adjusted",
    "estimate",
    "adjusted_ci_low",
    "adjusted_ci_high",
    "adjusted_alpha",
    "adjusted_p",
    "correction",
    "outcome",
    "p",
    "n",
    "method",
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
                f"{len(self.verdicts)} verdict(s), each decided within its pre-registered "
                f"family ({self.correction} for families registered by this run); the "
                "interval is at the level the decision used (raw outcome beside it):"
            )
            for v in self.verdicts:
                lines.append("  " + verdict_line(v))
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"figure: {f}" for f in self.figures]
        return "\n".join(lines)


def interval_text(low: Any, high: Any) -> str:
    """An interval whose unreachable ends (stored as None) read as -inf / +inf."""
    lo = "-inf" if low is None else f"{low:.4g}"
    hi = "+inf" if high is None else f"{high:.4g}"
    return f"[{lo}, {hi}]"


def verdict_line(v: dict[str, Any]) -> str:
    """One verdict, adjusted (decisive) outcome first: `H [cell]: confirmed (raw ...)`."""
    cell = f" [{v['cell']}]" if v["cell"] else ""
    raw = f"raw {v['outcome']} p={v['p']:.3g}"
    if v["adjusted"] is None:
        return f"{v['hypothesis']}{cell}: awaiting its family ({raw})"
    ci = interval_text(v["adjusted_ci_low"], v["adjusted_ci_high"])
    level = v["adjusted_alpha"]
    return (
        f"{v['hypothesis']}{cell}: {v['adjusted']}  effect {v['estimate']:.4g} "
        f"CI {ci} at alpha {level:.3g} ({v['correction']}), n={v['n']}; {raw}"
    )
