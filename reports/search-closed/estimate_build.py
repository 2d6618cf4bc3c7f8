"""Wall-time estimate of the closed table's build (every pnas4 B1 cell x 3 seeds, every B2 cell x 2
seeds) from the shipped table's measured seconds, before spending hours on it.

Per-run cost = train_seconds + eval_seconds of the shipped `digits` table (same machine class,
one thread per worker). B1: the 36 pnas4 B1 cells are all in the shipped table (3 seeds), so
their cost is measured. B2: a non-negative least-squares model of cost on op counts (the one
`TableSurrogate` uses for replay) fitted on all shipped runs, predicted for the 2,178 B2 cells
and checked on the shipped B2 rows whose ops lie in the subset. Wall = work / workers + start-up.
Usage: PYTHONPATH=. python reports/search-closed/estimate_build.py [--workers 2] [--table tables/digits-pnas]
"""
from __future__ import annotations

import argparse

import numpy as np
from scipy.optimize import nnls

from nasbench.predictors.encoding import as_cells
from nasbench.predictors.surrogate import time_features
from nasbench.space import get_space
from nasbench.tables.benchmark import Benchmark


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default="tables/digits-pnas")
    ap.add_argument("--space", default="pnas4")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", default="1=3,2=2", help="seeds per B, e.g. 1=3,2=2")
    args = ap.parse_args()
    seeds = {int(b): int(n) for b, n in (part.split("=") for part in args.seeds.split(","))}
    space = get_space(args.space)
    runs = Benchmark.open(args.table).runs
    runs = runs[runs.status == "ok"].assign(cost=lambda r: r.train_seconds + r.eval_seconds)
    X = time_features(as_cells(runs.arch.tolist()))
    coef, _ = nnls(X, runs.cost.to_numpy(float))
    inside = runs[runs.arch.map(lambda a: set(as_cells([a])[0].ops()) <= set(space.ops))]
    total = 0.0
    print(f"space {space.name} ({', '.join(space.ops)}); costs from {args.table} "
          f"(train + eval seconds per run, device {', '.join(runs.device.unique())})")
    for b, n_seeds in sorted(seeds.items()):
        cells = list(space.enumerate(b))
        predicted = time_features([c.to_pnas() for c in cells]) @ coef
        measured = inside[inside.num_blocks == b]
        line = (f"B{b}: {len(cells):,} cells x {n_seeds} seeds, predicted {predicted.mean():.2f} s/run")
        if len(measured):
            check = time_features(as_cells(measured.arch.tolist())) @ coef
            line += (f"; measured on {measured.arch.nunique()} shipped cells: {measured.cost.mean():.2f} s/run "
                     f"(model says {check.mean():.2f} on them)")
        if measured.arch.nunique() == len(cells):  # the whole level is measured: use it
            per_cell = measured.groupby("arch").cost.mean().to_numpy()
            work = per_cell.sum() * n_seeds
        else:
            work = predicted.sum() * n_seeds
        total += work
        print(line + f"; work {work / 3600:.2f} core-hours")
    startup = 3.5 * args.workers + 60  # spawned workers' import torch + compaction (protocol-tradeoffs.md)
    wall = total / args.workers + startup
    print(f"total work {total / 3600:.2f} core-hours; wall on {args.workers} workers ~ {wall / 3600:.2f} h "
          f"({len(runs):,} shipped runs, NNLS on op counts)")


if __name__ == "__main__":
    main()
