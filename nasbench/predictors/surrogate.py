"""``TableSurrogate``: predicted metrics for cells missing from a table (replay ``miss='surrogate'``).

Fitted on a table's runs (ok runs averaged over seeds): one predictor for ``val_acc`` and one
for ``test_acc`` (any registered predictor, XGBoost by default), plus a train-time model.
The Oracle calls exactly :meth:`TableSurrogate.predict_metrics`.

Train time: an unseen cell's params/FLOPs are unknown without building its model, so
``train_seconds`` is regressed on architecture features instead: non-negative least squares
on an intercept and the count of each op (each op instance adds a non-negative cost), which
keeps predictions >= 0 and extrapolates sensibly to more blocks.
"""
from __future__ import annotations

import os
from typing import Iterable

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from nasbench.predictors import create_predictor
from nasbench.predictors.base import Predictor, load_arrays, save_arrays
from nasbench.predictors.data import aggregate_runs, read_runs
from nasbench.predictors.encoding import as_cells, space_of_cells

TARGETS = ("val_acc", "test_acc")


def time_features(cells) -> np.ndarray:
    """What the cells' space gives as cost features (``Space.cost_features``): an intercept
    and the op counts of each cell (``[n, 1 + NUM_OPS]`` for PNAS; both cells' ops for a
    two-cell space); for a network family the total depth and a per-stage depth x width^2 cost."""
    return space_of_cells(cells).cost_features(cells)


class TableSurrogate:
    """Predicts ``val_acc``, ``test_acc`` and ``train_seconds`` of any cell from a table."""

    def __init__(self, predictor: str = "xgboost", random_state: int = 0, **hparams):
        self.predictor = predictor
        self.random_state = random_state
        self.hparams = hparams

    def fit(self, runs: pd.DataFrame | str | os.PathLike) -> "TableSurrogate":
        """Fit on a runs DataFrame (or a table folder / runs parquet)."""
        per_arch = aggregate_runs(read_runs(runs))
        for col in TARGETS + ("train_seconds",):
            if col not in per_arch:
                raise ValueError(f"runs table has no column {col!r}")
        self.models_: dict[str, Predictor] = {}
        for target in TARGETS:
            rows = per_arch[np.isfinite(per_arch[target])]
            if rows.empty:
                raise ValueError(f"no finite {target} values to fit the surrogate on")
            hp = dict(self.hparams)
            if "random_state" in create_predictor(self.predictor).get_params():
                hp.setdefault("random_state", self.random_state)
            self.models_[target] = create_predictor(self.predictor, **hp).fit(
                rows["arch"].tolist(), rows[target].to_numpy(float))
        recorded = np.isfinite(per_arch[list(TARGETS)].to_numpy(float)).all(axis=1)  # not failed-only
        rows = per_arch[np.isfinite(per_arch["train_seconds"]) & recorded]
        if rows.empty:
            raise ValueError("no finite train_seconds values to fit the train-time model on")
        X = time_features(as_cells(rows["arch"].tolist()))
        self.time_coef_, _ = nnls(X, rows["train_seconds"].to_numpy(float))
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise ValueError("this TableSurrogate is not fitted yet; call fit(runs) first")

    def predict_metrics(self, cells: Iterable) -> dict[str, np.ndarray]:
        """``{'val_acc', 'test_acc', 'train_seconds'}`` → arrays, one value per cell.

        Accuracies are clipped to [0, 1]; seconds are >= 0 by construction.
        """
        self._check_fitted()
        cells = as_cells(cells, "cells")
        out = {t: np.clip(self.models_[t].predict(cells), 0.0, 1.0) for t in TARGETS}
        out["train_seconds"] = time_features(cells) @ self.time_coef_
        return out

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted surrogate to one npz file."""
        self._check_fitted()
        arrays = {"surrogate/time_coef": self.time_coef_,
                  "surrogate/random_state": np.array(self.random_state)}
        for target, model in self.models_.items():
            arrays.update({f"{target}/{k}": v for k, v in model.to_arrays().items()})
        save_arrays(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TableSurrogate":
        arrays = load_arrays(path)
        if "surrogate/time_coef" not in arrays:
            raise ValueError(f"{path} is not a saved TableSurrogate")
        models = {}
        for target in TARGETS:
            prefix = f"{target}/"
            models[target] = Predictor.from_arrays(
                {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
        first = models[TARGETS[0]]
        params = first.get_params()
        params.pop("random_state", None)
        obj = cls(first.name, int(arrays["surrogate/random_state"]), **params)
        obj.models_ = models
        obj.time_coef_ = np.asarray(arrays["surrogate/time_coef"], dtype=float)
        return obj
