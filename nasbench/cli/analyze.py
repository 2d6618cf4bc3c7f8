"""`nasbench analyze`: design-space analysis of tables (EDF, KS, random search, report).

Thin: options are parsed here and the work is done by :mod:`nasbench.analysis`, which is
imported inside the commands so that loading the CLI stays light.
"""
from __future__ import annotations

from pathlib import Path

import click

from nasbench.cli.common import Group, command_line, examples, out_option, progress_option, table_option


def _selection_options(f):
    """--table/--group-by/--metric/--normalize/--bins/--scale/--empty/--min-models."""
    options = [
        table_option(multiple=True, help="Table folder (with runs.parquet); repeat to compare tables."),
        click.option("--group-by", default="num_blocks", show_default=True,
                     help="Column defining the compared groups, or 'none'. With several "
                          "tables the table name is prepended."),
        click.option("--metric", default="test_acc", show_default=True,
                     help="Accuracy column; error = 1 - metric."),
        click.option("--normalize", type=click.Choice(["params", "flops", "none"]),
                     default="none", show_default=True,
                     help="Complexity-normalize the groups' EDFs (NDS weights)."),
        click.option("--bins", type=click.IntRange(min=1), default=10, show_default=True,
                     help="Equal-width complexity bins for normalization."),
        click.option("--scale", type=click.Choice(["linear", "log"]), default="linear",
                     show_default=True, help="Bin on a linear or log complexity scale."),
        click.option("--empty", type=click.Choice(["raise", "drop"]), default="raise",
                     show_default=True,
                     help="A bin without models of some group: fail, or drop it for all."),
        click.option("--min-models", type=click.IntRange(min=1), default=5, show_default=True,
                     help="Skip groups with fewer models."),
        click.option("--where", default=None,
                     help="Keep only models matching this pandas query, e.g. "
                          "'num_blocks == 5 and params <= 300000'."),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


def _prepare(tables, group_by, metric, normalize, bins, scale, empty, min_models, where=None):
    """(groups, weights or None, strata or None) for the selected tables."""
    from nasbench.analysis import complexity_weights, load_tables, split_groups

    from nasbench.analysis.data import select

    df = select(load_tables(tables), where)
    by = [] if group_by == "none" else [group_by]
    if len(tables) > 1 and group_by != "table":
        by = ["table"] + by
    g = split_groups(df, by, metric, min_models)
    for label, n in g.skipped.items():
        click.echo(f"skipped {label}: {n} models (< {min_models})", err=True)
    if normalize == "none":
        return g, None, None
    norm = complexity_weights(g.complexity(normalize), g.labels, bins=bins, scale=scale,
                              empty=empty)
    if norm.n_out_of_range or norm.dropped_bins:
        click.echo(f"normalization: {norm.n_out_of_range} models outside the common "
                   f"{normalize} range, dropped bins {list(norm.dropped_bins)}", err=True)
    return g, norm.weights, norm.bin_index


def _out_dir(out: Path | None) -> Path | None:
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    return out


@click.group(cls=Group, epilog=examples(
    "nasbench analyze report -t tables/digits-pnas -o runs/report",
    "nasbench analyze transfer -t tables/digits-pnas -t tables/fmnist-pnas --where 'num_blocks == 1'"))
def analyze() -> None:
    """Design-space analysis (Radosavovic et al., ICCV 2019): EDFs, KS tests, random search."""


@analyze.command(epilog=examples(
    "nasbench analyze edf -t tables/digits-pnas",
    "nasbench analyze edf -t tables/digits-pnas --normalize params -o runs/edf"))
@_selection_options
@out_option(folder=True, required=False, path_type=Path, help="Write edf.png/.svg and edf.parquet.")
def edf(tables, group_by, metric, normalize, bins, scale, empty, min_models, where, out):
    """Error EDF per group: summary to stdout, plot and step functions with --out."""
    import pandas as pd

    from nasbench.analysis import EDF
    from nasbench.analysis.plots import plot_edfs

    g, w, _ = _prepare(tables, group_by, metric, normalize, bins, scale, empty, min_models, where)
    curves, rows = {}, []
    for lab in g.order:
        m = g.mask(lab)
        d = EDF.from_samples(g.errors[m], None if w is None else w[m])
        curves[lab] = d
        rows.append({"group": lab, "n": d.n, "min_%": 100 * d.values[0],
                     "median_%": 100 * d.quantile(0.5), "mean_%": 100 * d.values @ d.mass})
    click.echo(pd.DataFrame(rows).to_string(index=False, float_format="%.2f"))
    if _out_dir(out):
        title = "Error EDF" + ("" if normalize == "none" else f", {normalize}-normalized")
        plot_edfs(curves, out / "edf", title)
        pd.concat([pd.DataFrame({"group": k, "error": d.values, "cdf": d.cumulative})
                   for k, d in curves.items()]).to_parquet(out / "edf.parquet", index=False)
        click.echo(f"wrote {out / 'edf.png'}, edf.svg, edf.parquet")


@analyze.command(epilog=examples(
    "nasbench analyze ks -t tables/digits-pnas",
    "nasbench analyze ks -t tables/digits-pnas --normalize params --permutations 200 -o runs/ks"))
@_selection_options
@click.option("--permutations", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Permutations for the weighted (normalized) test.")
@click.option("--seed", type=int, default=0, show_default=True)
@out_option(folder=True, required=False, path_type=Path, help="Write ks.parquet.")
def ks(tables, group_by, metric, normalize, bins, scale, empty, min_models, where, permutations,
       seed, out):
    """Two-sample KS test between every pair of groups (normalized: permutation p-values)."""
    from nasbench.analysis import ks_matrix

    g, w, strata = _prepare(tables, group_by, metric, normalize, bins, scale, empty, min_models, where)
    if len(g.order) < 2:
        raise ValueError(f"need at least two groups to compare, got {list(g.order)}")
    keep = slice(None) if w is None else w > 0
    pairs = ks_matrix(g.errors[keep], g.labels[keep], None if w is None else w[keep],
                      None if strata is None else strata[keep], n_permutations=permutations,
                      rng=seed)
    click.echo(pairs.to_string(index=False, float_format="%.4g"))
    if _out_dir(out):
        pairs.to_parquet(out / "ks.parquet", index=False)
        click.echo(f"wrote {out / 'ks.parquet'}")


@analyze.command("random-search", epilog=examples(
    "nasbench analyze random-search -t tables/digits-pnas --trials 200",
    "nasbench analyze random-search -t tables/digits-pnas --group-by none -o runs/rs"))
@_selection_options
@click.option("--trials", type=click.IntRange(min=2), default=1000, show_default=True,
              help="Simulated searches per n (for the mean +- 2 std band).")
@click.option("--seed", type=int, default=0, show_default=True)
@out_option(folder=True, required=False, path_type=Path,
            help="Write random_search.png/.svg and random_search.parquet.")
def random_search(tables, group_by, metric, normalize, bins, scale, empty, min_models, where, trials,
                  seed, out):
    """Expected min error of n random models (exact) and its simulated band, n = 1, 2, 4, ..."""
    import numpy as np
    import pandas as pd

    from nasbench.analysis import random_search_curve
    from nasbench.analysis.plots import plot_random_search, with_n

    g, w, _ = _prepare(tables, group_by, metric, normalize, bins, scale, empty, min_models, where)
    rng = np.random.default_rng(seed)
    curves, frames = {}, []
    for lab in g.order:
        m = g.mask(lab)
        wm = None if w is None else w[m]
        df = random_search_curve(g.errors[m], None, wm, n_trials=trials, rng=rng)
        curves[with_n(lab, int(m.sum() if wm is None else (wm > 0).sum()))] = df
        frames.append(df.assign(group=lab))
    table = pd.concat(frames, ignore_index=True)
    click.echo(table[["group", "n", "exact_mean", "exact_std", "lo", "hi"]]
               .to_string(index=False, float_format="%.4f"))
    if _out_dir(out):
        plot_random_search(curves, out / "random_search")
        table.to_parquet(out / "random_search.parquet", index=False)
        click.echo(f"wrote {out / 'random_search.png'}, random_search.svg, random_search.parquet")


@analyze.command(epilog=examples(
    "nasbench analyze report -t tables/digits-pnas -o runs/report",
    "nasbench analyze report -t tables/digits-pnas -t runs/my-table --group-by table -o runs/two"))
@table_option(multiple=True, help="Table folder (with runs.parquet); repeat to analyze several "
              "together (e.g. one table per space with --group-by space).")
@out_option(folder=True, path_type=Path, help="Report folder.")
@click.option("--group-by", default="num_blocks", show_default=True,
              help="Column defining the compared groups, or 'none'.")
@click.option("--complexity", type=click.Choice(["params", "flops"]), default="params",
              show_default=True)
@click.option("--metric", default="test_acc", show_default=True)
@click.option("--bins", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--scale", type=click.Choice(["linear", "log"]), default="linear",
              show_default=True)
@click.option("--permutations", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--trials", type=click.IntRange(min=2), default=1000, show_default=True)
@click.option("--min-models", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--where", default=None, help="Keep only models matching this pandas query.")
@click.option("--notes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Markdown file of findings to place under the README's header (kept on re-runs).")
@click.option("--transfer-from", type=click.Path(exists=True, path_type=Path), default=None,
              help="Another table of the same space (e.g. another dataset): add a rank-transfer "
                   "section over the cells both hold.")
@click.option("--transfer-where", default=None,
              help="With --transfer-from: compare only these cells, e.g. 'num_blocks == 1'.")
@progress_option
def report(tables, out, group_by, complexity, metric, bins, scale, permutations, trials,
           min_models, seed, where, notes, transfer_from, transfer_where, progress):
    """Full NDS-style report of one or more tables: README.md, figures, results.json, Parquet."""
    from nasbench.analysis import write_report

    path = write_report(tables[0] if len(tables) == 1 else list(tables), out, group_by=None if group_by == "none" else group_by,
                        complexity=complexity, metric=metric, bins=bins, scale=scale,
                        min_models=min_models, n_permutations=permutations, n_trials=trials,
                        rng=seed, where=where, notes=notes, progress=progress,
                        transfer_from=transfer_from, transfer_where=transfer_where,
                        command=command_line(click.get_current_context()))
    click.echo(f"wrote {path}")


@analyze.command(epilog=examples(
    "nasbench analyze transfer -t tables/digits-pnas -t tables/fmnist-pnas --where 'num_blocks == 1'",
    "nasbench analyze transfer -t tables/digits-pnas -t tables/fmnist-pnas -o runs/transfer"))
@table_option(multiple=True, help="Two table folders of the same space (e.g. two datasets).")
@click.option("--metric", "metrics", multiple=True, default=("val_acc", "test_acc"), show_default=True,
              help="Accuracy column(s) to compare; repeatable.")
@click.option("--where", default=None, help="Compare only these cells, e.g. 'num_blocks == 1'.")
@click.option("--top", "tops", type=click.IntRange(min=1), multiple=True, default=(10, 25),
              show_default=True, help="Top-k overlaps to count; repeatable.")
@out_option(folder=True, required=False, path_type=Path,
            help="Write README.md, transfer.png/.svg and transfer.parquet.")
def transfer(tables, metrics, where, tops, out):
    """Rank transfer between two tables: Spearman, Kendall and top-k overlap of the seed-mean
    metric over the cells both hold, as NAS-Bench-201 reports between its datasets."""
    from nasbench.analysis.transfer import write_transfer

    if len(tables) != 2:
        raise click.UsageError(f"give exactly two tables (-t A -t B), got {len(tables)}")
    lines, _ = write_transfer(tables[0], tables[1], out, metrics=metrics, where=where, top=tuple(tops))
    table = [line for line in lines if line.startswith("|")]
    click.echo("\n".join(table))
    if out is not None:
        readme = out / "README.md"
        readme.write_text("\n".join([f"# Rank transfer: `{tables[0]}` vs `{tables[1]}`", ""] + lines
                                     + ["## Regenerate", "", "```",
                                        command_line(click.get_current_context()), "```", ""]))
        click.echo(f"wrote {readme}")
