"""The depth figures quoted in FINDINGS.md / FAMILIES.md, from the committed family tables.

Per family: Spearman correlation of test error with total depth (blocks over all stages) and
with mean stage width, median error of shallow (<= 12 blocks) and deep (> 24 blocks) models,
and the share of models above 50% error.

    python reports/spaces/depth.py
"""
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from nasbench.space import parse_arch

TABLES = Path(__file__).parent / "tables"

print(f"{'family':10s} {'models':>6s} {'rho(depth)':>10s} {'rho(width)':>10s} "
      f"{'median <=12':>11s} {'median >24':>10s} {'>50% err':>8s}")
for family in ("vanilla", "resnet", "resnext_a", "resnext_b"):
    runs = pd.read_parquet(TABLES / family / "runs.parquet")
    nets = [parse_arch(a) for a in runs.arch]
    error = 1 - runs.test_acc.to_numpy()
    depth = np.array([sum(n.depths) for n in nets])
    width = np.array([np.mean(n.widths) for n in nets])
    shallow, deep = error[depth <= 12], error[depth > 24]
    print(f"{family:10s} {len(runs):6d} {spearmanr(error, depth)[0]:10.2f} {spearmanr(error, width)[0]:10.2f} "
          f"{np.median(shallow):10.1%} ({len(shallow)}) {np.median(deep):6.1%} ({len(deep)}) "
          f"{(error > 0.5).mean():7.0%}")
