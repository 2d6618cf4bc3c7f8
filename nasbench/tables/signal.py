"""How much architecture signal a table holds, and which runs collapsed: one home for the
figures that ``nasbench info``, every datasheet and ``benchmarks/protocol_study.py`` print.

Seed-to-seed Spearman: for every pair of seeds, Spearman's rho of a metric over the archs
with a finished run for both seeds (at least 3), averaged over the pairs. "Top quartile"
repeats it over the archs whose seed-mean val accuracy is at or above the 75th percentile
of the archs with >= 2 seeds: that is where searches and predictors compete.

Collapse rule (:func:`collapse_reason`): a freshly initialised net predicts about uniformly,
so its cross-entropy is about ln(C) for C classes. A run whose mean epoch-1 train loss
exceeds 2 ln(C) had its logits blow up in the first steps; a run that reached 4/C val
accuracy at some evaluated epoch and ends below 2/C fell back to chance. On the shipped
digits table (lr 0.05, no warmup) the 100 runs above 2 ln(10) = 4.61 end at median val
0.904 against 0.950 for the rest (20 of them below 0.5, and all 3 that end below 0.2), while
runs between ln(10) and 4 end like the rest (0.942): the rule flags the runs whose rank is
the seed's accident, not the arch's. A run that never left chance without exploding (a
one-epoch smoke protocol) is undertrained, not collapsed.
"""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd

#: Finished runs: the statuses whose metrics are finite and count for signal figures.
FINISHED = ("ok", "collapsed")


def collapse_reason(epoch1_train_loss: float, final_val_acc: float, best_val_acc: float,
                    num_classes: int) -> str | None:
    """Why a finished run counts as collapsed (see the module docstring), or None."""
    if epoch1_train_loss > 2 * math.log(num_classes):
        return (f"collapsed: epoch-1 train loss {epoch1_train_loss:.3g} > 2 ln({num_classes}) = "
                f"{2 * math.log(num_classes):.3g}")
    if final_val_acc < 2 / num_classes and best_val_acc >= 4 / num_classes:
        return (f"collapsed: final val_acc {final_val_acc:.3g} < 2/{num_classes} (near chance) "
                f"after {best_val_acc:.3g}")
    return None


def spearman(a, b) -> float:
    from scipy.stats import spearmanr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(spearmanr(a, b).statistic)


def top_quartile(runs: pd.DataFrame, by: str = "val_acc") -> pd.Index:
    """arch_hash of the archs with >= 2 finished seeds whose seed-mean ``by`` is in the top 25 %."""
    done = runs[runs["status"].isin(FINISHED)]
    per = done.groupby("arch_hash")[by].agg(["mean", "count"])
    multi = per[per["count"] >= 2]["mean"]
    return multi.index[multi >= multi.quantile(0.75)] if len(multi) else multi.index


def seed_correlation(runs: pd.DataFrame, metric: str, archs=None) -> dict:
    """Mean pairwise Spearman rho of ``metric`` between seeds over shared finished archs
    (restricted to ``archs`` when given)."""
    done = runs[runs["status"].isin(FINISHED)]
    if archs is not None:
        done = done[done["arch_hash"].isin(archs)]
    wide = done.pivot(index="arch_hash", columns="seed", values=metric)
    rhos = []
    for a, b in itertools.combinations(wide.columns, 2):
        pair = wide[[a, b]].dropna()
        if len(pair) >= 3:
            rho = spearman(pair[a], pair[b])
            if np.isfinite(rho):
                rhos.append(rho)
    multi = int((wide.notna().sum(axis=1) >= 2).sum()) if len(wide.columns) else 0
    return {"rho": float(np.mean(rhos)) if rhos else None, "pairs": len(rhos), "archs": multi}


def held_out_top_quartile(runs: pd.DataFrame, metric: str = "val_acc") -> float | None:
    """Top-quartile seed agreement without selection bias: the quartile is chosen on one
    seed's ``metric`` (the last seed) and Spearman's rho taken between two other seeds over
    it. Picking the quartile on the same seeds that are correlated truncates their range and
    biases rho down. Needs archs with >= 3 finished seeds (at least 12); None otherwise."""
    done = runs[runs["status"].isin(FINISHED)]
    wide = done.pivot(index="arch_hash", columns="seed", values=metric).dropna()
    if wide.shape[1] < 3 or len(wide) < 12:
        return None
    pick, (a, b) = wide.columns[-1], wide.columns[:2]
    top = wide[wide[pick] >= wide[pick].quantile(0.75)]
    return spearman(top[a], top[b])


def collapsed_mask(runs: pd.DataFrame, curves: pd.DataFrame, num_classes: int) -> pd.Series:
    """Per run (aligned with ``runs``): flagged ``collapsed``, or an ``ok`` run the rule catches
    (tables built before the flag existed)."""
    first = curves[curves["epoch"] == 1].set_index(["arch_hash", "seed"])["train_loss"]
    e1 = pd.Series(list(zip(runs["arch_hash"], runs["seed"])), index=runs.index).map(first)
    caught = [collapse_reason(loss, acc, best, num_classes) is not None
              for loss, acc, best in zip(e1.fillna(0.0), runs["val_acc"].fillna(1.0), runs["best_val_acc"].fillna(0.0))]
    return (runs["status"] == "collapsed") | ((runs["status"] == "ok") & pd.Series(caught, index=runs.index))


def signal_figures(runs: pd.DataFrame, curves: pd.DataFrame, num_classes: int) -> dict:
    """Seed-to-seed Spearman of val_acc overall and in the top quartile, and collapsed runs."""
    collapsed = collapsed_mask(runs, curves, num_classes)
    flagged = int((runs["status"] == "collapsed").sum())
    by_blocks = {}
    for b, level in runs.groupby("num_blocks"):
        found = seed_correlation(level, "val_acc", top_quartile(level))
        if found["rho"] is not None:
            by_blocks[int(b)] = found
    return {
        "seed_spearman": seed_correlation(runs, "val_acc"),
        "seed_spearman_top_quartile": seed_correlation(runs, "val_acc", top_quartile(runs)),
        # per block count: pooled levels of different accuracy make the pooled quartile one level's
        "seed_spearman_top_quartile_by_blocks": by_blocks,
        "collapsed": {"runs": int(collapsed.sum()), "flagged": flagged,
                      "unflagged": int(collapsed.sum()) - flagged, "of": int(len(runs))},
    }


def describe(figures: dict) -> list[str]:
    """The signal figures as short lines (datasheet and ``nasbench info``)."""
    def rho(c):
        return "- (fewer than 2 seeds)" if c["rho"] is None else f"{c['rho']:.4f} over {c['archs']} archs"
    col = figures["collapsed"]
    levels = figures.get("seed_spearman_top_quartile_by_blocks") or {}
    per_level = ([f"seed-to-seed Spearman of val_acc, top quartile of each block count: " + ", ".join(
        f"B{b} {c['rho']:.2f} ({c['archs']} archs)" for b, c in sorted(levels.items()))]
        if len(levels) > 1 else [])
    return [f"seed-to-seed Spearman of val_acc: {rho(figures['seed_spearman'])}",
            f"seed-to-seed Spearman of val_acc, top quartile: {rho(figures['seed_spearman_top_quartile'])}",
            *per_level,
            f"collapsed runs: {col['runs']} of {col['of']} ({col['flagged']} flagged `collapsed`, "
            f"{col['unflagged']} found by the rule in runs marked `ok`)"]
