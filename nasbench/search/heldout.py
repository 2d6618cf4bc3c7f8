"""Score the cell each run finally selects on training seeds it never saw.

With ``seed_policy='random'`` (or a fixed seed) every answer is one training run of the table.
A run selects its best cell by the val it saw; the answer's seed is the table run whose
(val, test) the answer repeats (:func:`seen_runs`), and the cell is scored on the mean val and test of
its OTHER usable runs (:mod:`nasbench.tables.seeds`), its *held-out* score. The percentile
places that score among the seed-mean vals of every table cell with the block counts the runs
searched (on a closed table: the whole space up to that B), scipy's ``kind='weak'``. Under
``'mean'`` an answer used every seed, so nothing is held out (NaN).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd


def seen_runs(runs: pd.DataFrame, answer) -> np.ndarray:
    """Mask of the table ``runs`` of one cell whose (val, test) the ``answer`` repeats, up to
    float32 storage (syne-tune's blackboxes hold float32); ties broken by train_seconds."""
    close = lambda col: np.isclose(runs[col].to_numpy(np.float64), float(answer[col]),  # noqa: E731
                                   rtol=1e-6, atol=1e-9)
    seen = close("val_acc") & close("test_acc")
    exact = seen & (runs["train_seconds"].to_numpy(np.float64) == float(answer["train_seconds"]))
    return exact if exact.any() else seen


def selected(df: pd.DataFrame, bench, seed_policy="mean") -> pd.DataFrame:
    """Per (algorithm, seed): the selected arch, the val it saw, its held-out val/test
    (NaN without held-out seeds) and the held-out val's percentile."""
    from scipy import stats

    from nasbench.tables.seeds import group_starts, usable_runs

    runs = bench.runs.sort_values(["arch_hash", "seed"], kind="stable").reset_index(drop=True)
    starts = group_starts(runs["arch_hash"].to_numpy())
    runs = runs.assign(usable=usable_runs((runs["status"] == "ok").to_numpy(), starts))
    runs = runs[runs["usable"]]
    by_arch = {a: g for a, g in runs.groupby("arch", sort=False)}
    levels = sorted(int(b) for b in df["num_blocks"].unique())
    means = bench.arch_means(("val_acc",))
    nb = bench.runs["num_blocks"].to_numpy()[means["rows"]]
    ref = means["val_acc"][np.isin(nb, levels) & np.isfinite(means["val_acc"])]
    out = []
    for (algo, seed), run in df.groupby(["algorithm", "seed"], sort=True):
        run = run.sort_values("index")
        best = int(run["best_index"].iloc[-1])
        row = {"algorithm": algo, "seed": seed, "arch": None, "seen_val": math.nan,
               "heldout_val": math.nan, "heldout_test": math.nan, "percentile": math.nan}
        if best > 0:
            pick = run.iloc[best - 1]
            row.update(arch=pick["arch"], seen_val=float(pick["val_acc"]))
            g = by_arch.get(pick["arch"])
            if seed_policy != "mean" and g is not None and not bool(pick.get("predicted", False)):
                seen = seen_runs(g, pick)
                if seen.any():
                    seen[np.flatnonzero(seen)[1:]] = False  # identical repeats: hold out the others
                    rest = g[~seen]
                    if len(rest):
                        held = float(rest["val_acc"].mean())
                        row.update(heldout_val=held, heldout_test=float(rest["test_acc"].mean()),
                                   percentile=float(stats.percentileofscore(ref, held, kind="weak")))
        out.append(row)
    return pd.DataFrame(out)


def summarise(sel: pd.DataFrame, seed: int = 0, n_boot: int = 1000) -> pd.DataFrame:
    """Per algorithm: runs with a held-out score, mean held-out val [bootstrap 95% CI], mean
    held-out test and median percentile."""
    from nasbench.search.intervals import mean_ci

    rng = np.random.default_rng(seed)
    rows = []
    for algo, s in sel.groupby("algorithm", sort=True):
        v = s["heldout_val"].to_numpy(np.float64)
        v = v[np.isfinite(v)]
        lo, hi = mean_ci(v, rng, n_boot)
        rows.append({"algorithm": algo, "heldout_runs": len(v),
                     "heldout_val": float(v.mean()) if len(v) else math.nan,
                     "heldout_lo": lo, "heldout_hi": hi,
                     "heldout_test": float(np.nanmean(s["heldout_test"])) if len(v) else math.nan,
                     "percentile": float(np.nanmedian(s["percentile"])) if len(v) else math.nan})
    return pd.DataFrame(rows)


def render(summ: pd.DataFrame, seed_policy) -> list[str]:
    """The README's section on the selected cells' held-out scores."""
    lines = ["## Selected cells on held-out seeds", ""]
    if seed_policy == "mean":
        return lines + ["Every answer was a seed mean (seed_policy='mean'): no seed is held out. "
                        "Run with `--seed-policy random` for held-out scores."]
    lines += ["Each run's selected cell (its best by the val it saw, one training seed per "
              "answer) scored on the mean of its other seeds; percentile of that held-out val "
              "among the seed-mean vals of every table cell with the searched block counts.", "",
              "| algorithm | runs scored | held-out val [95% CI] | held-out test | median percentile |",
              "|---|---|---|---|---|"]
    fmt = lambda v, d=4: "—" if not np.isfinite(v) else f"{v:.{d}f}"  # noqa: E731
    for r in summ.to_dict("records"):
        lines.append(f"| {r['algorithm']} | {r['heldout_runs']} | {fmt(r['heldout_val'])} "
                     f"[{fmt(r['heldout_lo'])}, {fmt(r['heldout_hi'])}] | {fmt(r['heldout_test'])} | "
                     f"{fmt(r['percentile'], 1)} |")
    return lines


def at_budgets(df: pd.DataFrame, bench, seed_policy, budgets, algorithms) -> pd.DataFrame:
    """:func:`summarise` of what ``algorithms`` had selected after each of ``budgets`` models
    (their runs cut there; e.g. PNAS's totals, so an arm with a longer budget is scored at
    PNAS's cost too), with a ``models`` column."""
    runs = df[df["algorithm"].isin(list(algorithms))]
    return pd.concat([summarise(selected(runs[runs["index"] <= int(n)], bench, seed_policy))
                      .assign(models=int(n)) for n in budgets], ignore_index=True)


def render_at_budgets(summ: pd.DataFrame, pnas: pd.DataFrame) -> list[str]:
    """Markdown: held-out val [95% CI] (median percentile) per arm at each budget of ``summ``
    (:func:`at_budgets`), the PNAS arms' own rows (:func:`summarise`, at their totals) above."""
    fmt = lambda r: (f"{r['heldout_val']:.4f} [{r['heldout_lo']:.4f}, {r['heldout_hi']:.4f}] "  # noqa: E731
                     f"({r['percentile']:.1f})" if np.isfinite(r["heldout_val"]) else "—")
    budgets = sorted(summ["models"].unique())
    lines = ["### At PNAS's cost", "",
             "The cells the other arms had selected after as many models as a PNAS arm trains in "
             "total (their runs cut there), held-out val [95% CI] (median percentile); the PNAS "
             "arms at their own totals first.", "",
             "| algorithm | " + " | ".join(f"after {n} models" for n in budgets) + " |",
             "|---|" + "---|" * len(budgets)]
    for r in pnas.to_dict("records"):
        cells = [fmt(r) if n == r["models"] else "" for n in budgets]
        lines.append(f"| {r['algorithm']} | " + " | ".join(cells) + " |")
    for algo, g in summ.groupby("algorithm", sort=True):
        by_n = {int(r["models"]): r for r in g.to_dict("records")}
        lines.append(f"| {algo} | " + " | ".join(fmt(by_n[n]) for n in budgets) + " |")
    return lines

