"""Predictor evaluation: train-size sweep, the PNAS b → b+1 protocol, ensemble calibration.

(a) ``train_size_sweep``: a fixed held-out test split (``test_fraction``, ``split_seed``);
    for each train size and seed a random subset of the rest trains each predictor.
(b) ``extrapolation_eval``: train on all cells with <= b blocks, test on cells with exactly
    b+1 blocks (PNAS Sec. 5.1), for every b the data allows; seeds vary model randomness.
(c) ``calibration_table``: for predictors with ``predict_dist``, the observed fraction of
    targets inside mean ± z·std against the Gaussian expectation.
Every run yields a metrics row and its test predictions; :func:`run_evaluation` does all three
and writes Parquet, plots and a README (see ``report.py``).
"""
from __future__ import annotations

import os
import time
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from nasbench.predictors import create_predictor
from nasbench.progress import progress_bar
from nasbench.predictors.data import ArchData
from nasbench.predictors.metrics import all_metrics, coverage, expected_coverage

DEFAULT_SIZES = (20, 50, 100, 200, 500, None)  # None = all available
Z_GRID = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
KEYS = ["protocol", "predictor", "train_size", "train_blocks", "test_blocks"]


def _make(name: str, seed: int, data: ArchData, hparams: Mapping[str, Mapping]):
    hp = dict(hparams.get(name, {}))
    if name == "params":
        if data.params is None:
            raise ValueError("the params baseline needs a 'params' column / params array")
        hp.setdefault("complexity", data.complexity_map())
    else:
        hp.setdefault("random_state", seed)
    return create_predictor(name, **hp)


def _run(name: str, full: ArchData, train: ArchData, test: ArchData, seed: int,
         hparams: Mapping, top_k: int | Sequence[int], info: dict) -> tuple[dict, pd.DataFrame]:
    """Fit one predictor, score it on ``test``; a metrics row and a predictions frame."""
    model = _make(name, seed, full, hparams)
    t0 = time.perf_counter()
    model.fit(train.cells, train.y)
    t1 = time.perf_counter()
    if hasattr(model, "predict_dist"):
        mean, std = model.predict_dist(test.cells)
    else:
        mean, std = model.predict(test.cells), np.full(len(test), np.nan)
    t2 = time.perf_counter()
    row = dict(info, predictor=name, seed=seed, train_size=len(train), test_size=len(test))
    row.update(all_metrics(test.y, mean, top_k))
    has_std = bool(np.all(np.isfinite(std)))
    row["coverage_1sigma"] = coverage(test.y, mean, std, 1.0) if has_std else np.nan
    row["coverage_2sigma"] = coverage(test.y, mean, std, 2.0) if has_std else np.nan
    row["mean_std"] = float(np.mean(std)) if has_std else np.nan
    row["fit_seconds"], row["predict_seconds"] = t1 - t0, t2 - t1
    preds = pd.DataFrame({
        "protocol": info["protocol"], "predictor": name, "seed": seed, "train_size": len(train),
        "train_blocks": info["train_blocks"], "test_blocks": info["test_blocks"],
        "arch_hash": test.hashes, "num_blocks": test.num_blocks,
        "y_true": test.y, "y_pred": mean, "y_std": std})
    return row, preds


def _with_baseline(models: Sequence[str], data: ArchData, include_baseline: bool) -> list[str]:
    models = list(dict.fromkeys(models))
    if include_baseline and data.params is not None and "params" not in models:
        models.append("params")
    return models


def _grow(bar, more: int, done: int = 0) -> None:
    """Add ``more`` to the bar's total and ``done`` to its count (no bar: nothing)."""
    if bar is not None:
        bar.total = (bar.total or 0) + more
        bar.update(done) if done else bar.refresh()


def train_size_sweep(data: ArchData, models: Sequence[str], sizes: Iterable = DEFAULT_SIZES,
                     seeds: int = 5, test_fraction: float = 0.2, split_seed: int = 0,
                     hparams: Mapping | None = None, top_k: int | Sequence[int] = 10,
                     include_baseline: bool = True, bar=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, predictions) of the train-size sweep; see the module docstring. ``bar``: a
    progress bar (``nasbench.progress``) that counts fitted predictors."""
    hparams = hparams or {}
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n = len(data)
    n_test = max(2, int(round(test_fraction * n)))
    if n - n_test < 2:
        raise ValueError(f"too few architectures ({n}) for a train/test split")
    order = np.random.default_rng(split_seed).permutation(n)
    test_idx, pool = order[:n_test], order[n_test:]
    wanted = []
    for s in sizes:
        if s is None or str(s).lower() == "all":
            wanted.append(len(pool))
        elif int(s) < 2:
            raise ValueError(f"train sizes must be >= 2, got {s}")
        else:
            wanted.append(min(int(s), len(pool)))
    test = data.subset(test_idx)
    rows, preds = [], []
    info = dict(protocol="train_size", train_blocks=np.nan, test_blocks=np.nan)
    names = _with_baseline(models, data, include_baseline)
    _grow(bar, len(set(wanted)) * seeds * len(names))
    for size in sorted(set(wanted)):
        for seed in range(seeds):
            rng = np.random.default_rng([split_seed, seed, size])
            train = data.subset(rng.choice(pool, size=size, replace=False))
            for name in names:
                row, p = _run(name, data, train, test, seed, hparams, top_k, info)
                rows.append(row)
                preds.append(p)
                _grow(bar, 0, 1)
    return pd.DataFrame(rows), pd.concat(preds, ignore_index=True)


def extrapolation_eval(data: ArchData, models: Sequence[str], seeds: int = 5,
                       hparams: Mapping | None = None, top_k: int | Sequence[int] = 10,
                       include_baseline: bool = True, bar=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, predictions) of the PNAS protocol: train on <= b blocks, test on b+1."""
    hparams = hparams or {}
    nb = data.num_blocks
    rows, preds = [], []
    names = _with_baseline(models, data, include_baseline)
    for b in sorted(set(nb.tolist())):
        train_idx, test_idx = np.flatnonzero(nb <= b), np.flatnonzero(nb == b + 1)
        if len(train_idx) < 2 or len(test_idx) < 2:
            continue
        train, test = data.subset(train_idx), data.subset(test_idx)
        info = dict(protocol="extrapolation", train_blocks=float(b), test_blocks=float(b + 1))
        _grow(bar, seeds * len(names))
        for seed in range(seeds):
            for name in names:
                row, p = _run(name, data, train, test, seed, hparams, top_k, info)
                rows.append(row)
                preds.append(p)
                _grow(bar, 0, 1)
    if not rows:
        return pd.DataFrame(columns=KEYS + ["seed"]), pd.DataFrame()
    return pd.DataFrame(rows), pd.concat(preds, ignore_index=True)


