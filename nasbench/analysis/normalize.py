"""Complexity-normalized weights (the NDS paper's released-notebook recipe).

Spaces differ in how their models spread over params/FLOPs, and error falls with
complexity, so raw EDFs partly compare complexity. NDS reweights models so every space has
the same (uniform-over-bins) complexity distribution: bin the common complexity range into
equal-width bins and give a model of space s in bin b the weight 1 / (n_sb * n_bins), where
n_sb counts the models of space s in bin b. Each space's weights then sum to 1.

Range handling (documented choices):
* the default range is the overlap of the spaces' ranges, [max of minima, min of maxima];
  models outside the range get weight 0 (dropped) and their count is reported;
* every bin must hold at least one model of every space. ``empty='raise'`` (default) raises
  a ValueError naming the first empty bin and space; ``empty='drop'`` removes such bins for
  all spaces (their models get weight 0) and normalizes over the remaining bins, so the
  spaces still share one complexity distribution, just on fewer bins.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALES = ("linear", "log")
EMPTY = ("raise", "drop")


@dataclass(frozen=True)
class Normalization:
    """Weights and the binning behind them.

    ``weights``: per model, sum to 1 within each space (0 for dropped models).
    ``bin_index``: per model, its bin in 0..n_bins-1, or -1 when dropped (usable as
    permutation strata). ``counts[s, b]``: models of ``spaces[s]`` in bin b before dropping.
    """

    weights: np.ndarray
    bin_index: np.ndarray
    edges: np.ndarray
    spaces: tuple[str, ...]
    counts: np.ndarray
    dropped_bins: tuple[int, ...]
    n_out_of_range: int
    scale: str

    @property
    def n_bins(self) -> int:
        return self.edges.size - 1

    def to_dict(self) -> dict:
        """JSON-friendly summary."""
        return {
            "scale": self.scale,
            "edges": self.edges.tolist(),
            "spaces": list(self.spaces),
            "counts": self.counts.tolist(),
            "dropped_bins": list(self.dropped_bins),
            "n_out_of_range": self.n_out_of_range,
            "n_weighted": int((self.weights > 0).sum()),
        }


def _transform(c: np.ndarray, scale: str) -> np.ndarray:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    if scale == "log":
        if np.any(c <= 0):
            raise ValueError("log-scale bins need positive complexity values")
        return np.log(c)
    return c


def complexity_weights(complexity, labels, bins: int = 10, scale: str = "linear",
                       range: tuple[float, float] | None = None,  # noqa: A002 (numpy's name)
                       empty: str = "raise") -> Normalization:
    """Per-model weights that equalize the complexity distribution across spaces.

    ``complexity``: params or FLOPs per model; ``labels``: the space (group) of each model;
    ``bins``: number of equal-width bins (in log space when ``scale='log'``); ``range``:
    (lo, hi) in complexity units, default the overlap of all spaces; ``empty``: 'raise' or
    'drop' (see module docstring).
    """
    c = np.asarray(complexity, dtype=float)
    lab = np.asarray(labels).astype(str)
    if c.ndim != 1 or c.size == 0:
        raise ValueError("complexity must be a non-empty 1-D array")
    if lab.shape != c.shape:
        raise ValueError(f"labels have shape {lab.shape}, complexity has {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("complexity contains NaN or infinite values")
    if int(bins) < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    if empty not in EMPTY:
        raise ValueError(f"empty must be one of {EMPTY}, got {empty!r}")
    bins = int(bins)
    t = _transform(c, scale)
    spaces = tuple(dict.fromkeys(lab.tolist()))
    if range is None:
        lo = max(t[lab == s].min() for s in spaces)
        hi = min(t[lab == s].max() for s in spaces)
    else:
        lo, hi = _transform(np.asarray(range, dtype=float), scale)
    if not hi > lo:
        raise ValueError(f"complexity range is empty (lo={_back(lo, scale):.6g} >= "
                         f"hi={_back(hi, scale):.6g}): the spaces' complexity ranges do not overlap")
    edges_t = np.linspace(lo, hi, bins + 1)
    inside = (t >= lo) & (t <= hi)
    b = np.clip(np.searchsorted(edges_t, t, side="right") - 1, 0, bins - 1)
    b = np.where(inside, b, -1)
    counts = np.array([np.bincount(b[(lab == s) & inside], minlength=bins) for s in spaces])
    edges = _back(edges_t, scale)
    empty_bins = np.flatnonzero((counts == 0).any(axis=0))
    if empty_bins.size and empty == "raise":
        k = int(empty_bins[0])
        s = spaces[int(np.flatnonzero(counts[:, k] == 0)[0])]
        raise ValueError(f"complexity bin {k} [{edges[k]:.6g}, {edges[k + 1]:.6g}] has no models "
                         f"of space {s!r}; use fewer bins, another range, or empty='drop'")
    b = np.where(np.isin(b, empty_bins), -1, b)
    kept_bins = bins - empty_bins.size
    if kept_bins == 0:
        raise ValueError("every complexity bin is empty for some space; nothing to normalize")
    pos = {s: i for i, s in enumerate(spaces)}
    space_idx = np.fromiter((pos[s] for s in lab.tolist()), dtype=int, count=lab.size)
    n_sb = counts[space_idx, np.maximum(b, 0)]
    weights = np.where(b >= 0, 1.0 / (np.maximum(n_sb, 1) * kept_bins), 0.0)
    return Normalization(weights=weights, bin_index=b, edges=edges, spaces=spaces,
                         counts=counts, dropped_bins=tuple(int(k) for k in empty_bins),
                         n_out_of_range=int((~inside).sum()), scale=scale)


def _back(t, scale: str):
    return np.exp(t) if scale == "log" else t
