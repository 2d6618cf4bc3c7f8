"""Reuse measured runs of other tables in a build (``nasbench build --reuse TABLE``).

A run is a measurement of (cell, protocol, seed): training is seeded by the seed alone, so a
table that already holds that triple need not train it again. Rows are reused when their
table has the build's protocol hash (another protocol is refused: one table = one protocol),
their status is a finished one (``failed`` rows are crashes the build re-runs), and their
(cell, seed) is a task of the plan.

The source may be of another space of the same network family: the op-subset spaces
(``pnas3``, ``pnas4``, see :mod:`nasbench.space.subset`) name PNAS cells with a prefix, and
a subset cell builds exactly its PNAS twin's network. A row is re-keyed through the 8-op
PNAS cell (``to_pnas`` / ``from_pnas``): a ``pnas3`` table feeds a ``pnas4`` build, the
8-op ``fmnist-pnas`` table feeds the B1 level of either. Cells outside the build's space
are skipped. Params, FLOPs and every metric carry over unchanged (same network, same
numbers); a reused row's training setup is its source table's where that table records one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from nasbench.builder.plan import Plan
from nasbench.builder.protocol import Protocol
from nasbench.builder.train import TrainResult
from nasbench.space import get_space, parse_arch
from nasbench.tables import Benchmark
from nasbench.tables.schema import FINISHED_STATUSES


def to_space(arch: str, space: str):
    """The cell of ``space`` that is ``arch`` (a canonical string of any PNAS-family space or
    the same space), or None when ``arch`` has an op outside ``space``."""
    cell = parse_arch(arch)
    if cell.space == space:
        return cell
    pnas = cell.to_pnas() if callable(getattr(cell, "to_pnas", None)) else cell
    if pnas.space != "pnas":
        return None  # not a PNAS-family cell: reusable only within its own space
    target = get_space(space)
    if space == "pnas":
        return pnas
    if not callable(getattr(target, "from_pnas", None)):
        return None
    try:
        return target.from_pnas(pnas)
    except ValueError:  # an op outside the subset
        return None


def table_results(table) -> list[TrainResult]:
    """Every finished run of ``table`` (a path or Benchmark) with its curve, as build results
    (plain Python values, as the builder records them: NaN metrics, None for no error)."""
    bench = Benchmark.open(table)
    curves: dict[tuple, list] = {}
    for row in bench.arrow_curves.to_pylist():
        curves.setdefault((row["arch_hash"], row["seed"]), []).append(row)
    training = (bench.provenance or {}).get("training") or []
    setup = {k: v for k, v in training[0].items() if k != "runs"} if len(training) == 1 else {}
    return [TrainResult(run=run, curves=curves.get((run["arch_hash"], run["seed"]), []), setup=dict(setup))
            for run in bench.arrow_runs.to_pylist() if run["status"] in FINISHED_STATUSES]


def rekey(result: TrainResult, space: str) -> TrainResult | None:
    """``result`` with its cell named in ``space`` (None if the cell is not in ``space``)."""
    cell = to_space(result.run["arch"], space)
    if cell is None:
        return None
    if cell.arch_hash == result.run["arch_hash"]:
        return result
    run = {**result.run, "arch": cell.canonical_string, "arch_hash": cell.arch_hash, "space": cell.space}
    curves = [{**row, "arch_hash": cell.arch_hash} for row in result.curves]
    return TrainResult(run=run, curves=curves, setup=result.setup)


def reusable(tables: Iterable, plan: Plan, protocol: Protocol, skip: set = frozenset()) -> dict[str, list[TrainResult]]:
    """Per source table: its runs that are tasks of ``plan`` (re-keyed into the plan's space)
    and not in ``skip`` (task keys already done). The first table to hold a task wins.
    Iterates the whole plan once: meant for plans that fit in memory."""
    tasks = list(plan.tasks()) if tables else []
    wanted = {task.key for task in tasks}
    space = tasks[0].space if tasks else None
    taken, out = set(skip), {}
    for table in tables:
        bench = Benchmark.open(table)
        if bench.metadata.protocol_hash != protocol.protocol_hash:
            raise ValueError(f"--reuse {table}: its rows were trained under protocol "
                             f"{bench.metadata.protocol_hash}, this build's is {protocol.protocol_hash} "
                             "(one table = one protocol)")
        chosen = []
        for result in table_results(bench):
            moved = rekey(result, space)
            if moved is None:
                continue
            key = (moved.run["arch_hash"], int(moved.run["seed"]))
            if key in wanted and key not in taken:
                taken.add(key)
                chosen.append(moved)
        out[str(Path(str(bench.path)))] = chosen
    return out
