"""The sealed gate: the `Gate` a search scores its candidates through (SPEC-4 §5).

It screens a candidate (the judge denylist and the declared space) and builds the trial that
scores it on one of the problem's sealed sets; the scoring itself is the `config_search`
experiment kind in `engine.search.gate`. Apart from that module because building trials needs
`engine.execution.trials`, which imports the experiment kinds' registry, which registers the
gate's kind: the kind must not import trial planning back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.execution.identity import code_version
from engine.execution.source_hash import source_hash
from engine.execution.trials import TrialRequest, trial_key
from engine.experiments.base import ArmSpec, TrialSpec
from engine.search.gate import (
    GATE_KEY,
    SEARCH_EXPERIMENT,
    Seal,
    gate_settings,
    problem_key,
)


class SealedGate:
    """The `Gate` of one search version: the denylist screen, and the trial that scores a
    candidate on one of the problem's sealed sets (the cells themselves stay in the seal)."""

    def __init__(self, hypothesis: Any, seal: Seal) -> None:
        search = hypothesis.search
        if search is None:
            raise ValueError(f"{hypothesis.id} is not a {SEARCH_EXPERIMENT} file")
        self.hypothesis = hypothesis
        self.search = search
        self.seal = seal
        self.digest = seal.digest
        self.code = code_version(hypothesis.world, hypothesis.world_config)
        self.cells_key = problem_key(
            hypothesis.world, hypothesis.world_config, hypothesis.params, search.proposer,
            search.base, search.objective,
        )  # fmt: skip

    def screen(self, config: Mapping[str, Any]) -> str | None:
        from engine.search.space import screen

        return screen(self.search, self.search.base, config)

    def request(self, config: Mapping[str, Any], eval_set: str, seed: int) -> Any:
        from engine.search.space import config_digest

        h, s = self.hypothesis, self.search
        digest = h.content_hash
        arm = f"cand-{config_digest(config)[:16]}"
        gate = gate_settings(
            search_hash=self.cells_key,
            seal_digest=self.digest,
            eval_set=eval_set,
            eval_cells=s.eval_cells,
            objective=s.objective,
            ceiling=s.ceiling,
        )
        spec = TrialSpec(
            world=h.world,
            world_config=dict(h.world_config),
            experiment=SEARCH_EXPERIMENT,
            params={**h.params, GATE_KEY: gate},
            arm=ArmSpec(proposer=s.proposer, params=dict(config)),
            seed=seed,
        )
        key = trial_key(digest, eval_set, arm, seed, self.code)
        return TrialRequest(
            key, digest, h.id, eval_set, arm, seed, self.code, spec, code_hash=source_hash()
        )


GATES: dict[str, type[SealedGate]] = {"sealed": SealedGate}
"""Gates by name (the seam for another scoring scheme; a search uses `sealed`)."""
