"""One-table design-space report: all NDS analyses as figures, README.md and results.json.

``write_report`` loads a table (seeds averaged, see :func:`load_runs`), groups the models
(by num_blocks by default; groups under ``min_models`` are skipped with a note) and writes
into ``out_dir``: README.md, PNG+SVG figures, results.json, and Parquet for tabular numbers.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from nasbench.analysis._util import as_rng
from nasbench.analysis.data import load_runs, load_tables, select, split_groups
from nasbench.analysis.edf import EDF
from nasbench.analysis.ks import ks_matrix, square
from nasbench.analysis.normalize import complexity_weights
from nasbench.analysis.pareto import pareto_front
from nasbench.analysis.random_search import random_search_curve
from nasbench.analysis.sampling import point_estimate_trap, sample_size_curve, trap_sizes
from nasbench.analysis import plots
from nasbench import markdown
from nasbench.progress import progress_bar


def _clean(obj):
    """JSON-safe: numpy scalars to Python, NaN/inf to None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _ks_markdown(pairs) -> str:
    d, p = square(pairs, "statistic"), square(pairs, "pvalue")
    rows = [[a] + ["—" if a == b else f"{d.loc[a, b]:.3f} (p={p.loc[a, b]:.3g})" for b in d.columns]
            for a in d.index]
    return markdown.table(["D (p)"] + list(d.columns), rows)


def _figure_md(name: str, alt: str) -> str:
    return f"![{alt}]({name}.png)\n\n([SVG]({name}.svg))"


