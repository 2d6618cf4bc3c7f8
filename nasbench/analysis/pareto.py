"""Empirical Pareto front of error vs complexity: the best error at most a given cost."""
from __future__ import annotations

import numpy as np

from nasbench.analysis._util import check_errors


def pareto_front(complexity, errors) -> np.ndarray:
    """Indices of the front models, by increasing complexity.

    A model is on the front when every model with at most its complexity has a higher error
    (ties: of equal (complexity, error) pairs the first index is kept).
    """
    e = check_errors(errors)
    c = check_errors(complexity, "complexity")
    if c.shape != e.shape:
        raise ValueError(f"complexity has shape {c.shape}, errors have {e.shape}")
    order = np.lexsort((np.arange(e.size), e, c))  # by complexity, then error, then index
    best = np.minimum.accumulate(e[order])
    prev = np.concatenate(([np.inf], best[:-1]))
    return order[e[order] < prev]


def best_at_most(complexity, errors, budgets) -> np.ndarray:
    """Min error among models with complexity <= each budget (NaN when none qualifies)."""
    e = check_errors(errors)
    c = check_errors(complexity, "complexity")
    front = pareto_front(c, e)
    idx = np.searchsorted(c[front], np.asarray(budgets, dtype=float), side="right") - 1
    return np.where(idx >= 0, e[front][np.maximum(idx, 0)], np.nan)
