"""The competence gate: a pre-registered check on the fitted model, judged before the effect.

A hypothesis about the loop (a consultation knee, a floor) is read off a model's rollouts; if
the model cannot predict one step, a missing knee says nothing about the loop. A file's
`[gate]` names a metric of the model (e.g. `competence_delta_exact`, the seed's K2 measure),
a direction and a bound; a cell whose gated arms miss it gets no verdict, and the reason
("not competent: ...") is what its record shows. Pure: the same trials give the same answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from hypotheses import Hypothesis

NOT_COMPETENT = "not competent"


def gate_failure(
    hypothesis: Hypothesis, cell_id: str, metrics: Iterable[tuple[str, int, Mapping[str, float]]]
) -> str | None:
    """Why the cell fails its gate, or None when it passes (or has no gate).

    `metrics` are (arm, seed, metrics) of the cell's finished trials; the gate reads the mean
    over the pre-registered seeds of each gated arm. A gated trial without the metric fails
    the gate (the check cannot be skipped by not measuring it).
    """
    gate = hypothesis.gate
    if gate is None:
        return None
    seeds = set(hypothesis.seeds.initial)
    by_arm: dict[str, list[float]] = {arm: [] for arm in hypothesis.gated_arms}
    for arm, seed, measured in metrics:
        if arm in by_arm and seed in seeds:
            value = measured.get(gate.metric)
            by_arm[arm].append(math.nan if value is None else float(value))
    misses = []
    for arm, values in by_arm.items():
        if not values:
            continue
        mean = math.fsum(values) / len(values)
        passed = mean > gate.threshold if gate.direction == "greater" else mean < gate.threshold
        if not passed:  # NaN (a missing metric) never passes
            sign = ">" if gate.direction == "greater" else "<"
            misses.append(
                f"arm {arm} mean {gate.metric} {mean:.3f} over {len(values)} seeds, "
                f"gate needs {sign} {gate.threshold:g}"
            )
    if not misses:
        return None
    where = f" in cell {cell_id}" if cell_id else ""
    return f"{NOT_COMPETENT}{where}: {'; '.join(misses)} ({gate.why})"
