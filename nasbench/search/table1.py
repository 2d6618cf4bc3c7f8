"""The PNAS paper's Table-1 measurement (Liu et al., ECCV 2018): models needed to reach PNAS's
final top-M accuracy, M in {1, 5, 25}.

* A run's *top-M mean* after k models: the mean val of its M best distinct cells among its
  first k evaluations (a cell's val is the best value the run saw for it, so M=1 is
  ``best_val``); undefined (-inf) before M distinct cells with a finite val. It never
  decreases, so the first k where it reaches a target is found by bisection.
* :func:`targets`: target_M = the median over the reference algorithm's (PNAS's) runs of
  their final top-M mean; :func:`check_target` refuses a target above the best value the
  table can answer (:func:`best_measured`).
* :func:`models_to_target`: per run and M, the models until the top-M mean reaches
  target_M; a run that never does is *censored* at its length (``reached`` False).
* :func:`table1`: per algorithm and M, the fraction of runs that reached the target, the
  Kaplan-Meier median of models-to-target (scipy.stats.ecdf on right-censored data; inf
  when fewer than half the runs reach it) with a bootstrap 95% interval over runs, the mean
  over the runs that reached it (bootstrap 95% interval), and that median divided by PNAS's
  total models (B1 included): the paper's "x times the models of PNAS".
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from nasbench.markdown import table_lines
from nasbench.search.intervals import mean_ci, quantile_ci
from nasbench.search.trajectory import iter_runs

MS = (1, 5, 25)


def _cells(archs, vals) -> tuple[np.ndarray, np.ndarray, int]:
    codes, uniques = pd.factorize(np.asarray(archs, dtype=object))
    v = np.asarray(vals, dtype=np.float64)
    return codes, np.where(np.isfinite(v), v, -np.inf), len(uniques)


def _top_m(codes, v, n_cells, m: int, k: int) -> float:
    best = np.full(n_cells, -np.inf)
    np.maximum.at(best, codes[:k], v[:k])
    best = best[np.isfinite(best)]
    return float(np.sort(best)[-m:].mean()) if len(best) >= m else -math.inf


def top_m_mean(archs, vals, m: int, k: int | None = None) -> float:
    """The top-``m`` mean after the first ``k`` evaluations (default: all); -inf before m cells."""
    codes, v, n = _cells(archs, vals)
    return _top_m(codes, v, n, int(m), len(v) if k is None else int(k))


def first_reach(archs, vals, m: int, target: float) -> int | None:
    """Models (1-based) until the top-``m`` mean reaches ``target``; None when it never does."""
    codes, v, n = _cells(archs, vals)
    if not len(v) or _top_m(codes, v, n, m, len(v)) < target:
        return None
    lo, hi = 1, len(v)  # the predicate holds at hi; find the smallest k where it holds
    while lo < hi:
        mid = (lo + hi) // 2
        if _top_m(codes, v, n, m, mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def targets(df: pd.DataFrame, ms=MS, reference: str = "pnas") -> dict[int, float]:
    """target_M: the median over ``reference``'s runs of their final top-M mean."""
    ref = df[df["algorithm"] == reference]
    if ref.empty:
        raise ValueError(f"no {reference!r} runs to take the targets from; give an explicit target")
    out = {}
    for m in ms:
        finals = np.array([top_m_mean(run["arch"], run["val_acc"], m) for _, _, run in iter_runs(ref)])
        finals = finals[np.isfinite(finals)]
        if not len(finals):
            raise ValueError(f"no {reference} run evaluated {m} distinct cells, so target_{m} is undefined")
        out[int(m)] = float(np.median(finals))
    return out


def best_measured(bench, seed_policy="mean") -> float:
    """The best val the table can answer: the best seed-mean val ('mean'), else the best single
    usable run (one seed per answer)."""
    if seed_policy == "mean":
        return float(np.nanmax(bench.arch_means(("val_acc",))["val_acc"]))
    runs = bench.runs
    ok = runs[runs["status"] == "ok"]
    return float(np.nanmax((ok if len(ok) else runs)["val_acc"].to_numpy(np.float64)))


