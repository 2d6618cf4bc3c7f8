"""`nasbench query`, `nasbench info` and `nasbench table validate|merge|datasheet`.

TABLE defaults to the shipped table (``Benchmark.default()``). Output is an aligned text
table, or JSON lines with ``--json`` (NaN and infinities become null).
"""
from __future__ import annotations

import json
import math

import click

from nasbench.cli.common import Group

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


@click.command("query")
@click.argument("table", required=False)
@click.option("--arch", "-a", help="An arch (string, alias string, genotype list or arch_hash).")
@click.option("--seed", type=int, help="One recorded seed (default: the mean over ok seeds).")
@click.option("--epoch", type=int, help="Values at this epoch of the curve (1-based).")
@click.option("--metric", help="Print only this metric (e.g. val_acc).")
@click.option("--top", type=click.IntRange(1), help="The K best archs by --by (reporting --report).")
@click.option("--blocks", "-b", type=click.IntRange(1), help="With --top: only cells of B blocks.")
@click.option("--by", default="val_acc", show_default=True, help="With --top: rank by this metric.")
@click.option("--report", default="test_acc", show_default=True, help="With --top: also report this.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a text table.")
def query(table, arch, seed, epoch, metric, top, blocks, by, report, as_json) -> None:
    """Look up one arch (--arch) or the best archs (--top K) in TABLE."""
    if (arch is None) == (top is None):
        raise click.UsageError("give exactly one of --arch ARCH or --top K")
    if top is not None and (seed is not None or epoch is not None or metric):
        raise click.UsageError("--seed, --epoch and --metric go with --arch, not --top")
    if arch is not None and blocks is not None:
        raise click.UsageError("--blocks goes with --top")
    bench = _open(table)
    if top is not None:
        rows = bench.best(top, by=by, report=report, num_blocks=blocks)
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


@click.command("info")
@click.argument("table", required=False)
@click.option("--json", "as_json", is_flag=True, help="The summary as one JSON object.")
def info(table, as_json) -> None:
    """The datasheet of TABLE: protocol, rebuild command, counts, accuracy, best cells."""
    from nasbench.tables.datasheet import render, table_summary

    summary = table_summary(_open(table))
    click.echo(json.dumps(_plain(summary)) if as_json else render(summary).rstrip())


@click.group("table", cls=Group)
def table() -> None:
    """Validate, merge and document table folders."""


@table.command("validate")
@click.argument("path")
@click.option("--deep", is_flag=True, help="Also re-canonicalize every arch (slower).")
@click.option("--closed", is_flag=True, help="Also require every cell of the space up to --bmax, "
              "each with the seeds --min-seeds asks for.")
@click.option("--bmax", type=click.IntRange(1), default=None, help="With --closed: the largest B "
              "(default: the table's).")
@click.option("--min-seeds", multiple=True, default=("2", "1=3"), show_default=True,
              help="With --closed: seeds per cell, N or B=N (default: 3 for B1, 2 for the rest).")
def validate_cmd(path, deep, closed, bmax, min_seeds) -> None:
    """Check PATH against schema v1; print each problem, exit 2 if there is any."""
    from nasbench.tables.closure import parse_seed_rule
    from nasbench.tables.schema import TableError
    from nasbench.tables.validation import validate

    problems = validate(path, deep=deep, closed=closed, bmax=bmax, seeds=parse_seed_rule(min_seeds))
    for problem in problems:
        click.echo(f"problem: {problem}")
    if problems:
        raise TableError(f"table {path} is invalid ({len(problems)} problem(s))")
    click.echo(f"ok: {path} is a valid schema-v1 nasbench table"
               + (" and closed (every cell of its space up to the B asked for, with the seeds asked for)" if closed else ""))


@table.command("merge")
@click.argument("out")
@click.argument("tables", nargs=-1, required=True)
def merge_cmd(out, tables) -> None:
    """Merge TABLES (one protocol) into OUT; later tables win on a repeated (arch, seed)."""
    import shlex

    from nasbench.tables.validation import merge_tables

    command = " ".join(shlex.quote(a) for a in ("nasbench", "table", "merge", out, *tables))
    path = merge_tables(out, *tables, command=command)
    click.echo(f"merged {len(tables)} table(s) into {path}")


@table.command("datasheet")
@click.argument("path")
@click.option("--command", help="The rebuild command to record (default: the provenance's).")
def datasheet_cmd(path, command) -> None:
    """(Re)write PATH/TABLE.md."""
    from nasbench.tables.datasheet import write_datasheet

    click.echo(f"wrote {write_datasheet(path, command)}")