def write_report(table_path, out_dir, group_by="num_blocks", complexity: str = "params",
                 metric: str = "test_acc", bins: int = 10, scale: str = "linear",
                 empty: str = "drop", min_models: int = 5, n_permutations: int = 1000,
                 n_trials: int = 1000, rng: np.random.Generator | int = 0,
                 where: str | None = None, notes: str | os.PathLike | None = None,
                 command: str | None = None, progress: bool | None = False,
                 transfer_from: str | os.PathLike | None = None,
                 transfer_where: str | None = None) -> Path:
    """Analyze one table (or several: a list of paths, stacked with a ``table`` column, e.g. one
    table per design space grouped by ``space``) and write ``out_dir/README.md`` (+ figures,
    results.json, Parquet).

    ``group_by``: column(s) defining the compared groups (None: one group); ``complexity``:
    params or flops for normalization and the Pareto plot; ``bins``/``scale``/``empty``: see
    :func:`complexity_weights` (``empty='drop'`` by default so real tables with sparse bins
    still get a report; dropped bins are listed). ``notes``: a Markdown file of hand-written
    findings placed under the header, so regenerating the report keeps them. ``command``: the
    command that regenerates the report, printed at its end (the CLI passes its own).
    ``progress``: a bar over the report's sections (see
    :func:`nasbench.progress.progress_bar`). ``transfer_from``: another table of the same
    space (e.g. another dataset); a "Rank transfer" section compares the rankings of the cells
    both hold, selected by ``transfer_where`` (:func:`nasbench.analysis.transfer.write_transfer`).
    Returns the README path.
    """
    import pandas as pd

    gen = as_rng(rng)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    several = not isinstance(table_path, (str, os.PathLike))
    frame = select(load_tables(table_path) if several else load_runs(table_path), where)
    shown = ", ".join(f"`{p}`" for p in table_path) if several else f"`{table_path}`"
    g = split_groups(frame, () if group_by is None else group_by, metric, min_models)
    c = g.complexity(complexity)
    res: dict = {"table": [str(p) for p in table_path] if several else str(table_path), "metric": metric, "error": f"1 - {metric}",
                 "group_by": group_by, "complexity": complexity, "groups": {}, "skipped": g.skipped}
    md = [f"# Design-space analysis of {shown}" + (f" where `{where}`" if where else ""), "",
          f"Error = 1 − `{metric}` (seeds averaged per architecture). Groups by `{group_by}`; "
          f"complexity = `{complexity}`. Method: Radosavovic et al., *On Network Design Spaces "
          "for Visual Recognition* (ICCV 2019).", ""]
    if notes is not None:
        md += [Path(notes).read_text().strip(), ""]
    rows = []
    for lab in g.order:
        e = g.errors[g.mask(lab)]
        res["groups"][lab] = {"n": int(e.size), "min": e.min(), "median": float(np.median(e)),
                              "mean": e.mean(), "max": e.max()}
        rows.append([lab, e.size, f"{e.min():.2%}", f"{np.median(e):.2%}", f"{e.mean():.2%}"])
    md += [markdown.table(["group", "models", "min error", "median error", "mean error"], rows), ""]
    if g.skipped:
        md += ["Skipped (fewer than %d models): " % min_models
               + ", ".join(f"{k} (n={v})" for k, v in g.skipped.items()), ""]

    bar = progress_bar(total=5, desc="report", enabled=progress, unit="section")
    bar.set_postfix_str("EDF")
    # EDFs, raw and complexity-normalized
    raw = {lab: EDF.from_samples(g.errors[g.mask(lab)]) for lab in g.order}
    plots.plot_edfs(raw, out / "edf_raw", "Error EDF (raw)")
    md += ["## Error EDF", "", "F(e) = fraction of models with error < e.", "",
           _figure_md("edf_raw", "raw error EDF"), ""]
    try:
        norm = complexity_weights(c, g.labels, bins=bins, scale=scale, empty=empty)
    except ValueError as exc:
        norm = None
        md += [f"Complexity normalization not possible: {exc}", ""]
        res["normalization"] = {"error": str(exc)}
    weightings = {"raw": None}
    if norm is not None:
        w = norm.weights
        weightings["normalized"] = w
        res["normalization"] = norm.to_dict()
        normed = {lab: EDF.from_samples(g.errors[g.mask(lab)], w[g.mask(lab)]) for lab in g.order}
        plots.plot_edfs(normed, out / "edf_normalized", f"Error EDF, {complexity}-normalized")
        md += ["## Complexity-normalized error EDF", "",
               f"{norm.n_bins} equal-width {scale} bins of `{complexity}` over the groups' common "
               f"range [{norm.edges[0]:.4g}, {norm.edges[-1]:.4g}]; a model of group s in bin b "
               "weighs 1 / (models of s in b × bins). Models outside the range are dropped "
               f"({norm.n_out_of_range}); bins empty for some group are dropped for all "
               f"({list(norm.dropped_bins) or 'none'}).", "",
               _figure_md("edf_normalized", "normalized error EDF"), ""]

    # KS matrices
    bar.update()
    bar.set_postfix_str("KS tests")
    md += ["## KS tests between groups", ""]
    ks_frames = []
    if len(g.order) < 2:
        md += ["Only one group: nothing to compare.", ""]
    else:
        ks_raw = ks_matrix(g.errors, g.labels, rng=gen).assign(weighting="raw")
        ks_frames.append(ks_raw)
        md += ["Raw (scipy `ks_2samp`):", "", _ks_markdown(ks_raw), ""]
        if norm is not None:
            keep = norm.weights > 0
            ks_norm = ks_matrix(g.errors[keep], g.labels[keep], norm.weights[keep],
                                norm.bin_index[keep], n_permutations=n_permutations, rng=gen)
            ks_frames.append(ks_norm.assign(weighting="normalized"))
            md += [f"Normalized (weighted D; p from {n_permutations} label permutations "
                   "within complexity bins):", "", _ks_markdown(ks_norm), ""]
    if ks_frames:
        ks_all = pd.concat(ks_frames, ignore_index=True)
        ks_all.to_parquet(out / "ks.parquet", index=False)
        res["ks"] = ks_all.to_dict(orient="records")

    # Random-search efficiency
    bar.update()
    bar.set_postfix_str("random search")
    rs_frames = []
    for wname, w in weightings.items():
        curves = {}
        for lab in g.order:
            m = g.mask(lab)
            df = random_search_curve(g.errors[m], None, None if w is None else w[m],
                                     n_trials=n_trials, rng=gen)
            curves[plots.with_n(lab, int(m.sum() if w is None else (w[m] > 0).sum()))] = df
            rs_frames.append(df.assign(group=lab, weighting=wname))
        plots.plot_random_search(curves, out / f"random_search_{wname}",
                                 f"Random-search efficiency ({wname})")
    rs = pd.concat(rs_frames, ignore_index=True)
    rs.to_parquet(out / "random_search.parquet", index=False)
    res["random_search"] = rs.to_dict(orient="records")
    md += ["## Random-search efficiency", "",
           "Expected min error of n models drawn at random (line: exact, by order statistics; "
           f"band: mean ± 2 std over {n_trials} simulated searches).", "",
           _figure_md("random_search_raw", "random search, raw")]
    if norm is not None:
        md += ["", _figure_md("random_search_normalized", "random search, normalized")]
    md += [""]

    # Sample size and the point-estimate trap
    bar.update()
    bar.set_postfix_str("sample size")
    ss = {lab: sample_size_curve(g.errors[g.mask(lab)], rng=gen) for lab in g.order
          if g.mask(lab).sum() > 10}
    md += ["## How many models does an EDF need?", ""]
    if ss:
        plots.plot_sample_size({plots.with_n(k, int(g.mask(k).sum())): v for k, v in ss.items()},
                               out / "sample_size")
        ss_all = pd.concat([v.assign(group=k) for k, v in ss.items()], ignore_index=True)
        ss_all.to_parquet(out / "sample_size.parquet", index=False)
        res["sample_size"] = ss_all.to_dict(orient="records")
        md += ["KS D between random subsamples and the whole group.", "",
               _figure_md("sample_size", "sample size")]
    else:
        md += ["No group has more than 10 models."]
    traps, notes = {}, []
    for lab in g.order:
        small, large = trap_sizes(int(g.mask(lab).sum()))
        if small < 5:
            notes.append(f"{lab}: too few models")
            continue
        traps[lab] = point_estimate_trap(g.errors[g.mask(lab)], small, large, n_trials, rng=gen)
    res["point_estimate_trap"] = {k: v.to_dict() for k, v in traps.items()}
    md += ["", "### Point-estimate trap", "",
           "Two disjoint random samples of one group (the paper: 100 vs 1,000; shrunk 1:10 for "
           "smaller groups). The larger one nearly always has the lower minimum error, while a KS "
           "test finds the two samples alike: compare distributions, not best models.", ""]
    if traps:
        plots.plot_trap(traps, out / "point_estimate_trap")
        md += [markdown.table(["group", "sizes", "larger wins", "ties", "median KS p"],
                         [[k, f"{r.small} vs {r.large}", f"{r.large_wins:.0%}", f"{r.ties:.0%}",
                           f"{np.median(r.pvalues):.2f}"] for k, r in traps.items()]), "",
               _figure_md("point_estimate_trap", "point-estimate trap")]
    md += [f"Skipped: {'; '.join(notes)}" if notes else "", ""]

    # Error vs complexity with Pareto fronts
    bar.update()
    bar.set_postfix_str("pareto")
    pts, fronts = {}, []
    for lab in g.order:
        m = g.mask(lab)
        pts[lab] = (c[m], g.errors[m])
        f = pareto_front(c[m], g.errors[m])
        fronts.append(g.frame[m].iloc[f][["arch_hash"] + [x for x in ("arch",) if x in g.frame]]
                      .assign(group=lab, complexity=c[m][f], error=g.errors[m][f]))
    plots.plot_pareto(pts, out / "pareto", xlabel=complexity)
    front = pd.concat(fronts, ignore_index=True)
    front.to_parquet(out / "pareto.parquet", index=False)
    res["pareto"] = front.to_dict(orient="records")
    md += ["## Error vs complexity", "", "Each line is a group's empirical Pareto front (lowest "
           f"error at most a given `{complexity}`).", "", _figure_md("pareto", "pareto"), ""]

    if transfer_from is not None:
        from nasbench.analysis.transfer import write_transfer

        if several:
            raise ValueError("transfer_from needs a single table")
        lines, found = write_transfer(transfer_from, table_path, out, where=transfer_where)
        res["transfer"] = [t.to_dict() for t in found]
        md += [f"## Rank transfer from `{transfer_from}`", "",
               "Do the cells that rank high on the other table rank high here? (NAS-Bench-201 "
               "reports the same between its datasets.)", ""] + lines

    models = pd.DataFrame({"arch_hash": g.frame["arch_hash"], "group": g.labels,
                           "error": g.errors, "complexity": c,
                           "weight_raw": g.uniform_weights()})
    if norm is not None:
        models = models.assign(weight_normalized=norm.weights, bin=norm.bin_index)
    models.to_parquet(out / "models.parquet", index=False)
    bar.update()
    bar.close()
    (out / "results.json").write_text(json.dumps(_clean(res), indent=1))
    md += ["Numbers: `results.json`; per-model errors and weights: `models.parquet`; "
           "also `ks.parquet`, `random_search.parquet`, `sample_size.parquet`, `pareto.parquet`"
           + (", `transfer.parquet`." if transfer_from is not None else "."),
           "", "## Regenerate", "", "```", command or "(written from Python: no command recorded)",
           "```"]
    readme = out / "README.md"
    readme.write_text("\n".join(md) + "\n")
    return readme