def check_target(target: float, cap: float, what: str = "the target") -> float:
    """``target`` unless it exceeds ``cap`` (one-line ValueError)."""
    if not math.isfinite(float(target)) or float(target) > cap:
        raise ValueError(f"{what} {float(target):.4f} exceeds the best measured val in the table "
                         f"({cap:.4f}): no trained model reaches it")
    return float(target)


def models_to_target(df: pd.DataFrame, tgts: dict[int, float]) -> pd.DataFrame:
    """One row per (algorithm, seed, M): models, reached, budget (the run's models), target,
    and hours: the simulated clock (``elapsed``) there, or at the run's end when censored."""
    rows = []
    for algo, seed, run in iter_runs(df):
        archs, vals = run["arch"].to_numpy(), run["val_acc"].to_numpy(np.float64)
        clock = run["elapsed"].to_numpy(np.float64) / 3600.0
        for m, t in tgts.items():
            k = first_reach(archs, vals, m, t)
            n = int(k if k is not None else len(vals))
            rows.append({"algorithm": algo, "seed": seed, "M": int(m), "target": float(t),
                         "reached": k is not None, "models": n, "budget": int(len(vals)),
                         "hours": float(clock[n - 1])})
    return pd.DataFrame(rows)


def km_median(times, reached) -> float:
    """Kaplan-Meier median of right-censored times (censored at ``times`` where not
    ``reached``); inf when the survival curve never falls to 0.5."""
    from scipy import stats

    t = np.asarray(times, dtype=np.float64)
    r = np.asarray(reached, dtype=bool)
    if not r.any():
        return math.inf
    sf = stats.ecdf(stats.CensoredData(uncensored=t[r], right=t[~r])).sf
    below = np.flatnonzero(sf.probabilities <= 0.5)
    return float(sf.quantiles[below[0]]) if len(below) else math.inf


def table1(hits: pd.DataFrame, pnas_total: float | None = None, seed: int = 0,
           n_boot: int = 1000) -> pd.DataFrame:
    """Per (algorithm, M) from :func:`models_to_target`: runs, reached fraction, KM median
    models [95% CI], mean over reached runs [95% CI] and KM median / ``pnas_total`` [95% CI]."""
    rng = np.random.default_rng(seed)
    rows = []
    for (algo, m), h in hits.groupby(["algorithm", "M"], sort=True):
        t, r = h["models"].to_numpy(np.float64), h["reached"].to_numpy(bool)
        idx = rng.integers(len(t), size=(n_boot, len(t)))
        med_lo, med_hi = quantile_ci(np.array([km_median(t[i], r[i]) for i in idx]))
        mean_lo, mean_hi = mean_ci(t[r], rng, n_boot)
        med = km_median(t, r)
        hours = h["hours"].to_numpy(np.float64)
        hours_lo, hours_hi = quantile_ci(np.array([km_median(hours[i], r[i]) for i in idx]))
        row = {"algorithm": algo, "M": int(m), "target": float(h["target"].iloc[0]), "runs": len(t),
               "reached": int(r.sum()), "reached_frac": float(r.mean()), "censored_frac": float(1 - r.mean()),
               "median_models": med, "median_lo": med_lo, "median_hi": med_hi,
               "mean_models_reached": float(t[r].mean()) if r.any() else math.nan,
               "mean_lo": mean_lo, "mean_hi": mean_hi, "budget": float(h["budget"].mean()),
               "median_hours": km_median(hours, r), "hours_lo": hours_lo, "hours_hi": hours_hi}
        if pnas_total:
            row.update(ratio_to_pnas=med / pnas_total, ratio_lo=med_lo / pnas_total,
                       ratio_hi=med_hi / pnas_total)
        rows.append(row)
    return pd.DataFrame(rows)


def total_models(df: pd.DataFrame, algorithm: str = "pnas") -> float | None:
    """Mean models per run of ``algorithm`` (B1 included for PNAS); None when absent."""
    runs = df[df["algorithm"] == algorithm]
    return float(runs.groupby("seed")["index"].max().mean()) if len(runs) else None


