"""Replay speed: 500 random-search runs x 1,000 evaluations against a table (target <= ~5 s).

    python benchmarks/replay_speed.py [--table TABLE] [--runs 500] [--evals 1000]

Without --table a synthetic table (all 136 B1 cells + 5,000 sampled B2 cells, 2 seeds) is
written to a temp folder first (not timed). Each run is the real ``random`` algorithm on a
fresh ``ReplayEvaluator(bench, miss='restrict')`` (seed mean), recording a full
Trajectory. The fast path is the evaluator's precomputed per-arch numpy arrays plus
chunked vectorised lookups; for comparison a few runs go through ``Oracle.evaluate`` one
call at a time (``fast=False``) and are extrapolated.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def synthetic_table(path: Path, n_b2: int = 5000, seeds=(0, 1)) -> Path:
    from nasbench.space import pnas
    from nasbench.tables.io import write_table
    from nasbench.tables.schema import protocol_hash

    protocol = {"dataset": "synthetic", "epochs": 1}
    ph = protocol_hash(protocol)
    cells = list(dict.fromkeys(list(pnas.enumerate(1)) + pnas.sample(2, n_b2, 0)))
    rng = np.random.default_rng(0)
    runs, curves = [], []
    for cell in cells:
        for s in seeds:
            val, test, secs = rng.uniform(0.5, 0.95), rng.uniform(0.5, 0.95), rng.uniform(10, 60)
            runs.append(dict(arch=cell.canonical_string, arch_hash=cell.arch_hash, space="pnas",
                             num_blocks=cell.num_blocks, dataset="synthetic", protocol_hash=ph,
                             seed=s, epochs=1, params=1, flops=1, train_acc=val, val_acc=val,
                             test_acc=test, train_loss=1.0, val_loss=1.0, test_loss=1.0,
                             best_val_acc=val, best_val_epoch=1, train_seconds=secs,
                             eval_seconds=0.1, device="cpu", status="ok", error=None))
            curves.append(dict(arch_hash=cell.arch_hash, seed=s, epoch=1, lr=0.1, train_loss=1.0,
                               train_acc=val, val_loss=1.0, val_acc=val, test_loss=1.0,
                               test_acc=test, epoch_seconds=secs))
    return write_table(path, runs, curves, protocol, {"command": "benchmarks/replay_speed.py"},
                       datasheet=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default=None)
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--evals", type=int, default=1000)
    ap.add_argument("--slow-runs", type=int, default=3, help="runs through Oracle.evaluate")
    args = ap.parse_args()

    from nasbench.search import Budget, ReplayEvaluator, get_algorithm
    from nasbench.tables import Benchmark

    with tempfile.TemporaryDirectory() as tmp:
        table = Path(args.table) if args.table else synthetic_table(Path(tmp) / "synthetic")
        bench = Benchmark.open(table)
        algo = get_algorithm("random")
        budget = Budget(models=args.evals)
        ReplayEvaluator(bench, miss="restrict")  # build the index once (not timed)

        start = time.perf_counter()
        best = []
        for seed in range(args.runs):
            traj = algo.run(ReplayEvaluator(bench, miss="restrict"), budget, seed)
            best.append(traj.best_test)
        fast = time.perf_counter() - start
        total = args.runs * args.evals

        start = time.perf_counter()
        for seed in range(args.slow_runs):
            algo.run(ReplayEvaluator(bench, miss="restrict", fast=False), budget, seed)
        slow = (time.perf_counter() - start) / max(1, args.slow_runs * args.evals)

    print(f"table: {table if args.table else 'synthetic'} ({len(bench)} archs)")
    print(f"runs: {args.runs}  evaluations: {total:,}  seconds: {fast:.2f}  "
          f"evaluations/second: {total / fast:,.0f}  (mean final best test {np.mean(best):.4f})")
    print(f"per-call Oracle path: {slow * 1e6:.1f} us/evaluation -> {slow * total:.1f} s for the "
          f"same work; fast path is {slow * total / fast:.0f}x faster")


if __name__ == "__main__":
    main()
