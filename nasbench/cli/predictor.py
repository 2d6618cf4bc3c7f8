"""`nasbench predictor fit|eval|predict`: train, evaluate and apply surrogate predictors.

Heavy imports (torch, xgboost, pandas) happen inside the commands so ``nasbench --help``
stays fast.
"""
from __future__ import annotations

import ast
import json

import click

from nasbench.cli.common import (Group, command_line, examples, out_option, parse_params, progress_option,
                                 renamed, table_option)


def _sizes(text: str) -> list:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "all":
            sizes.append(None)
        elif part.isdigit() and int(part) >= 2:
            sizes.append(int(part))
        else:
            raise click.BadParameter(f"sizes must be integers >= 2 or 'all', got {part!r}",
                                     param_hint="--sizes")
    return sizes


@click.group("predictor", cls=Group, epilog=examples(
    "nasbench predictor fit -t tables/digits-pnas -m xgboost -o xgb.npz",
    "nasbench predictor eval -t tables/digits-pnas --models xgboost --n-seeds 2 -o runs/predictors"))
def predictor() -> None:
    """Fit, evaluate and apply performance predictors (lstm, mlp_ensemble, xgboost, params)."""


@predictor.command("fit", epilog=examples(
    "nasbench predictor fit -t tables/digits-pnas -m xgboost -o xgb.npz",
    "nasbench predictor fit -t tables/digits-pnas -m lstm -p epochs=20 -o lstm.npz"))
@table_option(help="Table folder (or its runs.parquet).")
@click.option("--model", "-m", default="xgboost", show_default=True, help="Registered predictor name.")
@click.option("--target", default="val_acc", show_default=True, help="Column to predict (seed mean).")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="Hyper-parameter override, repeatable (e.g. -p epochs=20).")
@click.option("--seed", default=0, show_default=True, type=int, help="random_state of the predictor.")
@out_option(folder=False, help="Model file to write.")
def fit(table, model, target, params, seed, out) -> None:
    """Fit MODEL on TABLE's architectures and save it to OUT."""
    from nasbench.predictors import create_predictor, get_predictor_class
    from nasbench.predictors.data import ArchData

    hp = parse_params(params)
    cls = get_predictor_class(model)
    data = ArchData.from_table(table, target)
    if "random_state" in cls._param_names():
        hp.setdefault("random_state", seed)
    if model == "params":
        hp.setdefault("complexity", data.complexity_map())
    pred = create_predictor(model, **hp).fit(data.cells, data.y)
    pred.save(out)
    click.echo(f"fitted {model} on {len(data)} architectures ({target}) -> {out}")


@predictor.command("eval", epilog=examples(
    "nasbench predictor eval -t tables/digits-pnas --models xgboost --n-seeds 2 -o runs/predictors",
    "nasbench predictor eval -t tables/digits-pnas --sizes 20,50,all --no-extrapolation -o runs/sweep"))
@table_option(help="Table folder (or its runs.parquet).")
@click.option("--models", default="lstm,mlp_ensemble,xgboost", show_default=True,
              help="Comma-separated predictor names (the params baseline is added when the table has params).")
@click.option("--sizes", default="20,50,100,200,500,all", show_default=True,
              help="Comma-separated train sizes; 'all' = every non-test architecture.")
@click.option("--n-seeds", default=5, show_default=True, type=click.IntRange(1), help="Seeds per setting.")
@renamed(("--seeds",), "--n-seeds", "n_seeds", type=click.IntRange(1))
@click.option("--target", default="val_acc", show_default=True, help="Column to predict (seed mean).")
@click.option("--test-fraction", default=0.2, show_default=True, type=float, help="Held-out test share.")
@click.option("--top-k", "top_k", multiple=True, default=(10,), show_default=True, type=click.IntRange(1),
              help="k of precision@k; repeatable (e.g. --top-k 8 --top-k 16 --top-k 25 --top-k 32).")
@click.option("--param", "-p", "params", multiple=True, metavar="MODEL.KEY=VALUE",
              help="Hyper-parameter override, repeatable (e.g. -p lstm.epochs=20).")
@click.option("--no-extrapolation", is_flag=True, help="Skip the b -> b+1 protocol.")
@click.option("--no-baseline", is_flag=True, help="Skip the params baseline.")
@out_option(folder=True, help="Report folder.")
@progress_option
def evaluate(table, models, sizes, n_seeds, target, test_fraction, top_k, params, no_extrapolation,
             no_baseline, out, progress) -> None:
    """Train-size sweep, b -> b+1 and calibration on TABLE; writes Parquet, plots, README."""
    from nasbench.predictors.evaluate import run_evaluation

    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise click.BadParameter("give at least one model", param_hint="--models")
    frames = run_evaluation(table, names, out, sizes=_sizes(sizes), seeds=n_seeds, target=target,
                            hparams=parse_params(params, scope="MODEL"), test_fraction=test_fraction,
                            top_k=top_k[0] if len(top_k) == 1 else tuple(top_k), extrapolation=not no_extrapolation,
                            include_baseline=not no_baseline, progress=progress,
                            command=command_line(click.get_current_context()))
    summary = frames["summary"]
    for row in summary.itertuples(index=False):
        where = (f"n={int(row.train_size)}" if row.protocol == "train_size"
                 else f"<={int(row.train_blocks)}->{int(row.test_blocks)}")
        click.echo(f"{row.protocol:13s} {row.predictor:13s} {where:10s} "
                   f"kendall_tau={row.kendall_tau_mean:.3f}±{0 if row.n_runs < 2 else row.kendall_tau_std:.3f}")
    click.echo(f"report: {out}/README.md")


@predictor.command("predict", epilog=examples(
    "nasbench predictor predict --model-file xgb.npz -a sep3@0+max3@1 -a id@0+avg3@1",
    "nasbench predictor predict --model-file xgb.npz -a sep3@0+max3@1 --json"))
@click.option("--model-file", type=click.Path(dir_okay=False), default=None,
              help="Saved model file (from predictor fit -o).  [required]")
@renamed(("--model", "-m"), "--model-file", "model_file", type=click.Path(dir_okay=False))
@click.option("--arch", "-a", "archs", multiple=True, required=True, help="Architecture, repeatable.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of tab-separated text.")
def predict(model_file, archs, as_json) -> None:
    """Print the saved model's prediction for each --arch (value, then the canonical arch)."""
    from nasbench.predictors import load_predictor
    from nasbench.predictors.encoding import as_cells

    if model_file is None:
        raise click.UsageError("Missing option '--model-file'.")
    pred = load_predictor(model_file)
    cells = as_cells(archs, "--arch")
    for cell, value in zip(cells, pred.predict(cells)):
        if as_json:
            click.echo(json.dumps({"arch": cell.canonical_string, "arch_hash": cell.arch_hash,
                                   "prediction": float(value)}))
        else:
            click.echo(f"{value:.6f}\t{cell.canonical_string}")