def _num(v, digits=1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return "∞" if math.isinf(v) else f"{v:,.{digits}f}"


def render(t1: pd.DataFrame, source: str, pnas_total: float | None,
           predicted: dict | None = None, reference: str | None = "pnas") -> list[str]:
    """The README's Table-1 section against the PNAS arm ``reference`` (None: a given
    target); ``predicted`` (surrogate mode): algorithm -> fraction of its answers that were
    predicted, shown in every row."""
    total = (f"models / PNAS's total models per run ({pnas_total:,.0f}, B1 included)" if pnas_total
             else "needs pnas runs")
    whose = ("PNAS's top-M accuracy" if reference in ("pnas", None)
             else f"`{reference}`'s top-M accuracy")
    lines = [f"## Table 1: models to reach {whose}" if reference is not None
             else "## Table 1: models to reach the given target", "",
             f"target_M: {source}. A run reaches it when the mean val of its M best distinct cells "
             "so far does; runs that never do are censored at their length, never counted at it: "
             "*reached* gives their share and the median is the Kaplan-Meier estimate (∞: under "
             "half the runs reached it). Intervals: bootstrap 95% over runs. ÷ PNAS: median "
             f"{total}. Hours: the simulated clock (the table's train seconds) at the same "
             "point, Kaplan-Meier median likewise.", ""]
    header = ["algorithm", "M", "target", "reached", "censored", "median models [95% CI]",
              "mean models of reached runs [95% CI]", "÷ PNAS [95% CI]", "median simulated hours [95% CI]"]
    rows = []
    for r in t1.to_dict("records"):
        ratio = (f"{_num(r['ratio_to_pnas'], 2)} [{_num(r['ratio_lo'], 2)}, {_num(r['ratio_hi'], 2)}]"
                 if "ratio_to_pnas" in r else "—")
        rows.append([r["algorithm"], r["M"], f"{r['target']:.4f}", f"{r['reached']}/{r['runs']}",
                     f"{r['censored_frac']:.0%}",
                     f"{_num(r['median_models'])} [{_num(r['median_lo'])}, {_num(r['median_hi'])}]",
                     f"{_num(r['mean_models_reached'])} [{_num(r['mean_lo'])}, {_num(r['mean_hi'])}]",
                     ratio, f"{_num(r['median_hours'], 2)} [{_num(r['hours_lo'], 2)}, {_num(r['hours_hi'], 2)}]"]
                    + ([f"{predicted.get(r['algorithm'], math.nan):.1%}"] if predicted is not None else []))
    if predicted is not None:
        header.append("predicted answers")
    return lines + table_lines(header, rows)


def overview(t1: pd.DataFrame) -> list[str]:
    """With several PNAS arms: per M, one row per PNAS arm and one column per other arm, each
    cell the other arm's Kaplan-Meier median models-to-target / that PNAS arm's total models
    [95 % CI] (the paper's "x times the models of PNAS"; inf: under half its runs got there)."""
    refs = list(pd.unique(t1["reference"]))
    others = [a for a in pd.unique(t1["algorithm"]) if a not in refs]
    lines = ["## Table 1 overview: models to PNAS's top-M accuracy, in PNAS totals", "",
             "Each cell: the column arm's Kaplan-Meier median models to reach the row's PNAS arm's "
             "target_M, divided by that PNAS arm's total models per run [bootstrap 95 % CI]; "
             "∞ when under half the runs reached it. The per-arm tables below add reached shares, "
             "means and censoring.", ""]
    for m in sorted(t1["M"].unique()):
        rows = []
        for ref in refs:
            part = t1[(t1["reference"] == ref) & (t1["M"] == m)].set_index("algorithm")
            cells = [f"{_num(part.at[a, 'ratio_to_pnas'], 2)} [{_num(part.at[a, 'ratio_lo'], 2)}, "
                     f"{_num(part.at[a, 'ratio_hi'], 2)}]" if a in part.index and "ratio_to_pnas" in part
                     else "—" for a in others]
            rows.append([ref, f"{part['target'].iloc[0]:.4f}", *cells])
        lines += [f"**M = {m}**", "", *table_lines(["PNAS arm", "target", *others], rows), ""]
    return lines


def reference_arms(df: pd.DataFrame) -> list[str]:
    """The PNAS arms of a comparison (``pnas`` and variants like ``pnas[K=8]``, see
    :mod:`nasbench.search.arms`): each one sets its own Table-1 targets."""
    from nasbench.search.arms import parse_arm

    return [a for a in pd.unique(df["algorithm"]) if parse_arm(a)[0] == "pnas"]


def write_sections(df: pd.DataFrame, bench, out, target: float | None, seed_policy,
                   predicted: dict | None = None) -> list[str]:
    """Table 1 (table1.csv) and the selected cells' held-out scores (selected.csv; at PNAS's
    cost: selected_at_pnas_cost.csv) into ``out``; returns their README lines. Targets:
    ``target`` for every M when given, else each PNAS arm's own (one table per arm, against
    every non-PNAS arm; refused above :func:`best_measured`)."""
    from pathlib import Path

    from nasbench.search import heldout, random_exact

    out = Path(out)
    cap = best_measured(bench, seed_policy)
    refs = reference_arms(df)
    plans = []  # (reference or None, targets, source, PNAS total, runs compared)
    if target is not None:
        tgts = {m: check_target(target, cap) for m in MS}
        plans.append((None, tgts, f"the given target {float(target):.4f} for every M",
                      total_models(df, refs[0]) if refs else None, df))
    for ref in refs if target is None else ():
        tgts = {m: check_target(t, cap, f"target_{m} (from {ref}'s runs)")
                for m, t in targets(df, reference=ref).items()}
        plans.append((ref, tgts, f"the median over {ref}'s runs of its final top-M mean val",
                      total_models(df, ref), df[(df["algorithm"] == ref) | ~df["algorithm"].isin(refs)]))
    if not plans:
        lines = ["## Table 1: models to reach PNAS's top-M accuracy", "",
                 "Not measured: it needs `pnas` among the algorithms or an explicit `--target-acc`."]
    else:
        from nasbench.search.plots import plot_reach

        lines, frames = [], []
        for i, (ref, tgts, source, total, runs) in enumerate(plans):
            hits = models_to_target(runs, tgts)
            t1 = table1(hits, total)
            if predicted is not None:
                t1["predicted_frac"] = t1["algorithm"].map(predicted)
            frames.append(t1.assign(reference=ref or "given target"))
            figure = "table1_reach.png" if len(plans) == 1 else f"table1_reach_{i + 1}.png"
            plot_reach(hits, out / figure, title=f"Runs at {ref or 'the given'} target, by models trained")
            lines += render(t1, source, total, predicted, reference=ref) + [
                "", f"![share of runs at target vs models]({figure})", ""]
        both = pd.concat(frames, ignore_index=True)
        both.to_csv(out / "table1.csv", index=False)
        if len(plans) > 1:
            lines = overview(both) + lines
        lines += random_exact.report_lines(both, bench, seed_policy)
    sel = heldout.selected(df, bench, seed_policy)
    sel.to_csv(out / "selected.csv", index=False)
    summ = heldout.summarise(sel)
    lines += [""] + heldout.render(summ, seed_policy)
    others = [a for a in pd.unique(df["algorithm"]) if a not in refs]
    if refs and others and seed_policy != "mean":
        totals = {ref: int(round(total_models(df, ref))) for ref in refs}
        at = heldout.at_budgets(df, bench, seed_policy, sorted(set(totals.values())), others)
        at.to_csv(out / "selected_at_pnas_cost.csv", index=False)
        own = summ[summ["algorithm"].isin(refs)]
        lines += [""] + heldout.render_at_budgets(at, own.assign(models=own["algorithm"].map(totals)))
    return lines
