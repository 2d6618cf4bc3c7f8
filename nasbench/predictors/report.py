"""The evaluation report: a README.md with summary tables and the plots, in ``out_dir``."""
from __future__ import annotations

import math
import os
from typing import Mapping

import pandas as pd

from nasbench import markdown
from nasbench.predictors import plots


def _fmt(value) -> str:
    if value is pd.NA:
        return "–"
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub markdown table of ``df`` (floats to 3 decimals, NaN as –)."""
    if df.empty:
        return "_(no rows)_\n"
    return markdown.table(df.columns, [[_fmt(v) for v in row] for row in df.itertuples(index=False)]) + "\n"


def _mean_pm_std(summary: pd.DataFrame, metric: str, column: str) -> pd.DataFrame:
    """Pivot ``metric`` to predictor × ``column`` cells reading "mean ± std"."""
    rows = summary.dropna(subset=[column])
    cells = rows.apply(lambda r: "–" if pd.isna(r[f"{metric}_mean"]) else
                       f"{r[f'{metric}_mean']:.3f} ± {0.0 if pd.isna(r[f'{metric}_std']) else r[f'{metric}_std']:.3f}",
                       axis=1)
    table = rows.assign(cell=cells).pivot(index="predictor", columns=column, values="cell")
    table.columns = [str(int(c)) for c in table.columns]
    return table.reset_index()


def write_report(out_dir: str | os.PathLike, frames: Mapping[str, pd.DataFrame],
                 meta: Mapping | None = None, command: str | None = None) -> str:
    """Draw the plots and write ``out_dir/README.md``, ending with ``command`` (what
    regenerates it); returns the README path."""
    meta = dict(meta or {})
    summary, preds, calib = frames["summary"], frames["predictions"], frames["calibration"]
    tops = meta.get("top_k", 10)
    tops = [f"precision_at_{k}" for k in ((tops,) if isinstance(tops, int) else tops)]
    lines = ["# Predictor evaluation", ""]
    if meta:
        lines += ["Settings: " + ", ".join(f"`{k}={v}`" for k, v in meta.items()), ""]
    lines += ["Metrics on held-out architectures, mean ± std over seeds. Kendall tau is tau-b; "
              "sparse KT rounds predictions to 0.001 (NAS-Bench-301); precision@k is the "
              "fraction of the true top-k among the predicted top-k (k × precision@k is the top-k "
              "overlap; PNAS keeps K = 8, 16 or 32 cells per step). `params` ranks by "
              "parameter count (a linear fit on log10 params). NaN (–) means a constant "
              "prediction.", ""]
    if "xgboost" in meta.get("models", ()):
        lines += ["XGBoost uses the NAS-Bench-301 defaults unless overridden: with "
                  "`min_child_weight=39` its trees cannot split on fewer than ~80 training rows, "
                  "so small train sizes give (near-)constant predictions.", ""]
    sweep = summary[summary["protocol"] == "train_size"] if len(summary) else summary
    if len(sweep):
        lines += ["## (a) Train-size sweep", ""]
        for metric in ("kendall_tau", "spearman", "sparse_kendall_tau", *tops, "r2"):
            if f"{metric}_mean" not in sweep:
                continue
            lines += [f"### {metric} by train size", "", markdown_table(_mean_pm_std(sweep, metric, "train_size"))]
            png = plots.plot_metric_vs_size(summary, metric, os.path.join(out_dir, f"{metric}_vs_size.png"))
            if png:
                lines += [f"![{metric} vs train size]({os.path.basename(png)})", ""]
        png = plots.plot_pred_vs_true(preds, os.path.join(out_dir, "pred_vs_true.png"))
        if png:
            lines += ["### Predicted vs true (largest train size, first seed)", "",
                      f"![predicted vs true]({os.path.basename(png)})", ""]
    ex = summary[summary["protocol"] == "extrapolation"] if len(summary) else summary
    lines += ["## (b) PNAS b → b+1: train on ≤ b blocks, test on b+1", ""]
    if len(ex):
        for metric in ("kendall_tau", "spearman", *tops):
            lines += [f"### {metric} (columns: b)", "", markdown_table(_mean_pm_std(ex, metric, "train_blocks"))]
        png = plots.plot_extrapolation(summary, "kendall_tau", os.path.join(out_dir, "extrapolation.png"))
        if png:
            lines += [f"![b to b+1]({os.path.basename(png)})", ""]
    else:
        lines += ["_(the data has no two consecutive block counts)_", ""]
    lines += ["## (c) Ensemble calibration", ""]
    if len(calib):
        one = calib[calib["z"].isin([1.0, 2.0])].copy()
        one["train_blocks"] = one["train_blocks"].astype("Int64")
        lines += ["Observed fraction of targets within mean ± z·std (Gaussian expectation: "
                  "0.683 at z=1, 0.954 at z=2).", "",
                  markdown_table(one[["protocol", "predictor", "train_size", "train_blocks", "z",
                                      "expected", "observed", "n"]])]
        png = plots.plot_calibration(calib, os.path.join(out_dir, "calibration.png"))
        if png:
            lines += [f"![calibration]({os.path.basename(png)})", ""]
    else:
        lines += ["_(no ensemble predictor evaluated)_", ""]
    lines += ["## Files", "", "`results.parquet` (one row per run), `summary.parquet`, "
              "`predictions.parquet` (test predictions of every run), `calibration.parquet`.", "",
              "## Regenerate", "", "```", command or "(written from Python: no command recorded)",
              "```", ""]
    path = os.path.join(out_dir, "README.md")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    return path
