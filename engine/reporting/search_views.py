"""A configuration search as a person reads it: the frontier, the rejected map, the lineage
base -> ... -> best, and the frontier plot (score vs candidate, kept points marked).

All read from `search_candidate` rows; pure functions of the ledger, like the other views.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

CANDIDATE_COLUMNS = [
    "seed", "idx", "gen", "controller", "parent", "edit", "score", "kept", "frontier", "flagged",
    "status", "reason",
]  # fmt: skip
REJECTED_COLUMNS = ["seed", "knob", "tried", "kept", "refused", "best_score", "worst_score"]
LINEAGE_COLUMNS = ["seed", "step", "idx", "move", "edit", "score", "kept"]


def search_version(ledger: Any, ref: str) -> Any:
    """The latest version `ref` names, which must be a configuration search."""
    from ledger import NotFoundError

    version = ledger.get_hypothesis(ref)
    if version is None:
        raise NotFoundError(f"no hypothesis {ref!r} in the ledger")
    if dict(version.content).get("experiment") != "config_search":
        raise NotFoundError(f"{version.hypothesis_id} is not a configuration search")
    return version


def candidate_rows(candidates: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "seed": c.search_seed,
            "idx": c.idx,
            "gen": c.generation,
            "controller": c.controller,
            "parent": c.parent_idx,
            "edit": dict(c.edit),
            "score": c.score,
            "kept": c.kept,
            "frontier": None if c.best_after is None else _signed(c, c.best_after),
            "flagged": c.flagged,
            "status": c.status,
            "reason": c.reason,
            "recheck_score": None if c.recheck_loss is None else _signed(c, c.recheck_loss),
            "config": dict(c.config),
            "proposal": c.proposal,
            "trial_key": c.trial_key,
            "seal_digest": c.seal_digest,
        }
        for c in candidates
    ]


def _signed(c: Any, loss: float) -> float:
    """A loss back in the objective's own units (the loss of a higher-is-better objective is
    its negative; `score` and `loss` of one row tell which)."""
    if c.score is not None and c.loss is not None and c.score != c.loss:
        return -loss
    return loss


def rejected_map(candidates: Sequence[Any]) -> list[dict[str, Any]]:
    """Per seed and knob: how often a candidate that changed it (from its parent) was tried,
    kept and refused, and the best and worst score it got: the shape of the search."""
    groups: dict[tuple[int, str], list[Any]] = {}
    parents = {(c.search_seed, c.idx): c for c in candidates}
    for c in candidates:
        if c.idx == 0:
            continue
        parent = parents.get((c.search_seed, c.parent_idx)) if c.parent_idx is not None else None
        before = dict(parent.config) if parent is not None else {}
        changed = sorted(k for k, v in dict(c.config).items() if before.get(k) != v) or ["-"]
        for knob in changed:
            groups.setdefault((c.search_seed, knob), []).append(c)
    rows = []
    for (seed, knob), group in sorted(groups.items()):
        scored = sorted((c for c in group if c.loss is not None), key=lambda c: c.loss)
        rows.append(
            {
                "seed": seed,
                "knob": knob,
                "tried": len(group),
                "kept": sum(1 for c in group if c.kept),
                "refused": sum(1 for c in group if c.status == "refused"),
                "best_score": scored[0].score if scored else None,
                "worst_score": scored[-1].score if scored else None,
            }
        )
    return rows


def lineage_rows(candidates: Sequence[Any]) -> list[dict[str, Any]]:
    """Per seed, the chain of parents from the base to the best (the last kept candidate)."""
    rows: list[dict[str, Any]] = []
    by_seed: dict[int, dict[int, Any]] = {}
    for c in candidates:
        by_seed.setdefault(c.search_seed, {})[c.idx] = c
    for seed, cands in sorted(by_seed.items()):
        kept = [c for c in cands.values() if c.kept]
        if not kept:
            continue
        chain = []
        node: Any = max(kept, key=lambda c: c.idx)
        while node is not None:
            chain.append(node)
            node = cands.get(node.parent_idx) if node.parent_idx is not None else None
        for step, c in enumerate(reversed(chain)):
            rows.append(
                {"seed": seed, "step": step, "idx": c.idx, "move": c.move or "base",
                 "edit": dict(c.edit), "score": c.score, "kept": c.kept}
            )  # fmt: skip
    return rows


def search_report(ledger: Any, ref: str) -> dict[str, Any]:
    """Everything `ledger search ID` shows."""
    version = search_version(ledger, ref)
    candidates = ledger.candidates(version.content_hash)
    children = [h for h in ledger.hypotheses() if h.parent_hash == version.content_hash]
    verdicts = {
        h.hypothesis_id: sorted({v.outcome for v in ledger.verdicts(hypothesis=h.content_hash)})
        for h in children
    }
    return {
        "id": version.hypothesis_id,
        "hash": version.content_hash,
        "candidates": candidate_rows(candidates),
        "frontier": [r for r in candidate_rows(candidates) if r["kept"]],
        "rejected": rejected_map(candidates),
        "lineage": lineage_rows(candidates),
        "confirmations": {k: ",".join(v) or "pending" for k, v in verdicts.items()},
    }


def frontier_plot(ledger: Any, ref: str, out_dir: Path) -> Path | None:
    """Score vs candidate per search seed; kept candidates marked, the frontier as a step."""
    version = search_version(ledger, ref)
    candidates = [c for c in ledger.candidates(version.content_hash) if c.score is not None]
    if not candidates:
        return None
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from engine.reporting.figures import slug

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{slug(version.hypothesis_id)}-frontier.png"
    fig, ax = plt.subplots(figsize=(6.0, 4.0), dpi=110)
    try:
        for seed in sorted({c.search_seed for c in candidates}):
            mine = [c for c in candidates if c.search_seed == seed]
            xs, ys = [c.idx for c in mine], [c.score for c in mine]
            line = ax.plot(xs, ys, "o", alpha=0.35, label=f"seed {seed}: candidates")[0]
            kept = [c for c in mine if c.kept]
            ax.plot([c.idx for c in kept], [c.score for c in kept], "*", markersize=11,
                    color=line.get_color(), label=f"seed {seed}: kept")  # fmt: skip
            front = [_signed(c, c.best_after) for c in mine if c.best_after is not None]
            ax.step(xs[: len(front)], front, where="post", color=line.get_color())
        objective = str(dict(dict(version.content).get("search", {})).get("objective", "score"))
        ax.set_title(f"{version.hypothesis_id}: the frontier")
        ax.set_xlabel("candidate")
        ax.set_ylabel(objective)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
