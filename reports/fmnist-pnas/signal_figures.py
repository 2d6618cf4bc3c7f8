"""Signal figures of a table per block count, as Markdown (the numbers in this report's notes).

Per block count: cells, seeds per cell, seed-to-seed Spearman of val accuracy overall and in
the top quartile (nasbench.tables.signal, the figures `nasbench info` prints, with a bootstrap
95 % interval over cells), the same top quartile chosen on a seed that the correlation does
not use (free of the selection bias of picking the quartile on the same seeds), val-test
Spearman of seed means in the top quartile, the Spearman-Brown reliability of the seed mean
that the table ships, and collapsed runs.

Usage: PYTHONPATH=. python reports/fmnist-pnas/signal_figures.py tables/fmnist-pnas [tables/digits-pnas]
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from nasbench.tables.signal import (FINISHED, collapsed_mask, held_out_top_quartile, seed_correlation,
                                    spearman, top_quartile)


def _boot(runs: pd.DataFrame, archs, n: int = 500, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    archs = np.asarray(list(archs))
    vals = []
    for _ in range(n):
        pick = rng.choice(archs, size=len(archs), replace=True)
        sub = pd.concat([runs[runs.arch_hash == a].assign(arch_hash=f"{a}#{i}") for i, a in enumerate(pick)])
        rho = seed_correlation(sub, "val_acc")["rho"]
        if rho is not None:
            vals.append(rho)
    return (float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))) if vals else (np.nan, np.nan)


def level_rows(path: str) -> list[list]:
    runs = pd.read_parquet(f"{path}/runs.parquet")
    curves = pd.read_parquet(f"{path}/curves.parquet", columns=["arch_hash", "seed", "epoch", "train_loss"])
    collapsed = collapsed_mask(runs, curves, num_classes=10)
    rows = []
    for b, lv in runs.groupby("num_blocks"):
        seeds = lv.groupby("arch_hash").seed.nunique()
        k = int(seeds.median())
        overall = seed_correlation(lv, "val_acc")
        top = top_quartile(lv)
        tq = seed_correlation(lv, "val_acc", top)
        lo, hi = _boot(lv, top) if tq["rho"] is not None else (np.nan, np.nan)
        means = lv[lv.status.isin(FINISHED)].groupby("arch_hash")[["val_acc", "test_acc"]].mean()
        vt = spearman(means.loc[top, "val_acc"], means.loc[top, "test_acc"]) if len(top) >= 3 else np.nan
        r = tq["rho"]
        brown = k * r / (1 + (k - 1) * r) if r is not None and r > 0 else np.nan
        ho = held_out_top_quartile(lv)
        fmt = lambda v: "—" if v is None or not np.isfinite(v) else f"{v:.2f}"  # noqa: E731
        rows.append([f"B{b}", len(seeds), k, fmt(overall["rho"]), f"{fmt(r)} [{fmt(lo)}, {fmt(hi)}]",
                     len(top), fmt(ho), fmt(vt), fmt(brown), int(collapsed[lv.index].sum()),
                     f"{means.val_acc.max():.4f}", f"{means.val_acc.median():.4f}"])
    return rows


def main() -> None:
    head = ["level", "cells", "seeds", "seed rho", "seed rho top25% [95% CI]", "top cells",
            "top25% rho, held-out pick", "val-test rho top25%", f"reliability of the k-seed mean",
            "collapsed", "best val", "median val"]
    for path in sys.argv[1:]:
        print(f"\n`{path}`\n")
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in level_rows(path):
            print("| " + " | ".join(map(str, r)) + " |")


if __name__ == "__main__":
    main()
