"""`nasbench query`, `nasbench info` and `nasbench table validate|merge|datasheet`.

``--table/-t`` defaults to the shipped table (``Benchmark.default()``). Output is an aligned text
table, or JSON lines with ``--json`` (NaN and infinities become null).
"""
from __future__ import annotations

import json
import math

import click

from nasbench.cli.common import (Group, OutPath, block_list, deprecated, blocks_option, examples, out_option,
                                 positional_table, table_option)

#: Per-seed columns shown in the text view of a seed-mean query.
_RUN_VIEW = ("status", "val_acc", "test_acc", "val_loss", "train_seconds")
_CURVE_VIEW = ("val_acc", "test_acc", "val_loss", "epoch_seconds")


def _open(table: str | None):
    from nasbench.tables.benchmark import Benchmark

    return Benchmark.default() if table is None else Benchmark.open(table)


def _plain(value):
    """JSON-safe: non-finite floats -> None, numpy scalars -> Python, dict keys -> str."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "-" if value is None else str(value)


def format_rows(rows: list[dict], columns: list[str]) -> str:
    """Rows as an aligned text table (numbers right-aligned, floats to 4 decimals)."""
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r.get(c), (int, float)) for r in rows) for c in columns]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric)).rstrip()

    return "\n".join([line(columns)] + [line(row) for row in cells])


@click.command("query", epilog=examples(
    "nasbench query --top 5 -b 1",
    "nasbench query -t tables/digits-pnas --arch sep3@0+max3@1 --json"))
@table_option(required=False, help="Table folder (default: the shipped digits table).")
@positional_table()
@click.option("--arch", "-a", help="An arch (string, alias string, genotype list or arch_hash).")
@click.option("--seed", type=int, help="One recorded seed (default: the mean over ok seeds).")
@click.option("--epoch", type=int, help="Values at this epoch of the curve (1-based).")
@click.option("--metric", help="Print only this metric (e.g. val_acc).")
@click.option("--top", type=click.IntRange(1), help="The K best archs by --by (reporting --report).")
@blocks_option("With --top: only cells of these block counts.")
@click.option("--by", default="val_acc", show_default=True, help="With --top: rank by this metric.")
@click.option("--report", default="test_acc", show_default=True, help="With --top: also report this.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a text table.")
def query(table, arch, seed, epoch, metric, top, blocks, by, report, as_json) -> None:
    """Look up one arch (--arch) or the best archs (--top K) in the table (--table)."""
    if (arch is None) == (top is None):
        raise click.UsageError("give exactly one of --arch ARCH or --top K")
    if top is not None and (seed is not None or epoch is not None or metric):
        raise click.UsageError("--seed, --epoch and --metric go with --arch, not --top")
    if arch is not None and blocks:
        raise click.UsageError("--blocks goes with --top")
    bench = _open(table)
    if top is not None:
        rows = _best(bench, top, by, report, block_list(blocks))
        if as_json:
            for row in rows:
                click.echo(json.dumps(_plain(row)))
        else:
            click.echo(format_rows(rows, ["rank", "num_blocks", by, report, "seeds", "arch"]))
        return
    result = bench.query(arch, seed=seed, epoch=epoch, metric=metric)
    if metric:
        click.echo(json.dumps(_plain(result)) if as_json else repr(result))
    elif as_json:
        click.echo(json.dumps(_plain(result)))
    else:
        flat = [{"field": k, "value": v} for k, v in result.items() if k != "per_seed"]
        click.echo(format_rows(flat, ["field", "value"]))
        if result.get("per_seed"):
            view = list(_RUN_VIEW if epoch is None else _CURVE_VIEW)
            rows = [{"seed": s, **vals} for s, vals in result["per_seed"].items()]
            click.echo("\nper seed:\n" + format_rows(rows, ["seed"] + view))


def _best(bench, k: int, by: str, report: str, blocks: list[int]) -> list[dict]:
    """``bench.best`` restricted to several block counts: one ranking, re-numbered."""
    if len(blocks) <= 1:
        return bench.best(k, by=by, report=report, num_blocks=blocks[0] if blocks else None)
    rows = [r for r in bench.best(len(bench), by=by, report=report) if r["num_blocks"] in blocks][:k]
    return [{**r, "rank": i + 1} for i, r in enumerate(rows)]


@click.command("info", epilog=examples("nasbench info", "nasbench info -t tables/digits-pnas --json"))
@table_option(required=False, help="Table folder (default: the shipped digits table).")
@positional_table()
@click.option("--json", "as_json", is_flag=True, help="The summary as one JSON object.")
def info(table, as_json) -> None:
    """The table's datasheet: protocol, rebuild command, counts, accuracy, best cells."""
    from nasbench.tables.datasheet import render, table_summary

    summary = table_summary(_open(table))
    click.echo(json.dumps(_plain(summary)) if as_json else render(summary).rstrip())


