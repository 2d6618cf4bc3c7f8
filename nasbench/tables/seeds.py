"""The one rule for averaging an architecture's seeds, used everywhere a per-arch number is
made from a table: ``Benchmark.query(seed=None)``, ``Benchmark.arch_means`` / ``best``, replay
(``Oracle``, ``ReplayEvaluator``), predictor training data and the design-space analysis.

Rule: an arch's *usable* runs are its runs with status ``ok``; an arch with no ok run uses all
of its recorded runs. Its value is the mean over the usable runs. So a seed that failed or
diverged next to ok seeds is left out; an arch that only diverged keeps its recorded (poor)
values, as a search that trains it would see them; an arch that only failed is NaN (no metric
was recorded), and callers that need a number drop it. Rows must be grouped by arch
(contiguous, as tables are: sorted by arch_hash then seed).
"""
from __future__ import annotations

from typing import Iterable

import numpy as np


def group_starts(keys: np.ndarray) -> np.ndarray:
    """Index of the first row of each run of equal consecutive ``keys``."""
    keys = np.asarray(keys)
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def usable_runs(ok: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows that enter an arch's mean (see the module rule)."""
    ok = np.asarray(ok, dtype=bool)
    if len(ok) == 0:
        return ok
    n_ok = np.add.reduceat(ok.astype(np.int64), starts)
    sizes = np.diff(np.r_[starts, len(ok)])
    return ok | np.repeat(n_ok == 0, sizes)


def seed_means(values: np.ndarray, usable: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per-arch mean of ``values`` over the usable rows (float64)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return np.zeros(0)
    total = np.add.reduceat(np.where(usable, values, 0.0), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / np.add.reduceat(usable.astype(np.int64), starts)


def mean_over_seeds(runs, means: Iterable[str], firsts: Iterable[str] = ()):
    """One row per ``arch_hash`` (sorted) of a runs DataFrame: the mean of each ``means``
    column over the usable runs, the first value of each ``firsts`` column, ``n_seeds`` (usable
    runs) and ``n_ok``. A frame without ``status`` counts every row as ok."""
    import pandas as pd

    frame = runs.sort_values("arch_hash", kind="stable").reset_index(drop=True)
    starts = group_starts(frame["arch_hash"].to_numpy())
    ok = (frame["status"] == "ok").to_numpy() if "status" in frame else np.ones(len(frame), bool)
    usable = usable_runs(ok, starts)
    out = {"arch_hash": frame["arch_hash"].to_numpy()[starts]}
    out.update({c: frame[c].to_numpy()[starts] for c in firsts})
    out.update({c: seed_means(pd.to_numeric(frame[c]).to_numpy(np.float64), usable, starts) for c in means})
    out["n_seeds"] = np.add.reduceat(usable.astype(np.int64), starts) if len(frame) else np.zeros(0, int)
    out["n_ok"] = np.add.reduceat(ok.astype(np.int64), starts) if len(frame) else np.zeros(0, int)
    return pd.DataFrame(out)
