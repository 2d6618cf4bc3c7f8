"""Evaluation plots (PNG), drawn with matplotlib's object API on the Agg canvas.

No pyplot and no global backend switch, so plotting never touches process-wide state.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, ScalarFormatter

from nasbench.figures import save_png
from nasbench.predictors.metrics import kendall_tau


def _save(fig: Figure, path: str | os.PathLike) -> str:
    fig.tight_layout()
    return os.fspath(save_png(fig, path, dpi=110))


def plot_metric_vs_size(summary: pd.DataFrame, metric: str, path) -> str | None:
    """``metric`` (mean ± std over seeds) against train size, one line per predictor."""
    rows = summary[summary["protocol"] == "train_size"]
    if rows.empty or f"{metric}_mean" not in rows:
        return None
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    for name, grp in rows.groupby("predictor", sort=True):
        grp = grp.sort_values("train_size")
        ax.errorbar(grp["train_size"], grp[f"{metric}_mean"], yerr=grp[f"{metric}_std"].fillna(0),
                    marker="o", capsize=3, label=name)
    ax.set_xscale("log")
    ax.set_xticks(sorted(rows["train_size"].unique()))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training architectures")
    ax.set_ylabel(metric.replace("_", " "))
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_pred_vs_true(predictions: pd.DataFrame, path, protocol: str = "train_size") -> str | None:
    """Predicted vs true targets of the largest-train-size, first-seed run of each predictor."""
    rows = predictions[predictions["protocol"] == protocol] if len(predictions) else predictions
    if rows.empty:
        return None
    rows = rows[rows["train_size"] == rows.groupby("predictor")["train_size"].transform("max")]
    rows = rows[rows["seed"] == rows.groupby("predictor")["seed"].transform("min")]
    names = sorted(rows["predictor"].unique())
    fig = Figure(figsize=(3.2 * len(names), 3.3))
    for i, name in enumerate(names):
        grp = rows[rows["predictor"] == name]
        ax = fig.add_subplot(1, len(names), i + 1)
        ax.scatter(grp["y_true"], grp["y_pred"], s=8, alpha=0.6)
        lo = float(np.nanmin([grp["y_true"].min(), grp["y_pred"].min()]))
        hi = float(np.nanmax([grp["y_true"].max(), grp["y_pred"].max()]))
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
        ax.set_title(f"{name} (n={int(grp['train_size'].iloc[0])}, "
                     f"KT={kendall_tau(grp['y_true'], grp['y_pred']):.2f})", fontsize=9)
        ax.set_xlabel("true")
        if i == 0:
            ax.set_ylabel("predicted")
    return _save(fig, path)


def plot_extrapolation(summary: pd.DataFrame, metric: str, path) -> str | None:
    """Grouped bars: ``metric`` for training on <= b blocks and testing on b+1."""
    rows = summary[summary["protocol"] == "extrapolation"]
    if rows.empty:
        return None
    bs = sorted(rows["train_blocks"].unique())
    names = sorted(rows["predictor"].unique())
    width = 0.8 / len(names)
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    for j, name in enumerate(names):
        grp = rows[rows["predictor"] == name].set_index("train_blocks").reindex(bs)
        ax.bar(np.arange(len(bs)) + j * width, grp[f"{metric}_mean"],
               yerr=grp[f"{metric}_std"].fillna(0), width=width, capsize=2, label=name)
    ax.set_xticks(np.arange(len(bs)) + 0.4 - width / 2)
    ax.set_xticklabels([f"≤{int(b)} → {int(b) + 1}" for b in bs])
    ax.set_xlabel("train blocks → test blocks")
    ax.set_ylabel(metric.replace("_", " "))
    ax.legend()
    return _save(fig, path)


def plot_calibration(calibration: pd.DataFrame, path) -> str | None:
    """Observed vs expected coverage of mean ± z·std; the diagonal is perfect calibration."""
    if calibration.empty:
        return None
    fig = Figure(figsize=(4.5, 4.5))
    ax = fig.add_subplot()
    for keys, grp in calibration.groupby(["protocol", "predictor", "train_size", "train_blocks"],
                                         dropna=False, sort=True):
        protocol, name, size, b = keys
        label = f"{name} n={int(size)}" if protocol == "train_size" else f"{name} ≤{int(b)}→{int(b) + 1}"
        ax.plot(grp["expected"], grp["observed"], marker=".", label=label)
    ax.plot([0, 1], [0, 1], color="grey", lw=1)
    ax.set_xlabel("expected coverage (Gaussian)")
    ax.set_ylabel("observed coverage")
    ax.legend(fontsize=6)
    return _save(fig, path)
