"""In-memory checks of a table: schema, keys, value ranges, one protocol, curves -> runs.

Every check returns one-line problem strings (``"runs.parquet: 3 row(s) with val_acc
outside [0, 1] (e.g. arch_hash 0123... seed 0)"``); an empty list means valid. Used by
``write_table`` (refuse to write), ``validate`` (report) and ``Benchmark.open``.

Value rules: accuracies in [0, 1], losses/seconds/lr >= 0 (NaN allowed unless the run's
status is ``ok``: failed and diverged runs may record NaN), epochs >= 1, num_blocks >= 1,
params > 0, flops >= 0, 1 <= best_val_epoch <= epochs for ok runs, status in
ok|collapsed|diverged|failed, arch_hash = first 16 hex of sha256(arch).
"""
from __future__ import annotations


import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nasbench.space.base import hash_string
from nasbench.tables import schema as S


def schema_problems(table: pa.Table, expected: pa.Schema, name: str) -> list[str]:
    """Missing, unexpected and mistyped columns."""
    cols = table.column_names
    problems = []
    missing = [n for n in expected.names if n not in cols]
    extra = [c for c in cols if c not in expected.names]
    if missing:
        problems.append(f"{name}: missing column(s) {', '.join(missing)}")
    if extra:
        problems.append(f"{name}: unexpected column(s) {', '.join(extra)}")
    for field in expected:
        if field.name in cols and table.schema.field(field.name).type != field.type:
            problems.append(f"{name}: column {field.name} has type "
                            f"{table.schema.field(field.name).type}, expected {field.type}")
    return problems


def structure_problems(runs: pa.Table, curves: pa.Table) -> list[str]:
    """Column names and types of both files, then nulls in required columns."""
    problems = (schema_problems(runs, S.RUNS_SCHEMA, S.RUNS_FILE)
                + schema_problems(curves, S.CURVES_SCHEMA, S.CURVES_FILE))
    if problems:
        return problems
    return (_null_problems(runs, S.RUNS_SCHEMA, S.RUNS_FILE)
            + _null_problems(curves, S.CURVES_SCHEMA, S.CURVES_FILE))


def table_problems(runs: pa.Table, curves: pa.Table, meta, deep: bool = False) -> list[str]:
    """All problems of a (runs, curves) pair with metadata ``meta`` (an io.TableMetadata).

    ``deep`` also re-parses every arch and checks it is canonical with the right num_blocks.
    """
    problems = structure_problems(runs, curves)
    if problems:
        return problems  # value checks need the right columns, types and no nulls
    problems += _hash_problems(runs, curves)
    problems += _duplicate_problems(runs, S.RUNS_KEY, S.RUNS_FILE)
    problems += _duplicate_problems(curves, S.CURVES_KEY, S.CURVES_FILE)
    problems += _run_value_problems(runs)
    problems += _curve_value_problems(curves)
    problems += _protocol_problems(runs, meta)
    problems += _reference_problems(runs, curves)
    if deep:
        problems += _canonical_problems(runs)
    return problems


def _example(table: pa.Table, mask: np.ndarray) -> str:
    i = int(np.flatnonzero(mask)[0])
    parts = [f"{k} {table.column(k)[i].as_py()}" for k in ("arch_hash", "seed", "epoch")
             if k in table.column_names]
    return ", ".join(parts)


def _rows(table: pa.Table, mask: np.ndarray, name: str, what: str) -> list[str]:
    n = int(mask.sum())
    return [f"{name}: {n} row(s) with {what} (e.g. {_example(table, mask)})"] if n else []


def _np(table: pa.Table, column: str) -> np.ndarray:
    return table.column(column).to_numpy()


def _null_problems(table: pa.Table, schema: pa.Schema, name: str) -> list[str]:
    return [f"{name}: column {f.name} has {table.column(f.name).null_count} null value(s)"
            for f in schema if not f.nullable and table.column(f.name).null_count]


def _hash_problems(runs: pa.Table, curves: pa.Table) -> list[str]:
    problems = []
    for table, name in ((runs, S.RUNS_FILE), (curves, S.CURVES_FILE)):
        ok = pc.match_substring_regex(table.column("arch_hash"), S.HASH_PATTERN.pattern)
        problems += _rows(table, ~ok.to_numpy(zero_copy_only=False), name,
                          "an arch_hash that is not 16 lowercase hex digits")
    archs, hashes = runs.column("arch").to_pylist(), runs.column("arch_hash").to_pylist()
    bad = np.array([hash_string(a) != h
                    for a, h in zip(archs, hashes)], dtype=bool)
    return problems + _rows(runs, bad, S.RUNS_FILE, "arch_hash != sha256(arch)[:16]")


def _duplicate_problems(table: pa.Table, keys: tuple[str, ...], name: str) -> list[str]:
    if table.num_rows < 2:
        return []
    counts = table.group_by(list(keys)).aggregate([(keys[0], "count")])
    dup = counts.column(f"{keys[0]}_count").to_numpy() > 1
    if not dup.any():
        return []
    extra = int(counts.column(f"{keys[0]}_count").to_numpy()[dup].sum() - dup.sum())
    return [f"{name}: {extra} duplicate row(s) for the same ({', '.join(keys)}) "
            f"(e.g. {_example(counts, dup)})"]


