"""`nasbench build`: train a plan of cells into a table folder (resumable)."""
from __future__ import annotations

import click

from nasbench.cli.common import block_list, blocks_option, command_line, examples, out_option, parse_int_range


@click.command("build", epilog=examples(
    "nasbench build --quick --out runs/quick",
    "nasbench build --sample 200 -b 1-5 --seeds 0 --seeds 1=0,1,2 --protocol digits -o runs/my-digits"))
@click.option("--space", default="pnas", show_default=True,
              help="Design space: pnas, nasnet, amoeba, enas, darts, vanilla, resnet, resnext_a, resnext_b.")
@blocks_option("Block counts (default: 1 for pnas, the space's own size otherwise).")
@click.option("--exhaustive", "mode", flag_value="exhaustive", help="Every canonical cell of each block count.")
@click.option("--sample", "sample_n", type=int, default=None, help="N uniform cells per block count.")
@click.option("--plan-file", type=click.Path(dir_okay=False), default=None, help="Arch strings, one per line.")
@click.option("--children-of", type=click.Path(file_okay=False), default=None,
              help="Expand the --top K best cells of this table by one block.")
@click.option("--top", type=int, default=None, help="With --children-of: how many parents.")
@click.option("--seeds", "seeds", multiple=True, default=("0",), show_default=True,
              help="Training seeds, e.g. 0,1,2 or 0-2; B=SEEDS sets them for one block count "
                   "(e.g. --seeds 0 --seeds 1=0-2: three seeds for B1, one for the rest).")
@click.option("--build-seed", type=int, default=0, show_default=True, help="Seed of --sample draws.")
@click.option("--max-params", type=click.IntRange(1), default=None,
              help="With --sample: draw only networks with at most this many parameters (NDS-style "
                   "complexity window; rejection sampling).")
@click.option("--min-params", type=click.IntRange(0), default=None, help="With --sample: at least this many.")
@click.option("--protocol", default="digits", show_default=True, help="Preset name or protocol .json file.")
@out_option(folder=True, help="Table folder (created/resumed).")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--workers", type=click.IntRange(1), default=None, help="Processes (default: one per core).")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N.")
@click.option("--models-per-gpu", "--workers-per-gpu", "models_per_gpu", type=click.IntRange(1), default=1,
              show_default=True, help="Worker processes per GPU, each bound to its GPU (tiny models "
              "leave one GPU mostly idle; choose N from benchmarks/gpu_check.py, see docs/gpu.md).")
@click.option("--ray-address", default=None, help="Existing Ray cluster ('auto'); default: local ray.init.")
@click.option("--max-retries", type=click.IntRange(0), default=3, show_default=True, help="Ray task retries.")
@click.option("--data-dir", default=None, help="Dataset folder (default $NASBENCH_DATA or ~/.cache/nasbench/data).")
@click.option("--quick", is_flag=True, help="A small demo: 16 B1 cells, 1 seed, digits-quick "
              "(unless given), then a replay random search on the result.")
@click.option("--compile", "compile_step", is_flag=True,
              help="torch.compile the training step (falls back to eager on failure; "
                   "not bit-equal to eager; pays only for long protocols).")
@click.option("--cuda-graphs", is_flag=True,
              help="Capture the training step as a CUDA graph (CUDA only; elsewhere its eager twin runs).")
@click.option("--merge-shards", type=click.Path(file_okay=False, exists=True), default=None,
              help="Instead of training: add the shard bundles in this folder (from gpu_check.py or "
              "another machine) to OUT, validated like any build.")
