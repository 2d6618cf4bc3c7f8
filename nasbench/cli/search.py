"""`nasbench search run|compare`: run one search (replay or live) or compare algorithms.

Heavy imports happen inside the commands so ``nasbench --help`` stays fast.
"""
from __future__ import annotations

import ast
import shlex
import sys

import click

from nasbench.cli.common import (Group, OutPath, examples, out_option, parse_params, progress_option, renamed,
                                 table_option)


def _seed_policy(text: str):
    return int(text) if text.lstrip("-").isdigit() else text


def _budget(models, seconds):
    from nasbench.search import Budget

    return Budget(models=models, seconds=seconds)


def _surrogate(table, miss, path, model):
    """A fitted TableSurrogate for miss='surrogate' (loaded from PATH, else fitted on TABLE)."""
    if miss != "surrogate":
        if path:
            raise ValueError("--surrogate only applies with --miss surrogate")
        return None
    from nasbench.predictors.surrogate import TableSurrogate

    if path:
        return TableSurrogate.load(path)
    click.echo(f"fitting a {model} TableSurrogate on {table} ...", err=True)
    return TableSurrogate(model).fit(table)


def _command() -> str:
    """The invocation, for a report's Regenerate section (without ``--report-only``)."""
    return " ".join(shlex.quote(a) for a in ["nasbench", *sys.argv[1:]] if a != "--report-only")


@click.group("search", cls=Group, epilog=examples(
    "nasbench search run --algorithm evolution -t tables/digits-pnas --budget-models 100 -o evo.parquet",
    "nasbench search compare -t tables/digits-pnas --budget-models 100 --n-seeds 10 -o runs/compare"))
def search() -> None:
    """Run NAS algorithms (random, evolution, rl, pnas) in replay or live, and compare them."""


_common = [
    click.option("--budget-models", type=int, default=None, help="Stop after N evaluations."),
    click.option("--budget-seconds", type=float, default=None,
                 help="Stop once the evaluator clock passes S seconds (simulated in replay)."),
    click.option("--miss", type=click.Choice(["restrict", "surrogate", "error"]), default=None,
                 help="Replay: cells missing from the table (default: error on a table closed up to "
                      "the searched B, else restrict)."),
    click.option("--seed-policy", default="mean", show_default=True,
                 help="Replay: 'mean' over seeds, 'random' (one seed per call) or a seed number."),
    click.option("--surrogate", "surrogate_path", type=click.Path(dir_okay=False), default=None,
                 help="--miss surrogate: a saved TableSurrogate (default: fit one on the table)."),
    click.option("--surrogate-model", default="xgboost", show_default=True,
                 help="--miss surrogate: predictor to fit when --surrogate is not given."),
]


def common(f):
    for option in reversed(_common):
        f = option(f)
    return f


@search.command("run", epilog=examples(
    "nasbench search run --algorithm evolution -t tables/digits-pnas --budget-models 100 -o evo.parquet",
    "nasbench search run --algorithm random --live --budget-models 8 --out-table runs/live -o live.parquet"))
@click.option("--algorithm", default=None, help="random, evolution, rl or pnas.  [required]")
@renamed(("-a",), "--algorithm", "algorithm")
@table_option(required=False, help="Replay: the table folder.")
@common
@click.option("--seed", default=0, show_default=True, type=int, help="Search seed.")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="Algorithm option, repeatable (e.g. -p K=64 -p Bmax=3).")
@out_option(folder=False, help="Trajectory Parquet file to write.")
@click.option("--live", is_flag=True, help="Train every cell for real (cached in --out-table).")
@click.option("--protocol", default="digits-quick", show_default=True,
              help="Live: protocol preset or JSON file.")
@click.option("--epochs", type=int, default=None, help="Live: override the protocol's epochs.")
@click.option("--out-table", type=OutPath(folder=True), default=None,
              help="Live: builder folder that caches every trained model (a table after the run).")
@click.option("--device", default="cpu", show_default=True, help="Live: cpu, cuda or cuda:N.")
@click.option("--train-seed", default=0, show_default=True, type=int, help="Live: training seed.")
@click.option("--data-dir", default=None, help="Live: dataset folder.")
@click.option("--space", default="pnas", show_default=True,
              help="Live: design space searched (replay searches the table's space).")
