"""Error empirical distribution functions (EDFs), optionally weighted.

NDS (Radosavovic et al., 2019) compares design spaces by the EDF of model errors,
F(e) = fraction of models with error < e; a weighted EDF replaces "fraction" by weight mass
(weights rescaled to sum to 1), which is how complexity normalization enters.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench.analysis._util import check_errors, check_weights


@dataclass(frozen=True)
class EDF:
    """A (weighted) EDF as a step function: distinct error ``values`` and their ``mass``.

    ``n`` counts the models with positive weight (what a legend should show).
    """

    values: np.ndarray
    mass: np.ndarray
    n: int

    @classmethod
    def from_samples(cls, errors, weights=None) -> "EDF":
        """Build from per-model errors and optional non-negative weights (equal if None)."""
        e = check_errors(errors)
        w = check_weights(weights, e.size)
        keep = w > 0
        values, inverse = np.unique(e[keep], return_inverse=True)
        mass = np.bincount(inverse, weights=w[keep], minlength=values.size)
        return cls(values=values, mass=mass / mass.sum(), n=int(keep.sum()))

    @property
    def cumulative(self) -> np.ndarray:
        """Mass of errors <= values[k] (right-continuous CDF at the sample points)."""
        c = np.cumsum(self.mass)
        c[-1] = 1.0
        return c

    @property
    def survival(self) -> np.ndarray:
        """Mass of errors >= values[k]."""
        return np.concatenate(([1.0], 1.0 - self.cumulative[:-1]))

    def __call__(self, e) -> np.ndarray:
        """F(e) = mass of errors strictly below e (the paper's definition), on any grid."""
        idx = np.searchsorted(self.values, np.asarray(e, dtype=float), side="left")
        return np.concatenate(([0.0], self.cumulative))[idx]

    def cdf(self, e) -> np.ndarray:
        """Mass of errors <= e (right-continuous version; equal to F except at jumps)."""
        idx = np.searchsorted(self.values, np.asarray(e, dtype=float), side="right")
        return np.concatenate(([0.0], self.cumulative))[idx]

    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) for ``step(x, y, where='post')``: starts at (values[0], 0), ends at 1."""
        x = np.concatenate((self.values[:1], self.values))
        y = np.concatenate(([0.0], self.cumulative))
        return x, y

    def quantile(self, q: float) -> float:
        """Smallest error whose cumulative mass reaches q (q in (0, 1])."""
        return float(self.values[min(np.searchsorted(self.cumulative, q - 1e-12), self.values.size - 1)])


def edf(errors, weights=None) -> EDF:
    """Shorthand for :meth:`EDF.from_samples`."""
    return EDF.from_samples(errors, weights)


def edf_on_grid(errors, grid, weights=None) -> np.ndarray:
    """F(e) = weight mass of errors < e, evaluated at each point of ``grid``."""
    return EDF.from_samples(errors, weights)(grid)
