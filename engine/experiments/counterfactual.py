"""`counterfactual`: does training on free oracle counterfactual branches improve interventional
prediction beyond what the same NUMBER of ordinary examples buys? (EN6 / H5)

Every arm trains on exactly `examples` transitions (the seed's EN6 claimed a matched design but
its base arm had 120 examples against 600; here the count is enforced and returned as
`train_examples`). The arm chooses its data with the `data` override:

- `trajectory`: the volume control: whole driver trajectories (seeds 0, 1, 2, ...) until
  `examples` transitions, the last one cut;
- `counterfactual`: the `base_trajectories` trajectories, then, for every visited state in
  visit order, `branches` actions from the branch driver (seeded `seed ^ 0xC0FFEE` per
  trajectory) labelled by the oracle, cut at `examples` (too few is an error, never padding);
- `repeat`: the base trajectories cycled up to `examples` (same count, no new information).

Evaluation (interventional): along the held-out trajectory, at each visited state,
`interventions` actions from the intervention driver (seeded `eval_seed ^ 0x1217E`); per case
the predicted delta is scored by delta-exact and by change-safety, the reachability
faithfulness of apply(s, pred) against the true successor (network only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import cycle, islice
from typing import Any

from engine.experiments import data
from engine.experiments.base import ExperimentError, TrialSpec
from engine.experiments.data import predictions
from engine.experiments.params import Param, at_least, one_of, resolve, resolve_values
from proposers import ProposerError, get_proposer
from worlds.base import A, Driver, ReachabilityWorld, S, StepRecord, World

NAME = "counterfactual"
BRANCH_SALT = 0xC0FFEE
EVAL_SALT = 0x1217E

PARAMS: dict[str, Param] = {
    "data": Param("data", str, "trajectory", one_of("trajectory", "counterfactual", "repeat")),
    "examples": Param("examples", int, 600, at_least(1), doc="training transitions, every arm"),
    "base_trajectories": Param("base_trajectories", int, 3, at_least(1)),
    "train_steps": Param("train_steps", int, 40, at_least(1)),
    "train_driver": Param("train_driver", str, "weighted"),
    "branches": Param("branches", int, 4, at_least(1), doc="counterfactual actions per state"),
    "branch_driver": Param("branch_driver", str, "uniform"),
    "steps": Param("steps", int, 24, at_least(1), doc="held-out trajectory length"),
    "driver": Param("driver", str, "weighted", doc="driver of the held-out trajectory"),
    "interventions": Param("interventions", int, 6, at_least(1), doc="eval actions per state"),
    "intervention_driver": Param("intervention_driver", str, "uniform"),
}


def _check_driver(world: World[Any, Any], name: str) -> None:
    if name not in world.driver_names():
        raise ExperimentError(
            f"{NAME}: unknown driver {name!r} (known: {', '.join(world.driver_names())})"
        )


def _branched(world: World[S, A], state: S, driver: Driver[S, A], k: int) -> list[StepRecord[S, A]]:
    out = []
    for _ in range(k):
        action = driver.sample(state)
        out.append(StepRecord(state, action, world.step(state, action)))
    return out


def training_set(world: Any, p: dict[str, Any]) -> list[list[StepRecord]]:
    """The arm's training transitions, exactly `examples` of them (see the module note)."""
    n, steps, drv = p["examples"], p["train_steps"], p["train_driver"]
    base = [data.trajectory(NAME, world, drv, s, steps) for s in range(p["base_trajectories"])]
    if p["data"] == "trajectory":
        out: list[list[StepRecord]] = []
        have, seed = 0, 0
        while have < n:
            traj = data.trajectory(NAME, world, drv, seed, steps)[: n - have]
            out.append(traj)
            have, seed = have + len(traj), seed + 1
            if seed >= data.EVAL_SEED_OFFSET:
                raise ExperimentError(f"{NAME}: examples={n} needs too many trajectories")
        return out
    flat = [r for traj in base for r in traj]
    if p["data"] == "repeat":
        return [[r] for r in islice(cycle(flat), n)]
    branches: list[StepRecord] = []
    for i, traj in enumerate(base):
        driver = world.driver(p["branch_driver"], i ^ BRANCH_SALT)
        for r in traj:
            branches += _branched(world, r.state, driver, p["branches"])
    if len(flat) + len(branches) < n:
        raise ExperimentError(
            f"{NAME}: counterfactual data has only {len(flat) + len(branches)} transitions for "
            f"examples={n}; raise branches or base_trajectories"
        )
    if n <= len(flat):
        return [[r] for r in flat[:n]]
    return [*base, *([r] for r in branches[: n - len(flat)])]


class Counterfactual:
    name = NAME
    params = frozenset(PARAMS)
    metrics = frozenset({"intervention_delta_exact", "change_safety", "train_examples"})

    def validate(self, params: Mapping[str, Any]) -> None:
        """`ExperimentKind.validate`: the params table (training seeds are
        `range(base_trajectories)`, far below the sealed range)."""
        resolve_values(NAME, PARAMS, params)

    def run(self, spec: TrialSpec) -> dict[str, float]:
        p = resolve(NAME, PARAMS, spec)
        world = data.build_world(NAME, spec.world, spec.world_config)
        for name in ("train_driver", "branch_driver", "driver", "intervention_driver"):
            _check_driver(world, p[name])
        train = training_set(world, p)
        count = sum(len(t) for t in train)
        if count != p["examples"]:  # the design's whole point: never silently unmatched
            raise ExperimentError(f"{NAME}: built {count} examples, not {p['examples']}")
        try:
            proposer = get_proposer(spec.arm.proposer, world, **dict(spec.arm.params))
        except ProposerError as exc:
            raise ExperimentError(f"{NAME}: {exc}") from None
        proposer.fit(train, spec.seed)

        seed = data.eval_seed(spec.seed)
        held = data.trajectory(NAME, world, p["driver"], seed, p["steps"])
        driver = world.driver(p["intervention_driver"], seed ^ EVAL_SALT)
        cases = [c for r in held for c in _branched(world, r.state, driver, p["interventions"])]
        exact, safety = [], []
        reach = world if isinstance(world, ReachabilityWorld) else None
        for case, pred in zip(cases, predictions(proposer, cases), strict=True):
            exact.append(1.0 if world.delta_exact(pred.delta, case.transition.delta) else 0.0)
            if reach is not None:
                after = world.apply(case.state, pred.delta)
                safety.append(reach.reachability_faithfulness(case.transition.state, after))
        metrics = {
            "intervention_delta_exact": math.fsum(exact) / len(exact),
            "train_examples": float(count),
        }
        if reach is not None:
            metrics["change_safety"] = math.fsum(safety) / len(safety)
        return metrics
