"""Fit and predict time of each predictor on N synthetic rows (default 5,000).

Cells come from ``pnas.sample`` over b = 1..5 (equal shares); the target is a known function
of the ops (mean op weight + noise), so the held-out Kendall tau is printed as a sanity check.
Target: XGBoost fit <= ~10 s on 2 cores. Run:

    python benchmarks/predictor_speed.py [--rows 5000] [--threads 1] [--models lstm,xgboost]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

OP_WEIGHT = np.array([0.004, 0.017, 0.021, 0.0, 0.007, 0.030, 0.037, 0.043])


def make_data(rows: int, seed: int = 0):
    from nasbench.space import pnas

    per_b = [rows // 5 + (1 if i < rows % 5 else 0) for i in range(5)]
    cells = [c for b, n in enumerate(per_b, start=1) for c in pnas.sample(b, n, seed=seed + b)]
    rng = np.random.default_rng(seed)
    cells = [cells[i] for i in rng.permutation(len(cells))]
    y = np.array([0.6 + OP_WEIGHT[[op for blk in c.canonical_blocks for op, _ in blk]].mean() * 5
                  for c in cells]) + rng.normal(0, 0.002, len(cells))
    return cells, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--test-rows", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1, help="torch and xgboost threads")
    parser.add_argument("--models", default="xgboost,lstm,mlp_ensemble,params")
    args = parser.parse_args()

    import torch

    from nasbench.predictors import create_predictor
    from nasbench.predictors.metrics import kendall_tau

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    cells, y = make_data(args.rows + args.test_rows)
    print(f"data: {args.rows} train + {args.test_rows} test cells (b=1..5) in "
          f"{time.perf_counter() - t0:.1f} s; threads={args.threads}")
    train, y_train = cells[: args.rows], y[: args.rows]
    test, y_test = cells[args.rows:], y[args.rows:]
    print(f"{'predictor':14s} {'fit_s':>8s} {'predict_s':>10s} {'rows/s':>10s} {'test_KT':>8s}")
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        if name == "params":  # complexity stand-in: op count weighted like a param count
            hp = {"complexity": {c.arch_hash: 1.0 + sum(op + 1 for blk in c.canonical_blocks for op, _ in blk)
                                 for c in cells}}
        elif name == "xgboost":
            hp = {"n_jobs": args.threads}
        else:
            hp = {}
        model = create_predictor(name, **hp)
        t0 = time.perf_counter()
        model.fit(train, y_train)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.predict(train)
        pred_s = time.perf_counter() - t0
        tau = kendall_tau(y_test, model.predict(test))
        print(f"{name:14s} {fit_s:8.2f} {pred_s:10.3f} {args.rows / pred_s:10.0f} {tau:8.3f}", flush=True)


if __name__ == "__main__":
    main()
