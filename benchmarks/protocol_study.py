"""Protocol trade-off study: does a protocol measure architectures rather than seeds?

For each candidate protocol, trains the same B1 cells with 3 seeds through the real builder
and reports: mean seed-to-seed Spearman of val accuracy and val loss, the rank agreement
(Spearman of seed-mean val accuracy) with a 2x longer reference run, mean val/test
accuracy, the best cell's test accuracy and the CPU cost per model. The table it prints is
the one in docs/protocol-tradeoffs.md.

    python benchmarks/protocol_study.py --cells 24 --out out/protocol-study
"""
from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from nasbench.builder.build import build
from nasbench.builder.plan import Plan
from nasbench.builder.protocol import PRESETS
from nasbench.builder.runners import RunnerConfig
from nasbench.space import pnas

BASE = PRESETS["digits"]  # F=16, shift 2: the chosen preset; candidates vary from it
CANDIDATES = {
    "10 ep, F16, shift 1": BASE.replace(F=16, shift=1),
    "10 ep, F8, shift 1": BASE.replace(F=8, shift=1),
    "10 ep, F8, shift 2": BASE.replace(F=8, shift=2),
    "10 ep, F12, shift 2": BASE.replace(F=12, shift=2),
    "10 ep, F16, shift 2": BASE.replace(F=16, shift=2),
    "6 ep, F8, shift 2": BASE.replace(F=8, shift=2, epochs=6),
}


def seed_spearman(runs: pd.DataFrame, metric: str) -> float:
    wide = runs.pivot_table(index="arch_hash", columns="seed", values=metric)
    rhos = [spearmanr(wide[a], wide[b]).statistic for a, b in itertools.combinations(wide.columns, 2)]
    return float(np.mean(rhos))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=24)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default="out/protocol-study")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default=None, help="Semicolon-separated candidate names to run.")
    parser.add_argument("--no-reference", action="store_true", help="Skip the 2x longer reference.")
    args = parser.parse_args()
    cells = pnas.sample(1, args.cells, seed=123)
    unique = list(dict.fromkeys(cells))
    seeds = tuple(range(args.seeds))
    candidates = dict(CANDIDATES)
    if not args.no_reference:
        candidates["reference: 2x longer (20 ep)"] = BASE.replace(epochs=2 * BASE.epochs)
    wanted = set(args.only.split(";")) if args.only else set(candidates)
    tables = {}
    for name, protocol in candidates.items():
        if name not in wanted and "reference" not in name:
            continue
        out = Path(args.out) / protocol.protocol_hash
        plan = Plan(name, lambda: iter(unique), {1: len(unique)}, {0: seeds})
        build(plan, protocol, out, RunnerConfig(workers=args.workers), progress=False)
        tables[name] = pd.read_parquet(out / "runs.parquet")
    reference = tables.get("reference: 2x longer (20 ep)")
    ref_mean = reference.groupby("arch_hash").val_acc.mean() if reference is not None else None
    rows = []
    for name, runs in tables.items():
        mean = runs.groupby("arch_hash").val_acc.mean()
        best = runs.groupby("arch_hash")[["val_acc", "test_acc"]].mean().sort_values("val_acc").iloc[-1]
        rows.append({
            "protocol": name,
            "spearman val_acc": seed_spearman(runs, "val_acc"),
            "spearman val_loss": seed_spearman(runs, "val_loss"),
            "agreement with 2x": (spearmanr(mean, ref_mean.loc[mean.index]).statistic
                                  if ref_mean is not None else float("nan")),
            "mean val_acc": runs.val_acc.mean(),
            "best cell test_acc": best.test_acc,
            "cpu s/model": (runs.train_seconds + runs.eval_seconds).mean(),
        })
    frame = pd.DataFrame(rows)
    print(f"{len(unique)} B1 cells x {len(seeds)} seeds per protocol")
    print("| " + " | ".join(frame.columns) + " |")
    print("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
