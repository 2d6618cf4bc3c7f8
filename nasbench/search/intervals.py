"""Bootstrap 95% intervals over runs, shared by the Table-1 and held-out reports."""
from __future__ import annotations

import math

import numpy as np


def mean_ci(values, rng, n_boot: int = 1000) -> tuple[float, float]:
    """Bootstrap 95% percentile interval of the mean (NaN with fewer than 2 values)."""
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    if len(v) < 2:
        return math.nan, math.nan
    ci = stats.bootstrap((v,), np.mean, n_resamples=n_boot, method="percentile", rng=rng).confidence_interval
    return float(ci.low), float(ci.high)


def quantile_ci(boots: np.ndarray) -> tuple[float, float]:
    """The 2.5% and 97.5% points of bootstrap statistics (inf allowed: no interpolation)."""
    return tuple(float(np.quantile(boots, q, method="inverted_cdf")) for q in (0.025, 0.975))
