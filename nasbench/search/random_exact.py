"""Random search's exact models-to-target on a closed table: the harness's yardstick.

On a table closed up to B, ``random`` (its default ``blocks``) draws cells uniformly over the
space's canonical cells with at most B blocks, with replacement (a block count b with
probability count(b) / total, then a uniform cell of b), and under ``seed_policy='random'``
each answer is one of the cell's ok seeds, uniformly, drawn afresh per query. So the models
until the first answer >= target (Table 1 at M = 1) are geometric with

    p = mean over the cells of the share of their ok seeds with val >= target

(``seed_policy='mean'``: the share of cells whose seed-mean val is >= target). A run stopped
after L models has reached the target with probability 1 - q^L (q = 1 - p), after

    E[T | T <= L] = (1 - (L + 1) q^L + L q^(L + 1)) / (p (1 - q^L))

models on average. Both come from runs.parquet alone: no search, no harness.
"""
from __future__ import annotations

import math

import pandas as pd


def hit_probability(runs: pd.DataFrame, target: float, seed_policy: str = "random") -> float:
    """The chance that one random-search query of the closed table ``runs`` answers
    >= ``target`` (every cell in ``runs`` equally likely, as on a closed table)."""
    ok = runs[runs["status"] == "ok"]
    if ok.empty:
        raise ValueError("no ok runs")
    if seed_policy == "random":  # per cell: the share of its seeds at or above the target
        return float((ok["val_acc"] >= target).groupby(ok["arch_hash"]).mean().mean())
    if seed_policy == "mean":
        return float((ok.groupby("arch_hash")["val_acc"].mean() >= target).mean())
    raise ValueError(f"seed_policy must be 'random' or 'mean', got {seed_policy!r}")


def geometric_reach(p: float, budget: int) -> tuple[float, float]:
    """(P(reached within ``budget`` models), E[models | reached]) for a per-model hit chance
    ``p``; the mean is NaN when p = 0."""
    if not 0.0 <= p <= 1.0 or budget < 1:
        raise ValueError(f"need 0 <= p <= 1 and budget >= 1, got p={p}, budget={budget}")
    if p == 0.0:
        return 0.0, math.nan
    q = 1.0 - p
    reached = 1.0 - q ** budget
    mean = (1.0 - (budget + 1) * q ** budget + budget * q ** (budget + 1)) / (p * reached)
    return reached, mean


def expected_reach(runs: pd.DataFrame, target: float, budget: int,
                   seed_policy: str = "random") -> dict:
    """p, the reached share and the mean models of reached runs, for random search on the
    closed table ``runs`` at ``target`` with ``budget`` models."""
    p = hit_probability(runs, target, seed_policy)
    reached, mean = geometric_reach(p, budget)
    return {"target": float(target), "p": p, "reached_frac": reached, "mean_models_reached": mean}


def report_lines(t1: pd.DataFrame, bench, seed_policy: str) -> list[str]:
    """Markdown beside Table 1: the harness's random-search rows at M = 1 against the exact
    law, one row per target; nothing unless ``random`` ran on a table closed up to the
    space's largest default size under seed_policy 'random' or 'mean'."""
    from nasbench.markdown import table_lines
    from nasbench.search.closed import closed_up_to
    from nasbench.space import get_space

    rows = t1[(t1["algorithm"] == "random") & (t1["M"] == 1)]
    if rows.empty or seed_policy not in ("random", "mean"):
        return []
    if closed_up_to(bench) < max(get_space(bench.space).default_sizes):
        return []
    body = []
    for r in rows.itertuples():
        e = expected_reach(bench.runs, r.target, int(r.budget), seed_policy)
        body.append([getattr(r, "reference", "—"), f"{r.target:.4f}", f"{e['p']:.4g}",
                     f"{e['reached_frac']:.3f}", f"{r.reached_frac:.3f}",
                     f"{e['mean_models_reached']:.1f}", f"{r.mean_models_reached:.1f} "
                     f"[{r.mean_lo:.1f}, {r.mean_hi:.1f}]"])
    return ["### Random search against its exact law (M = 1)", "",
            "On a closed table the models random search needs until one answer reaches the "
            "target are geometric with p = mean over cells of the share of their seeds at or above "
            "it (`nasbench.search.random_exact`, from runs.parquet alone); the harness's runs "
            "should agree within their intervals.", "",
            *table_lines(["reference", "target", "p per model", "reached (exact)", "reached (runs)",
                          "mean models (exact)", "mean models (runs) [95% CI]"], body), ""]
