"""Training data for predictors: a table's ``runs.parquet`` averaged over seeds, or arrays.

Reads Parquet with pandas directly; averages seeds per ``arch_hash`` by the one rule of
:mod:`nasbench.tables.seeds` and drops archs without a finite target.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from nasbench.predictors.base import check_targets
from nasbench.predictors.encoding import as_cells
from nasbench.space import parse_arch
from nasbench.tables.seeds import mean_over_seeds

#: Numeric run columns averaged over seeds when present.
MEAN_COLUMNS = ("params", "flops", "train_acc", "val_acc", "test_acc", "best_val_acc",
                "train_seconds", "eval_seconds")


def read_runs(table: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    """The runs DataFrame of a table folder (``<table>/runs.parquet``), a parquet file, or as is."""
    if isinstance(table, pd.DataFrame):
        return table
    path = os.fspath(table)
    if os.path.isdir(path):
        path = os.path.join(path, "runs.parquet")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no runs table at {path}")
    return pd.read_parquet(path)


def aggregate_runs(runs: pd.DataFrame, target: str | None = None) -> pd.DataFrame:
    """One row per architecture: its runs averaged over seeds by the one rule of
    :mod:`nasbench.tables.seeds` (the values replay returns), archs with a non-finite
    ``target`` mean (only failed runs) dropped.

    Columns: ``arch``, ``arch_hash``, ``num_blocks``, ``n_seeds`` and the means of
    :data:`MEAN_COLUMNS` present in ``runs``; sorted by ``arch_hash``.
    """
    missing = [c for c in ("arch", "arch_hash") if c not in runs.columns]
    if missing:
        raise ValueError(f"runs table lacks column(s) {', '.join(missing)}")
    if target is not None and target not in runs.columns:
        raise ValueError(f"runs table has no column {target!r}; columns: {', '.join(map(str, runs.columns))}")
    firsts = [c for c in ("arch", "num_blocks") if c in runs.columns]
    out = mean_over_seeds(runs, [c for c in MEAN_COLUMNS if c in runs.columns], firsts)
    if target is not None:
        out = out[np.isfinite(out[target].to_numpy(np.float64))]
    if out.empty:
        raise ValueError("no usable runs (a finite target) in the table")
    if "num_blocks" in out.columns:
        out["num_blocks"] = out["num_blocks"].astype(int)
    else:
        out["num_blocks"] = [parse_arch(a).num_blocks for a in out["arch"]]
    columns = ["arch_hash", "arch", "num_blocks", "n_seeds"] + [c for c in MEAN_COLUMNS if c in out.columns]
    return out[columns].reset_index(drop=True)


@dataclass(frozen=True)
class ArchData:
    """Architectures with one target each, plus optional complexity (``params``)."""

    cells: list
    y: np.ndarray
    params: np.ndarray | None = None

    def __post_init__(self):
        if self.params is not None and len(self.params) != len(self.cells):
            raise ValueError(f"got {len(self.cells)} architectures but {len(self.params)} params")

    @classmethod
    def from_arrays(cls, archs: Sequence, y: Sequence[float], params: Sequence[float] | None = None) -> "ArchData":
        cells = as_cells(archs)
        targets = check_targets(y, len(cells))
        p = None if params is None else np.asarray(params, dtype=np.float64)
        return cls(cells, targets, p)

    @classmethod
    def from_table(cls, table, target: str = "val_acc") -> "ArchData":
        """Seed-averaged data of a table folder / runs parquet / runs DataFrame."""
        per_arch = aggregate_runs(read_runs(table), target)
        params = per_arch["params"].to_numpy(float) if "params" in per_arch else None
        if params is not None and not np.all(np.isfinite(params)):
            params = None
        return cls.from_arrays(per_arch["arch"].tolist(), per_arch[target].to_numpy(float), params)

    def __len__(self) -> int:
        return len(self.cells)

    @property
    def num_blocks(self) -> np.ndarray:
        return np.array([c.num_blocks for c in self.cells], dtype=int)

    @property
    def hashes(self) -> list[str]:
        return [c.arch_hash for c in self.cells]

    def subset(self, idx: np.ndarray) -> "ArchData":
        idx = np.asarray(idx, dtype=int)
        params = None if self.params is None else self.params[idx]
        return ArchData([self.cells[i] for i in idx], self.y[idx], params)

    def complexity_map(self) -> dict[str, float]:
        """``arch_hash → params`` for the params baseline (empty without params)."""
        if self.params is None:
            return {}
        return {h: float(p) for h, p in zip(self.hashes, self.params)}