def calibration_table(predictions: pd.DataFrame, z_grid: Sequence[float] = Z_GRID) -> pd.DataFrame:
    """Observed vs Gaussian-expected coverage of mean ± z·std, pooled over seeds."""
    cols = KEYS + ["z", "expected", "observed", "n"]
    if predictions.empty or not np.isfinite(predictions["y_std"]).any():
        return pd.DataFrame(columns=cols)
    with_std = predictions[np.isfinite(predictions["y_std"])]
    out = []
    for keys, grp in with_std.groupby(KEYS, dropna=False, sort=True):
        err = np.abs(grp["y_true"] - grp["y_pred"]).to_numpy()
        std = grp["y_std"].to_numpy()
        for z in z_grid:
            out.append(dict(zip(KEYS, keys), z=z, expected=expected_coverage(z),
                            observed=float(np.mean(err <= z * std)), n=len(grp)))
    return pd.DataFrame(out, columns=cols)


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds of every metric, per protocol / predictor / setting."""
    if results.empty:
        return pd.DataFrame()
    skip = set(KEYS) | {"seed"}
    metrics = [c for c in results.columns if c not in skip and pd.api.types.is_numeric_dtype(results[c])]
    grouped = results.groupby(KEYS, dropna=False, sort=True)
    mean = grouped[metrics].mean().add_suffix("_mean")
    std = grouped[metrics].std(ddof=1).add_suffix("_std")
    out = pd.concat([mean, std], axis=1)
    out.insert(0, "n_runs", grouped.size())
    ordered = ["n_runs"] + [f"{m}_{s}" for m in metrics for s in ("mean", "std")]
    return out[ordered].reset_index()


def run_evaluation(source, models: Sequence[str], out_dir: str | os.PathLike | None = None,
                   sizes: Iterable = DEFAULT_SIZES, seeds: int = 5, target: str = "val_acc",
                   hparams: Mapping | None = None, test_fraction: float = 0.2, split_seed: int = 0,
                   top_k: int | Sequence[int] = 10, extrapolation: bool = True, include_baseline: bool = True,
                   command: str | None = None, progress: bool | None = False) -> dict[str, pd.DataFrame]:
    """Sweep + b → b+1 + calibration on a table (folder/DataFrame) or an :class:`ArchData`.

    With ``out_dir``: writes ``results.parquet``, ``summary.parquet``, ``predictions.parquet``,
    ``calibration.parquet``, PNG plots and ``README.md`` (ending with ``command``, what
    regenerates it). Returns the DataFrames.
    """
    from nasbench.predictors import get_predictor_class

    for name in models:
        get_predictor_class(name)  # fail fast on unknown names
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {seeds}")
    data = source if isinstance(source, ArchData) else ArchData.from_table(source, target)
    bar = progress_bar(total=0, desc="predictor fits", enabled=progress, unit="fit")
    results, preds = train_size_sweep(data, models, sizes, seeds, test_fraction, split_seed,
                                      hparams, top_k, include_baseline, bar)
    if extrapolation:
        ex_results, ex_preds = extrapolation_eval(data, models, seeds, hparams, top_k, include_baseline,
                                                  bar)
        if not ex_results.empty:
            results = pd.concat([results, ex_results], ignore_index=True)
            preds = pd.concat([preds, ex_preds], ignore_index=True)
    bar.close()
    frames = {"results": results, "summary": summarize(results), "predictions": preds,
              "calibration": calibration_table(preds)}
    if out_dir is not None:
        from nasbench.predictors.report import write_report

        os.makedirs(out_dir, exist_ok=True)
        for key, frame in frames.items():
            frame.to_parquet(os.path.join(out_dir, f"{key}.parquet"), index=False)
        write_report(out_dir, frames, dict(target=target, models=list(models), seeds=seeds,
                                           test_fraction=test_fraction, split_seed=split_seed,
                                           top_k=top_k, n_archs=len(data),
                                           hparams=dict(hparams or {})), command)
    return frames
