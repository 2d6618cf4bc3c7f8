"""Ranking and regression metrics for predictors (scipy/numpy).

Ranking matters more than squared error for a NAS surrogate (PNAS), so the headline metric
is Kendall tau-b. ``sparse_kendall_tau`` follows NAS-Bench-301: round the *predictions* to
0.1 % accuracy (0.001 for fractions) so near-ties do not count as rank errors.
"""
from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np
from scipy import stats


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(y_true, dtype=np.float64).ravel()
    b = np.asarray(y_pred, dtype=np.float64).ravel()
    if a.size != b.size:
        raise ValueError(f"y_true has {a.size} values but y_pred has {b.size}")
    return a, b


def _corr(fn: Callable, a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 2:
        return float("nan")
    with warnings.catch_warnings():  # constant input: scipy warns and returns nan
        warnings.simplefilter("ignore")
        return float(fn(a, b)[0])


def kendall_tau(y_true, y_pred) -> float:
    """Kendall tau-b (``scipy.stats.kendalltau``); NaN if either side is constant."""
    a, b = _pair(y_true, y_pred)
    return _corr(stats.kendalltau, a, b)


def spearman(y_true, y_pred) -> float:
    """Spearman rank correlation (``scipy.stats.spearmanr``)."""
    a, b = _pair(y_true, y_pred)
    return _corr(stats.spearmanr, a, b)


def sparse_kendall_tau(y_true, y_pred, resolution: float = 0.001) -> float:
    """Kendall tau-b after rounding predictions to ``resolution`` (0.1 % of a fraction)."""
    a, b = _pair(y_true, y_pred)
    return kendall_tau(a, np.round(b / resolution) * resolution)


def precision_at_k(y_true, y_pred, k: int) -> float:
    """Fraction of the true top-k (largest) among the predicted top-k.

    Ties are broken by position (stable sort), so the result is deterministic.
    """
    a, b = _pair(y_true, y_pred)
    if not 1 <= k <= a.size:
        raise ValueError(f"k must be in 1..{a.size}, got {k}")
    true_top = np.argsort(-a, kind="stable")[:k]
    pred_top = np.argsort(-b, kind="stable")[:k]
    return len(np.intersect1d(true_top, pred_top)) / k


def r2(y_true, y_pred) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot (NaN if y_true is constant)."""
    a, b = _pair(y_true, y_pred)
    ss_tot = float(np.sum((a - a.mean()) ** 2))
    if a.size == 0 or ss_tot == 0.0:
        return float("nan")
    return 1.0 - float(np.sum((a - b) ** 2)) / ss_tot


def mae(y_true, y_pred) -> float:
    a, b = _pair(y_true, y_pred)
    return float(np.mean(np.abs(a - b))) if a.size else float("nan")


def coverage(y_true, mean, std, z: float = 1.0) -> float:
    """Fraction of targets inside ``mean ± z·std`` (±1σ: 0.683 if the std is calibrated)."""
    a, m = _pair(y_true, mean)
    s = np.asarray(std, dtype=np.float64).ravel()
    if s.size != a.size:
        raise ValueError(f"std has {s.size} values, expected {a.size}")
    return float(np.mean(np.abs(a - m) <= z * s)) if a.size else float("nan")


def expected_coverage(z: float) -> float:
    """Coverage of ``± z·σ`` for a Gaussian: the calibrated reference."""
    return float(stats.norm.cdf(z) - stats.norm.cdf(-z))


def all_metrics(y_true, y_pred, top_k: int | Sequence[int] = 10) -> dict[str, float]:
    """The standard metric set used by the evaluation: one ``precision_at_<k>`` per k of
    ``top_k`` (an int or several; each k clipped to the test size)."""
    a, b = _pair(y_true, y_pred)
    out = {
        "kendall_tau": kendall_tau(a, b),
        "spearman": spearman(a, b),
        "sparse_kendall_tau": sparse_kendall_tau(a, b),
    }
    for top in ((top_k,) if isinstance(top_k, int) else tuple(top_k)):
        k = max(1, min(top, a.size))
        out[f"precision_at_{top}"] = precision_at_k(a, b, k) if a.size else float("nan")
    out.update(r2=r2(a, b), mae=mae(a, b))
    return out
