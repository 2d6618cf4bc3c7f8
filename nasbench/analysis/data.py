"""Load a table's runs for analysis and split the models into groups (design spaces).

Plain ``pandas.read_parquet``: the analysis reads any folder holding a ``runs.parquet`` with
the DESIGN.md schema; seeds are averaged by the one rule of :mod:`nasbench.tables.seeds`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasbench.tables import schema as S
from nasbench.tables.seeds import mean_over_seeds

#: Columns constant for an architecture within one table, kept as-is when averaging seeds.
ARCH_COLUMNS = tuple(c for c in S.IDENTITY_COLUMNS if c not in ("arch_hash", "epochs"))
#: Per-seed numbers averaged over seeds.
METRIC_COLUMNS = ("epochs",) + S.RUN_METRICS
#: Short names used in legends, e.g. "B=2".
SHORT = {"num_blocks": "B"}


def runs_file(path) -> Path:
    """``path/runs.parquet`` for a table folder, or ``path`` itself for a .parquet file."""
    p = Path(path)
    f = p / "runs.parquet" if p.is_dir() else p
    if not f.is_file():
        raise FileNotFoundError(f"no runs.parquet at {p}")
    return f


def load_runs(path, status: str | None = None):
    """One row per architecture, seeds averaged by the one rule of :mod:`nasbench.tables.seeds`
    (the values replay returns); ``status`` first keeps only runs of that status.

    ``ARCH_COLUMNS`` take their first value, numeric ``METRIC_COLUMNS`` their mean over the
    usable seeds, and ``n_seeds`` counts those seeds; archs that only failed are dropped.
    Averaging seeds before computing EDFs
    matches NDS (one point per model) and removes seed noise from comparisons. Raises
    ValueError when no run is left.
    """
    import pandas as pd

    df = pd.read_parquet(runs_file(path))
    if "arch_hash" not in df.columns:
        raise ValueError(f"{path}: runs.parquet has no 'arch_hash' column")
    if status is not None:
        if "status" not in df.columns:
            raise ValueError(f"{path}: runs.parquet has no 'status' column")
        df = df[df["status"] == status]
    if df.empty:
        raise ValueError(f"{path}: no runs with status {status!r}")
    means = [c for c in METRIC_COLUMNS if c in df.columns and pd.api.types.is_numeric_dtype(df[c])]
    out = mean_over_seeds(df, means, [c for c in ARCH_COLUMNS if c in df.columns])
    if "test_acc" in out.columns:  # an arch whose runs all failed has no metric to analyse
        out = out[np.isfinite(out["test_acc"].to_numpy(np.float64))]
    return out.drop(columns="n_ok").reset_index(drop=True)


def errors_of(df, metric: str = "test_acc") -> np.ndarray:
    """Error = 1 - accuracy for an accuracy column (fractions, as in the schema)."""
    if metric not in df.columns:
        acc = [c for c in df.columns if c.endswith("_acc")]
        raise ValueError(f"no column {metric!r}; accuracy columns: {', '.join(acc) or 'none'}")
    return 1.0 - df[metric].to_numpy(dtype=float)


def group_label(by: tuple[str, ...], key) -> str:
    """'B=2' for num_blocks=2; 'tableA/B=2' style for several keys; 'all' for no key."""
    keys = key if isinstance(key, tuple) else (key,)
    parts = [str(k) if col == "table" else f"{SHORT.get(col, col)}={k}" for col, k in zip(by, keys)]
    return "/".join(parts) or "all"


@dataclass(frozen=True)
class Groups:
    """Models of the kept groups: per-model ``labels``, ``errors``, ``frame`` rows.

    ``skipped`` maps labels of groups with too few models to their size.
    """

    frame: object  # pandas.DataFrame, rows of kept models
    labels: np.ndarray
    errors: np.ndarray
    order: tuple[str, ...]
    skipped: dict

    def mask(self, label: str) -> np.ndarray:
        return self.labels == label

    def complexity(self, column: str) -> np.ndarray:
        if column not in self.frame.columns:
            raise ValueError(f"no complexity column {column!r}; use params or flops")
        return self.frame[column].to_numpy(dtype=float)

    def uniform_weights(self) -> np.ndarray:
        """1 / (size of the model's group): every group's weights sum to 1."""
        _, inv, cnt = np.unique(self.labels, return_inverse=True, return_counts=True)
        return 1.0 / cnt[inv]


def split_groups(df, group_by=("num_blocks",), metric: str = "test_acc",
                 min_models: int = 5) -> Groups:
    """Group models by the ``group_by`` columns (empty: one group 'all'); skip small groups."""
    by = tuple([group_by] if isinstance(group_by, str) else group_by)
    missing = [c for c in by if c not in df.columns]
    if missing:
        raise ValueError(f"cannot group by missing column(s): {', '.join(missing)}")
    errors = errors_of(df, metric)
    keep = np.isfinite(errors)
    df, errors = df[keep], errors[keep]
    if df.empty:
        raise ValueError(f"no models with a finite {metric!r}")
    if by:
        keys = list(zip(*(df[c].tolist() for c in by)))
        labels = np.array([group_label(by, k) for k in keys], dtype=object).astype(str)
        sizes = {}
        for k, lab in sorted(zip(keys, labels.tolist()), key=lambda kl: kl[0]):
            sizes[lab] = sizes.get(lab, 0) + 1
    else:
        labels = np.full(len(df), "all")
        sizes = {"all": len(df)}
    order = tuple(lab for lab, n in sizes.items() if n >= min_models)
    skipped = {lab: n for lab, n in sizes.items() if n < min_models}
    if not order:
        raise ValueError(f"no group has at least {min_models} models (sizes: {sizes})")
    sel = np.isin(labels, order)
    return Groups(frame=df[sel].reset_index(drop=True), labels=labels[sel], errors=errors[sel],
                  order=order, skipped=skipped)


def load_tables(paths, status: str | None = None):
    """:func:`load_runs` of several tables, stacked, with a ``table`` column (folder name)."""
    import pandas as pd

    paths = list(paths)
    if not paths:
        raise ValueError("no table given")
    names = []
    for p in paths:
        f = runs_file(p)
        name = f.parent.name if f.name == "runs.parquet" else f.stem
        names.append(name if name not in names else f"{name}#{len(names)}")
    frames = [load_runs(p, status).assign(table=n) for p, n in zip(paths, names)]
    return pd.concat(frames, ignore_index=True)


def select(frame, where: str | None):
    """Rows of ``frame`` matching the pandas query ``where`` (all rows when None); a bad
    expression or an empty result is one ValueError line."""
    if not where:
        return frame
    try:
        out = frame.query(where)
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds for a bad expression
        raise ValueError(f"bad --where expression {where!r}: {' '.join(str(exc).split())}") from None
    if out.empty:
        raise ValueError(f"no model matches --where {where!r}")
    return out
