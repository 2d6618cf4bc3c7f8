"""Sample-size effects: how many models an EDF needs, and why point estimates mislead.

NDS: EDFs from ~10 models are noisy, ~100 usable, ~1,000 close to the full set (KS D against
the full set falls below 0.1). And the minimum error of 1,000 models beats that of 100 models
drawn from the SAME space ~90% of the time, while a KS test calls the two samples alike.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench.analysis._util import as_rng, check_errors
from nasbench.analysis.ks import ks_statistic


def default_sizes(n_models: int) -> list[int]:
    """10, 20, 50, 100, 200, 500, ... strictly below the number of models."""
    sizes = [m * 10**k for k in range(1, 7) for m in (1, 2, 5)]
    return [s for s in sizes if s < n_models]


def sample_size_curve(errors, sizes=None, n_repeats: int = 20,
                      rng: np.random.Generator | int = 0):
    """KS D between a size-n subsample (without replacement) and the full set, vs n.

    Returns a DataFrame with n, mean, std (over ``n_repeats`` subsamples), n_repeats.
    Unweighted: it measures how well n uniformly drawn models describe the whole space.
    """
    import pandas as pd

    e = check_errors(errors)
    sizes = default_sizes(e.size) if sizes is None else list(sizes)
    if not sizes:
        raise ValueError(f"no subsample size below the number of models ({e.size})")
    if min(sizes) < 1 or max(sizes) > e.size:
        raise ValueError(f"subsample sizes must lie in [1, {e.size}], got {sizes}")
    if n_repeats < 2:
        raise ValueError(f"n_repeats must be >= 2, got {n_repeats}")
    gen = as_rng(rng)
    rows = []
    for n in sizes:
        d = [ks_statistic(gen.choice(e, size=n, replace=False), e) for _ in range(n_repeats)]
        rows.append({"n": int(n), "mean": float(np.mean(d)), "std": float(np.std(d, ddof=1)),
                     "n_repeats": n_repeats})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class TrapResult:
    """Outcome of :func:`point_estimate_trap`; per-trial arrays plus summary properties."""

    small: int
    large: int
    min_small: np.ndarray
    min_large: np.ndarray
    pvalues: np.ndarray

    @property
    def n_trials(self) -> int:
        return self.pvalues.size

    @property
    def large_wins(self) -> float:
        """Fraction of trials where the large sample has the strictly lower min error."""
        return float(np.mean(self.min_large < self.min_small))

    @property
    def ties(self) -> float:
        return float(np.mean(self.min_large == self.min_small))

    def to_dict(self) -> dict:
        return {"small": self.small, "large": self.large, "n_trials": self.n_trials,
                "large_wins": self.large_wins, "ties": self.ties,
                "pvalue_median": float(np.median(self.pvalues)),
                "pvalue_mean": float(np.mean(self.pvalues)),
                "frac_pvalue_below_0.05": float(np.mean(self.pvalues < 0.05))}


def point_estimate_trap(errors, small: int = 100, large: int = 1000, n_trials: int = 1000,
                        rng: np.random.Generator | int = 0) -> TrapResult:
    """Draw two disjoint samples (sizes ``small``, ``large``) from one set, n_trials times.

    Records each sample's min error and the ``ks_2samp`` p-value between the two samples.
    """
    from scipy.stats import ks_2samp

    e = check_errors(errors)
    if small < 1 or large < 1 or small + large > e.size:
        raise ValueError(f"need small + large <= {e.size} models for disjoint samples, "
                         f"got small={small}, large={large}")
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    gen = as_rng(rng)
    mins, minl, ps = (np.empty(n_trials) for _ in range(3))
    for t in range(n_trials):
        idx = gen.permutation(e.size)
        a, b = e[idx[:small]], e[idx[small:small + large]]
        mins[t], minl[t], ps[t] = a.min(), b.min(), ks_2samp(a, b).pvalue
    return TrapResult(small, large, mins, minl, ps)


def trap_sizes(n_models: int, small: int = 100, large: int = 1000) -> tuple[int, int]:
    """The paper's 100 vs 1,000, shrunk keeping the 1:10 ratio when the set is smaller."""
    if small + large <= n_models:
        return small, large
    large = (n_models * 10) // 11
    return max(large // 10, 1), large