@click.option("--reuse", "reuse", multiple=True, type=click.Path(file_okay=False, exists=True),
              help="A table of the same protocol whose runs of planned (cell, seed) tasks are "
              "added instead of trained; op-subset and 8-op PNAS tables are re-keyed by cell. Repeatable.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def build(space, blocks, mode, sample_n, plan_file, children_of, top, seeds, build_seed, max_params, min_params,
          protocol, out,
          backend, workers, device, models_per_gpu, ray_address, max_retries, data_dir, quick, compile_step,
          cuda_graphs, merge_shards, reuse, no_progress):
    """Train every task of a plan into OUT; the same command resumes an interrupted build."""
    import sys

    from nasbench.builder import plan as plans
    from nasbench.builder.build import build as run_build
    from nasbench.builder.protocol import get_protocol
    from nasbench.builder.runners import RunnerConfig

    ctx = click.get_current_context()
    if merge_shards is not None:
        _merge(ctx, merge_shards, protocol, out)
        return
    if quick:
        if ctx.get_parameter_source("protocol").name == "DEFAULT":
            protocol = "digits-quick"
        if sample_n is None and mode is None and plan_file is None and children_of is None:
            sample_n = 16
    seed_list = _parse_seeds(seeds)
    from nasbench.space import get_space

    space_obj = get_space(space)
    sizes = block_list(blocks) or ([1] if space == "pnas" else list(space_obj.default_sizes))
    chosen = [x for x in (mode, sample_n, plan_file, children_of) if x is not None]
    if len(chosen) != 1:
        raise click.UsageError("choose exactly one of --exhaustive, --sample N, --plan-file, --children-of")
    if (max_params is not None or min_params is not None) and sample_n is None:
        raise click.UsageError("--max-params / --min-params only apply to --sample N")
    proto = get_protocol(protocol)
    if mode == "exhaustive":
        plan = plans.exhaustive(sizes, seed_list, space)
    elif sample_n is not None:
        accept, window = None, ""
        if max_params is not None or min_params is not None:
            accept = plans.params_window(proto, max_params, min_params, data_dir)
            window = f"params in [{min_params or 0}, {max_params if max_params is not None else 'inf'}]"
        plan = plans.sampled(sizes, sample_n, seed_list, build_seed, space, accept, window)
    elif plan_file is not None:
        explicit = ctx.get_parameter_source("space").name != "DEFAULT"
        plan = plans.from_file(plan_file, seed_list, space if explicit else None)
    else:
        if top is None:
            raise click.UsageError("--children-of needs --top K")
        plan = plans.children_of(children_of, top, seed_list)
    runner = RunnerConfig(backend=backend, workers=workers, device=device, models_per_gpu=models_per_gpu,
                          ray_address=ray_address, max_retries=max_retries, data_dir=data_dir,
                          compile=compile_step, graphs=cuda_graphs)
    command = command_line(ctx)
    summary = run_build(plan, proto, out, runner, progress=not no_progress, command=command, reuse=reuse)
    reused = f" ({summary.reused} of them reused from --reuse tables)" if summary.reused else ""
    click.echo(f"trained {summary.trained} ({summary.failed} failed), skipped {summary.skipped} already "
               f"built{reused}, in {summary.seconds:.0f}s -> {summary.out}", err=True)
    if summary.interrupted:
        sys.exit(summary.exit_status or 130)
    if quick:
        _quick_report(summary.out)


def _merge(ctx, src, protocol, out) -> None:
    from nasbench.builder.merge import merge_shards
    from nasbench.builder.protocol import get_protocol

    training = ("space", "blocks", "mode", "sample_n", "plan_file", "children_of", "quick")
    given = [name for name in training if ctx.get_parameter_source(name).name != "DEFAULT"]
    if given:
        raise click.UsageError(f"--merge-shards trains nothing: drop {', '.join(given)}")
    added, table = merge_shards(src, out, get_protocol(protocol), command_line(ctx),
                                report=lambda msg: click.echo(msg, err=True))
    click.echo(f"merged {added} results -> {table}", err=True)


def _parse_seeds(values: tuple[str, ...]) -> dict[int, list[int]]:
    mapping: dict[int, list[int]] = {}
    for value in values:
        block, _, seeds = value.rpartition("=")
        key = int(block) if block.strip().isdigit() else 0
        if block and not block.strip().isdigit():
            raise click.BadParameter(f"--seeds {value!r}: expected SEEDS or B=SEEDS")
        mapping[key] = parse_int_range(seeds, "--seeds")
    mapping.setdefault(0, [0])
    return mapping


def _quick_report(out) -> None:
    """Print the best cells of the new table, then replay two searches against it."""
    from nasbench.search import Budget, ReplayEvaluator, get_algorithm
    from nasbench.tables.benchmark import Benchmark

    bench = Benchmark.open(out)
    click.echo("\nbest cells (selected by val, reporting test):")
    for row in bench.best(5):
        click.echo(f"  val {row['val_acc']:.3f}  test {row['test_acc']:.3f}  {row['arch']}")
    budget = max(2, len(bench) // 2)
    click.echo(f"\nreplay search on this table (miss=restrict, {budget} models, simulated clock):")
    for name in ("random", "evolution"):
        options = {"population": max(2, budget // 3), "sample": 2} if name == "evolution" else {}
        evaluator = ReplayEvaluator(out, miss="restrict")
        traj = get_algorithm(name).run(evaluator, Budget(models=budget), seed=0, **options)
        click.echo(f"  {name:<10} best val {traj.best_val:.3f} -> test {traj.best_test:.3f} "
                   f"after {len(traj)} models, {evaluator.elapsed:.0f} simulated seconds")