def _range(table, column, lo=None, hi=None, *, nan_ok=None, strict_lo=False, name=""):
    """Rows of ``column`` outside [lo, hi] (NaN counts as bad where ``nan_ok`` is False)."""
    v = _np(table, column).astype(np.float64)
    bad = np.zeros(len(v), dtype=bool)
    with np.errstate(invalid="ignore"):
        if lo is not None:
            bad |= (v <= lo) if strict_lo else (v < lo)
        if hi is not None:
            bad |= v > hi
    nan = np.isnan(v)
    bad &= ~nan
    if nan_ok is not None:
        bad |= nan & ~nan_ok
    left = "(" if strict_lo else "["
    interval = f"{left}{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
    return _rows(table, bad, name, f"{column} outside {interval}")


def _run_value_problems(runs: pa.Table) -> list[str]:
    name = S.RUNS_FILE
    status = runs.column("status").to_numpy(zero_copy_only=False).astype(str)
    problems = _rows(runs, ~np.isin(status, S.STATUSES), name,
                     f"a status not in {'|'.join(S.STATUSES)}")
    not_ok = status != "ok"  # NaN metrics are allowed for failed / diverged runs
    for col in S.ACC_COLUMNS + ("best_val_acc",):
        problems += _range(runs, col, 0.0, 1.0, nan_ok=not_ok, name=name)
    for col in S.LOSS_COLUMNS + ("train_seconds", "eval_seconds"):
        problems += _range(runs, col, 0.0, nan_ok=not_ok, name=name)
    problems += _range(runs, "epochs", 1, name=name)
    problems += _range(runs, "num_blocks", 1, name=name)
    problems += _range(runs, "params", 0, name=name)  # 0 only where training never started
    problems += _rows(runs, (status != "failed") & (_np(runs, "params") <= 0), name,
                      "status ok/diverged but params <= 0")
    problems += _range(runs, "flops", 0, name=name)
    epochs, best = _np(runs, "epochs"), _np(runs, "best_val_epoch")
    problems += _rows(runs, ~not_ok & ((best < 1) | (best > epochs)), name,
                      "status ok but best_val_epoch outside [1, epochs]")
    return problems


def _curve_value_problems(curves: pa.Table) -> list[str]:
    name = S.CURVES_FILE
    problems = _range(curves, "epoch", 1, name=name)
    for col in ("train_acc", "val_acc", "test_acc"):
        problems += _range(curves, col, 0.0, 1.0, name=name)
    for col in ("lr", "train_loss", "val_loss", "test_loss", "epoch_seconds"):
        problems += _range(curves, col, 0.0, name=name)
    return problems


def _protocol_problems(runs: pa.Table, meta) -> list[str]:
    problems = []
    if meta.protocol_hash is None:
        problems.append(f"{S.RUNS_FILE}: no {S.KEY_PROTOCOL_HASH} metadata")
    hashes = pc.unique(runs.column("protocol_hash")).to_pylist()
    if len(hashes) > 1:
        problems.append(f"{S.RUNS_FILE}: mixes {len(hashes)} protocol_hash values "
                        f"({', '.join(sorted(hashes)[:3])}); one table holds one protocol")
    elif hashes and meta.protocol_hash is not None and hashes[0] != meta.protocol_hash:
        problems.append(f"{S.RUNS_FILE}: protocol_hash {hashes[0]} differs from the "
                        f"metadata's {meta.protocol_hash}")
    spaces = pc.unique(runs.column("space")).to_pylist()
    if len(spaces) > 1:
        problems.append(f"{S.RUNS_FILE}: mixes spaces {', '.join(sorted(spaces))}; one table holds one space")
    for column in ("dataset", "epochs"):
        values = pc.unique(runs.column(column)).to_pylist()
        expected = meta.protocol.get(column)
        if len(values) > 1:
            problems.append(f"{S.RUNS_FILE}: {len(values)} different {column} values "
                            f"({', '.join(map(str, sorted(values)[:3]))}); one protocol has one")
        elif values and isinstance(expected, (str, int)) and values[0] != expected:
            problems.append(f"{S.RUNS_FILE}: {column} {values[0]!r} differs from the "
                            f"protocol's {expected!r}")
    return problems


def _reference_problems(runs: pa.Table, curves: pa.Table) -> list[str]:
    if curves.num_rows == 0:
        return []
    keys = list(S.RUNS_KEY)
    last = curves.group_by(keys).aggregate([("epoch", "max")])
    orphans = last.join(runs.select(keys), keys, join_type="left anti")
    problems = []
    if orphans.num_rows:
        h, s = orphans.column("arch_hash")[0].as_py(), orphans.column("seed")[0].as_py()
        problems.append(f"{S.CURVES_FILE}: {orphans.num_rows} (arch_hash, seed) pair(s) with "
                        f"no run in {S.RUNS_FILE} (e.g. arch_hash {h}, seed {s})")
    joined = last.join(runs.select(keys + ["epochs"]), keys, join_type="inner")
    if joined.num_rows:
        over = _np(joined, "epoch_max") > _np(joined, "epochs")
        problems += _rows(joined, over, S.CURVES_FILE, "curves longer than the run's epochs")
    return problems


def _canonical_problems(runs: pa.Table) -> list[str]:
    from nasbench.space import parse_arch

    bad = np.zeros(runs.num_rows, dtype=bool)
    blocks = _np(runs, "num_blocks")
    spaces = runs.column("space").to_pylist()
    for i, arch in enumerate(runs.column("arch").to_pylist()):
        try:
            cell = parse_arch(arch, spaces[i])
            bad[i] = cell.canonical_string != arch or cell.num_blocks != blocks[i]
        except ValueError:
            bad[i] = True
    return _rows(runs, bad, S.RUNS_FILE, "an arch that is not a canonical genotype of its space and num_blocks")