@click.group("table", cls=Group, epilog=examples(
    "nasbench table validate -t tables/digits-pnas",
    "nasbench table merge -o runs/merged -t runs/part-a -t runs/part-b"))
def table() -> None:
    """Validate, merge and document table folders."""


@table.command("validate", epilog=examples(
    "nasbench table validate -t tables/digits-pnas", "nasbench table validate -t runs/quick --deep"))
@table_option(required=False)
@positional_table()
@click.option("--deep", is_flag=True, help="Also re-canonicalize every arch (slower).")
@click.option("--closed", is_flag=True, help="Also require every cell of the space up to --bmax, "
              "each with the seeds --min-seeds asks for.")
@click.option("--bmax", type=click.IntRange(1), default=None, help="With --closed: the largest B "
              "(default: the table's).")
@click.option("--min-seeds", multiple=True, default=("2", "1=3"), show_default=True,
              help="With --closed: seeds per cell, N or B=N (default: 3 for B1, 2 for the rest).")
def validate_cmd(table, deep, closed, bmax, min_seeds) -> None:
    """Check the table against schema v1; print each problem, exit 2 if there is any.

    With --closed, also check that the table holds every cell of its space up to --bmax."""
    from nasbench.tables.closure import parse_seed_rule
    from nasbench.tables.schema import TableError
    from nasbench.tables.validation import validate

    path = _required(table)
    problems = validate(path, deep=deep, closed=closed, bmax=bmax, seeds=parse_seed_rule(min_seeds))
    for problem in problems:
        click.echo(f"problem: {problem}")
    if problems:
        raise TableError(f"table {path} is invalid ({len(problems)} problem(s))")
    click.echo(f"ok: {path} is a valid schema-v1 nasbench table"
               + (" and closed (every cell of its space up to the B asked for, with the seeds asked for)" if closed else ""))


@table.command("merge", epilog=examples(
    "nasbench table merge -o runs/merged -t runs/part-a -t runs/part-b"))
@out_option(folder=True, required=False, help="Merged table folder.  [required]")
@table_option(required=False, multiple=True, help="A table to merge; repeat (later ones win).")
@click.argument("old_args", nargs=-1, metavar="")
def merge_cmd(out, tables, old_args) -> None:
    """Merge the tables (one protocol) into OUT; later tables win on a repeated (arch, seed)."""
    import shlex

    from nasbench.tables.validation import merge_tables

    if old_args:  # the old spelling: merge OUT TABLES...
        if out is not None or tables:
            raise click.UsageError("give -o OUT and -t TABLE ..., not also positional paths")
        deprecated("table merge OUT TABLES...", "table merge -o OUT -t TABLE -t TABLE")
        out = OutPath(folder=True).convert(old_args[0], None, click.get_current_context())
        tables = old_args[1:]
    if out is None or not tables:
        raise click.UsageError("give -o OUT and at least one -t TABLE")

    words = ["nasbench", "table", "merge", "-o", str(out)] + [w for t in tables for w in ("-t", str(t))]
    command = " ".join(shlex.quote(w) for w in words)
    path = merge_tables(out, *tables, command=command)
    click.echo(f"merged {len(tables)} table(s) into {path}")


@table.command("datasheet", epilog=examples(
    "nasbench table datasheet -t runs/quick",
    "nasbench table datasheet -t runs/quick --command 'nasbench build --quick --out runs/quick'"))
@table_option(required=False)
@positional_table()
@click.option("--command", help="The rebuild command to record (default: the provenance's).")
def datasheet_cmd(table, command) -> None:
    """(Re)write the table's TABLE.md."""
    from nasbench.tables.datasheet import write_datasheet

    click.echo(f"wrote {write_datasheet(_required(table), command)}")


def _required(table: str | None) -> str:
    if table is None:
        raise click.UsageError("Missing option '--table' / '-t'.")
    return table