def run(algorithm, table, budget_models, budget_seconds, miss, seed_policy, surrogate_path,
        surrogate_model, seed, params, out, live, protocol, epochs, out_table, device, train_seed,
        data_dir, space) -> None:
    """Run one search and write its trajectory to OUT."""
    from nasbench.search import LiveEvaluator, ReplayEvaluator, get_algorithm

    if algorithm is None:
        raise click.UsageError("Missing option '--algorithm'.")
    algo = get_algorithm(algorithm)
    options = parse_params(params)
    budget = _budget(budget_models, budget_seconds)
    if live:
        if not out_table:
            raise ValueError("--live needs --out-table DIR (where trained models are cached)")
        from nasbench.builder.protocol import get_protocol

        proto = get_protocol(protocol)
        if epochs is not None:
            proto = proto.replace(epochs=epochs)
        evaluator = LiveEvaluator(proto, out_table, device=device, seed=train_seed,
                                  data_dir=data_dir, command=_command(), space=space)
    else:
        if not table:
            raise ValueError("replay needs --table TABLE (or use --live)")
        if miss is None:
            from nasbench.search.closed import default_miss

            miss = default_miss(table, [algorithm], {algorithm: options})
        evaluator = ReplayEvaluator(table, seed_policy=_seed_policy(seed_policy), miss=miss,
                                    surrogate=_surrogate(table, miss, surrogate_path, surrogate_model),
                                    rng=seed)
    from nasbench.stop import exit_status, stop_on_signals

    try:
        with stop_on_signals():  # SIGTERM / SIGHUP end the search the way Ctrl-C does
            traj = algo.run(evaluator, budget, seed, **options)
    except KeyboardInterrupt as exc:
        traj = getattr(exc, "trajectory", None)
        if traj is not None and len(traj):
            traj.to_parquet(out)
        click.echo(f"interrupted: {len(traj) if traj else 0} evaluations saved to {out}"
                   + (f"; every finished model is in {out_table}" if live else ""), err=True)
        sys.exit(exit_status(exc))
    finally:
        if live and not evaluator.closed:
            with stop_on_signals(defer=True):  # the compaction always finishes
                evaluator.close()
    traj.to_parquet(out)
    click.echo(f"{algorithm}: {len(traj)} evaluations, {traj.elapsed / 3600:.3f} h "
               f"{'wall-clock' if live else 'simulated'}; best val {traj.best_val:.4f} "
               f"(test {traj.best_test:.4f}): {traj.best_arch}")
    if live:
        click.echo(f"trained {evaluator.n_trained}, reused {evaluator.n_cached}; table {out_table}")
    click.echo(f"wrote {out}")


@search.command("compare", epilog=examples(
    "nasbench search compare -t tables/digits-pnas --budget-models 100 --n-seeds 10 -o runs/compare",
    "nasbench search compare -t tables/digits-pnas --algorithms random,evolution -p evolution.population=20 "
    "--budget-models 200 -o runs/compare-evo"))
@table_option()
@click.option("--algorithms", default="random,evolution,rl,pnas", show_default=True,
              help="Comma-separated arms: algorithm names, optionally with inline options, "
                   "e.g. 'pnas[K=8,surrogate=xgboost],pnas[K=32],rl,ppo'.")
@click.option("--n-seeds", default=20, show_default=True, type=int, help="Seeds 0..N-1 per algorithm.")
@renamed(("--seeds",), "--n-seeds", "n_seeds", type=int)
@common
@click.option("--param", "-p", "params", multiple=True, metavar="ALGORITHM.KEY=VALUE",
              help="Algorithm option, repeatable (e.g. -p pnas.K=64).")
@click.option("--target-acc", type=float, default=None,
              help="Val accuracy to reach (default: rl's mean final best val; Table 1: PNAS's "
                   "final top-M means). Never above the table's best measured val.")
@renamed(("--target",), "--target-acc", "target_acc", type=float)
@click.option("--workers", type=int, default=None, help="Worker processes (default: all cores).")
@out_option(folder=True, help="Output folder.")
@click.option("--report-only", is_flag=True,
              help="Run no searches: render OUT's report again from its trajectories.parquet "
                   "(give the options of the run that wrote it).")
@progress_option
def compare(table, algorithms, n_seeds, budget_models, budget_seconds, miss, seed_policy,
            surrogate_path, surrogate_model, params, target_acc, workers, out, report_only,
            progress) -> None:
    """Run every algorithm with N_SEEDS seeds in replay; write plots, summary and README to OUT."""
    from pathlib import Path

    from nasbench.search import harness

    from nasbench.search.arms import split_arms

    names = split_arms(algorithms)
    if n_seeds < 1:
        raise ValueError(f"--n-seeds must be >= 1, got {n_seeds}")
    budget = _budget(budget_models, budget_seconds)
    surrogate = None if report_only else _surrogate(table, miss, surrogate_path, surrogate_model)
    if surrogate is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        surrogate_path = str(Path(out) / "surrogate.npz")
        surrogate.save(surrogate_path)
    readme = harness.compare(table, names, n_seeds, budget, out, parse_params(params, scope="ALGORITHM"),
                             target_acc, _seed_policy(seed_policy), miss, surrogate_path, workers,
                             command=_command(), progress=progress, report_only=report_only)
    for line in Path(readme).read_text().splitlines():
        if line.startswith("|"):
            click.echo(line)
    click.echo(f"wrote {readme}")
