"""Random-search efficiency: the best error among n models drawn from a (weighted) EDF.

NDS plots the expected minimum error of n random models against n. Drawing n models with
replacement from the EDF, the minimum has an exact law by order statistics: with distinct
errors u_1 < ... < u_m and survival S_k = mass of errors >= u_k (S_{m+1} = 0),
P(min = u_k) = S_k^n - S_{k+1}^n, so ties are handled by merging equal errors. The paper's
simulation (draw, keep the min, repeat; mean +- 2 std) is :func:`simulate_min`.
"""
from __future__ import annotations

import numpy as np

from nasbench.analysis._util import as_rng, check_errors, check_weights
from nasbench.analysis.edf import EDF


def default_ns(n_models: int) -> np.ndarray:
    """1, 2, 4, ... up to the number of models (at least [1])."""
    return 2 ** np.arange(int(np.floor(np.log2(max(n_models, 1)))) + 1)


def _check_ns(ns) -> np.ndarray:
    n = np.atleast_1d(np.asarray(ns))
    if n.size == 0 or not np.issubdtype(n.dtype, np.integer) or np.any(n < 1):
        raise ValueError(f"n must be positive integers, got {ns!r}")
    return n.astype(np.int64)


def min_error_moments(errors, ns, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and std of the min error of n draws (with replacement), for each n."""
    d = EDF.from_samples(errors, weights)
    n = _check_ns(ns)
    s = np.append(d.survival, 0.0)
    pmf = s[None, :-1] ** n[:, None] - s[None, 1:] ** n[:, None]  # (len(ns), m)
    mean = pmf @ d.values
    var = np.maximum(pmf @ d.values**2 - mean**2, 0.0)
    return mean, np.sqrt(var)


def expected_min(errors, n, weights=None):
    """Exact E[min error of n random models]; scalar n gives a float, a sequence an array."""
    mean, _ = min_error_moments(errors, n, weights)
    return float(mean[0]) if np.ndim(n) == 0 else mean


def simulate_min(errors, ns, weights=None, n_trials: int = 1000,
                 rng: np.random.Generator | int = 0):
    """The paper's simulation: per n, draw n models by weight n_trials times, keep the min.

    Returns a DataFrame with n, mean, std, lo = mean - 2 std, hi = mean + 2 std.
    """
    import pandas as pd

    e = check_errors(errors)
    w = check_weights(weights, e.size)
    n = _check_ns(ns)
    if n_trials < 2:
        raise ValueError(f"n_trials must be >= 2, got {n_trials}")
    gen = as_rng(rng)
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    rows = []
    for k in n.tolist():
        idx = np.searchsorted(cdf, gen.random((n_trials, k)), side="right")
        mins = e[np.minimum(idx, e.size - 1)].min(axis=1)
        m, sd = mins.mean(), mins.std(ddof=1)
        rows.append({"n": k, "mean": m, "std": sd, "lo": m - 2 * sd, "hi": m + 2 * sd})
    return pd.DataFrame(rows)


def random_search_curve(errors, ns=None, weights=None, n_trials: int = 1000,
                        rng: np.random.Generator | int = 0):
    """Exact mean/std and the simulated band in one DataFrame (n defaults to 1, 2, 4, ...).

    Columns: n, exact_mean, exact_std, sim_mean, sim_std, lo, hi.
    """
    e = check_errors(errors)
    w = check_weights(weights, e.size)
    n = default_ns(int((w > 0).sum())) if ns is None else _check_ns(ns)
    mean, std = min_error_moments(e, n, w)
    sim = simulate_min(e, n, w, n_trials=n_trials, rng=rng)
    out = sim.rename(columns={"mean": "sim_mean", "std": "sim_std"})
    out.insert(1, "exact_mean", mean)
    out.insert(2, "exact_std", std)
    return out
