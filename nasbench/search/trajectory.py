"""``EvalResult`` (what an evaluator returns) and ``Trajectory`` (the record of one run)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True, slots=True)
class EvalResult:
    """What an evaluator returns for one architecture."""

    arch: str  # canonical string
    num_blocks: int
    val_acc: float
    test_acc: float
    train_seconds: float
    predicted: bool = False


COLUMNS = ("index", "elapsed", "arch", "num_blocks", "val_acc", "test_acc", "train_seconds",
           "predicted", "best_val", "best_test", "best_index")


class Trajectory:
    """Per-evaluation record of one run (columnar). ``index`` is 1-based (= models so far);
    ``best_val`` is the best finite val_acc so far (first reached wins ties) and
    ``best_test`` the test_acc of that val-selected model; NaN before any finite val."""

    def __init__(self, meta: dict | None = None):
        self.meta = dict(meta or {})
        self._cols: dict[str, list] = {k: [] for k in
                                       ("elapsed", "arch", "num_blocks", "val_acc", "test_acc",
                                        "train_seconds", "predicted")}
        self.interrupted = False

    def append(self, result: EvalResult, elapsed: float) -> None:
        c = self._cols
        c["elapsed"].append(float(elapsed))
        c["arch"].append(result.arch)
        c["num_blocks"].append(int(result.num_blocks))
        c["val_acc"].append(float(result.val_acc))
        c["test_acc"].append(float(result.test_acc))
        c["train_seconds"].append(float(result.train_seconds))
        c["predicted"].append(bool(result.predicted))

    def extend(self, archs: Sequence[str], num_blocks, val, test, seconds, elapsed, predicted=None) -> None:
        """Append many evaluations at once (the vectorised replay path)."""
        n = len(archs)
        c = self._cols
        c["arch"].extend(archs)
        c["num_blocks"].extend(np.asarray(num_blocks, dtype=np.int64).tolist())
        c["val_acc"].extend(np.asarray(val, dtype=np.float64).tolist())
        c["test_acc"].extend(np.asarray(test, dtype=np.float64).tolist())
        c["train_seconds"].extend(np.asarray(seconds, dtype=np.float64).tolist())
        c["elapsed"].extend(np.asarray(elapsed, dtype=np.float64).tolist())
        c["predicted"].extend([False] * n if predicted is None else [bool(p) for p in predicted])

    def __len__(self) -> int:
        return len(self._cols["arch"])

    # ------------------------------------------------------------------ derived columns
    def arrays(self) -> dict[str, np.ndarray]:
        c = self._cols
        val = np.asarray(c["val_acc"], dtype=np.float64)
        test = np.asarray(c["test_acc"], dtype=np.float64)
        best_index = best_so_far(val)
        has = best_index >= 0
        safe = np.where(has, best_index, 0)
        return {
            "index": np.arange(1, len(val) + 1, dtype=np.int64),
            "elapsed": np.asarray(c["elapsed"], dtype=np.float64),
            "arch": np.asarray(c["arch"], dtype=object),
            "num_blocks": np.asarray(c["num_blocks"], dtype=np.int64),
            "val_acc": val, "test_acc": test,
            "train_seconds": np.asarray(c["train_seconds"], dtype=np.float64),
            "predicted": np.asarray(c["predicted"], dtype=bool),
            "best_val": np.where(has, val[safe] if len(val) else val, np.nan),
            "best_test": np.where(has, test[safe] if len(test) else test, np.nan),
            "best_index": np.where(has, best_index + 1, 0),
        }

    @property
    def best_val(self) -> float:
        a = self.arrays()
        return float(a["best_val"][-1]) if len(self) else math.nan

    @property
    def best_test(self) -> float:
        a = self.arrays()
        return float(a["best_test"][-1]) if len(self) else math.nan

    @property
    def best_arch(self) -> str | None:
        i = best_so_far(np.asarray(self._cols["val_acc"], dtype=np.float64))
        return self._cols["arch"][i[-1]] if len(i) and i[-1] >= 0 else None

    @property
    def elapsed(self) -> float:
        return self._cols["elapsed"][-1] if len(self) else 0.0

    @property
    def archs(self) -> list[str]:
        return list(self._cols["arch"])

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.arrays(), columns=list(COLUMNS))

    def to_parquet(self, path) -> None:
        """Write the frame; ``meta`` goes into the Parquet key-value metadata."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(self.to_frame(), preserve_index=False)
        meta = dict(self.meta, interrupted=self.interrupted)
        table = table.replace_schema_metadata(
            {b"nasbench.search": json.dumps(meta, sort_keys=True, default=str).encode()})
        pq.write_table(table, path)


def best_so_far(val: np.ndarray) -> np.ndarray:
    """0-based index of the running val-selected best (strictly greater replaces; NaN
    never selected); -1 before the first finite value."""
    n = len(val)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    v = np.where(np.isfinite(val), val, -np.inf)
    run = np.maximum.accumulate(v)
    prev = np.concatenate(([-np.inf], run[:-1]))
    new = v > prev
    return np.maximum.accumulate(np.where(new, np.arange(n), -1))


def iter_runs(df):
    """(algorithm, seed, run sorted by index) for each run of a harness frame."""
    for (algo, seed), run in df.groupby(["algorithm", "seed"], sort=True):
        yield algo, seed, run.sort_values("index")
