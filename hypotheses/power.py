"""Can a file's seeds ever reach its decision? The power floor of the pre-registered test.

The verdict's test (see the engine's `engine.judging.reference`) is an exact sign-flip test
over the evaluation seeds, or a two-level bootstrap when the file declares model seeds. Each
has a smallest attainable one-sided p-value: 2^-n for n paired seeds (a Monte Carlo floor of
1 / (MC_DRAWS + 1) above `EXACT_MAX_N` seeds), 1 / (BOOTSTRAP_RESAMPLES + 1) for the bootstrap.
A member of a correction family of m tests is decided at the Bonferroni level alpha / m at
worst (the first Holm step, and the Benjamini-Hochberg level when it stands alone), so a file
whose floor lies above alpha / m can only ever be "inconclusive": it is refused when it is
loaded, and the message says the smallest n that could decide.

The constants live here (the hypotheses package may not import the engine) and the engine's
statistics import them, so the load-time check and the verdict use one definition.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Hypothesis

EXACT_MAX_N = 16
"""Up to this many seeds the sign-flip test enumerates all 2^n patterns."""
MC_DRAWS = 2**16 - 1
"""Random sign patterns of the Monte Carlo sign-flip test above `EXACT_MAX_N` seeds."""
BOOTSTRAP_RESAMPLES = 9999
"""Resamples of the two-level (model seed, evaluation seed) bootstrap."""
MIN_MODEL_SEEDS = 2
"""A two-level bootstrap needs at least two fitted models to resample."""
DEFAULT_CONFIDENCE = 0.95
"""`[decision] confidence` when a file does not say (and a search's confirmation's)."""


def alpha_of(confidence: float) -> float:
    """alpha = 1 - confidence, the level of each one-sided test (rounded to 12 places, so 0.95
    gives 0.05 and not 0.050000000000000044 in every stored and printed level)."""
    return round(1.0 - confidence, 12)


def smallest_p(n_seeds: int, model_seeds: int = 0) -> float:
    """The smallest one-sided p-value the file's test can produce."""
    if model_seeds:
        return 1.0 / (BOOTSTRAP_RESAMPLES + 1)
    if n_seeds <= EXACT_MAX_N:
        return 2.0**-n_seeds
    return 1.0 / (MC_DRAWS + 1)


def decidable(n_seeds: int, alpha: float, family_size: int, model_seeds: int = 0) -> bool:
    """Whether one member of a family of `family_size` tests can reach p <= alpha / m."""
    return smallest_p(n_seeds, model_seeds) <= alpha / family_size


def seeds_needed(alpha: float, family_size: int) -> int:
    """The smallest n of paired seeds whose exact sign-flip floor 2^-n is <= alpha / m."""
    n = max(1, math.ceil(math.log2(family_size / alpha)))
    while 2.0**-n > alpha / family_size:
        n += 1
    while n > 1 and 2.0 ** -(n - 1) <= alpha / family_size:
        n -= 1
    return n


def confirmation_problem(h: Hypothesis) -> str | None:
    """Why a search file's confirmations could never run or decide, or None.

    A search has no verdict of its own (its seeds are search seeds); its claim is judged by
    the confirmation it registers when it ends, whose seeds the file fixes
    (`hypotheses.search.confirmation_seeds`). So the file is checked for that child: its
    evaluation seeds must stay in range, and its test (the two-level bootstrap over
    `confirm_models` model seeds, one family of its own, the default confidence) must be able
    to reach its level.
    """
    from .search import confirmation_range_problem

    search = h.search
    assert search is not None
    bad_range = confirmation_range_problem(search, h.seeds.initial)
    if bad_range is not None:
        return f"the confirmation cannot run: {bad_range}"
    alpha = alpha_of(DEFAULT_CONFIDENCE)
    n, models = search.confirm_seeds, search.confirm_models
    if decidable(n, alpha, 1, models):
        return None
    return (
        f"the confirmation can never reach a decision: its smallest attainable p "
        f"({smallest_p(n, models):.4g}) is above alpha {alpha:g}"
    )


def power_field(h: Hypothesis) -> str:
    """The field a power problem is reported at."""
    return "seeds.initial" if h.search is None else "search.confirm_seeds"


def power_problem(h: Hypothesis, family_size: int | None = None) -> str | None:
    """Why `h`'s seeds can never decide, or None.

    `family_size` is the number of tests in its correction family (default: its own cells; a
    sanity check is outside every family, so 1).
    """
    if h.search is not None:
        return confirmation_problem(h)
    m = family_size if family_size is not None else len(h.cells())
    if "sanity" in h.tags:
        m = 1
    alpha = alpha_of(h.decision.confidence)
    n = len(h.seeds.initial)
    models = len(h.seeds.model or ())
    if decidable(n, alpha, m, models):
        return None
    family = "its own cells" if family_size is None else "its shared family"
    return (
        f"{n} paired seeds can never reach a decision: the test's smallest attainable p "
        f"({smallest_p(n, models):.4g}) is above the family-adjusted alpha "
        f"{alpha:g} / {m} tests ({family}) = {alpha / m:.4g}; the smallest n that could "
        f"decide is {seeds_needed(alpha, m)}"
    )
