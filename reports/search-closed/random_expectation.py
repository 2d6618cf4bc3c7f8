"""Check a closed-replay report against the exact expectation of random search (issue 16).

On a closed table random search queries cells uniformly over the space's canonical cells of
its block counts (with replacement; B1 and B2 weighted by their counts, which the closed table
holds exactly), and under seed_policy='random' each answer is one of the cell's ok seeds,
uniformly. So the queries to the first answer >= target_1 are geometric with
p = mean over cells of (share of the cell's seeds with val >= target), and a run stopped at the
budget L has reached it with probability 1 - q^L (q = 1 - p), after
E[T | T <= L] = (1 - (L+1) q^L + L q^(L+1)) / (p (1 - q^L)) models on average.
This script computes both from runs.parquet alone (no harness) and prints them beside the
report's random-search rows of table1.csv (M = 1, one row per PNAS arm's target), with the
deviation in standard errors (the report's bootstrap interval / 3.92).

Usage: python reports/search-closed/random_expectation.py TABLE REPORT [--budget 700]
"""
from __future__ import annotations

import argparse
import math

import pandas as pd


def hit_probability(runs: pd.DataFrame, target: float) -> float:
    ok = runs[runs.status == "ok"]
    return float((ok.val_acc >= target).groupby(ok.arch_hash).mean().mean())


def expectation(p: float, budget: int) -> tuple[float, float]:
    """(P(reached within budget), E[models | reached])."""
    q = 1.0 - p
    reached = 1.0 - q ** budget
    mean = (1 - (budget + 1) * q ** budget + budget * q ** (budget + 1)) / (p * reached) if p > 0 else math.nan
    return reached, mean


def compare(table: str, report: str, budget: int = 700) -> pd.DataFrame:
    runs = pd.read_parquet(f"{table}/runs.parquet")
    t1 = pd.read_csv(f"{report}/table1.csv")
    rows = []
    for r in t1[(t1.algorithm == "random") & (t1.M == 1)].itertuples():
        p = hit_probability(runs, r.target)
        reached, mean = expectation(p, budget)
        se = (r.mean_hi - r.mean_lo) / 3.92
        rows.append({"reference": r.reference, "target": r.target, "p": p,
                     "reached_expected": reached, "reached_report": r.reached / r.runs,
                     "mean_expected": mean, "mean_report": r.mean_models_reached,
                     "z": (r.mean_models_reached - mean) / se if se > 0 else math.nan})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("table")
    ap.add_argument("report")
    ap.add_argument("--budget", type=int, default=700)
    a = ap.parse_args()
    print(compare(a.table, a.report, a.budget).to_string(index=False, float_format="%.4g"))
