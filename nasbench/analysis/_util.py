"""Input checks shared by the analysis modules: one-line ValueErrors, explicit rngs."""
from __future__ import annotations

import numpy as np


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A Generator from a Generator or an int seed (None is refused: results must be seeded)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        raise ValueError("rng must be a numpy Generator or an int seed, got None")
    return np.random.default_rng(rng)


def check_errors(errors, name: str = "errors") -> np.ndarray:
    """1-D finite float array, non-empty."""
    arr = np.asarray(errors, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: no models selected")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_weights(weights, n: int, name: str = "weights") -> np.ndarray:
    """Non-negative finite weights of length n, rescaled to sum to 1 (None means equal)."""
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise ValueError(f"{name} has shape {w.shape}, expected ({n},)")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"{name} must be finite and non-negative")
    total = w.sum()
    if total <= 0:
        raise ValueError(f"{name} sum to 0: no model has positive weight")
    return w / total
