"""Small real tables for the tables tests: real canonical cells from ``pnas.sample``,
synthetic but schema-valid metrics, written with ``write_table``."""
from __future__ import annotations

import math

import numpy as np

from nasbench.space import pnas
from nasbench.tables.datasheet import write_datasheet
from nasbench.tables.io import write_table
from nasbench.tables.schema import protocol_hash

PROTOCOL = {"dataset": "digits", "epochs": 4, "batch_size": 32, "lr": 0.05, "seed_split": 0}
PHASH = protocol_hash(PROTOCOL)


def cells(blocks=(1, 2), per_block=6, seed=0) -> list:
    """Distinct canonical cells, ``per_block`` of each size."""
    out = []
    for b in blocks:
        seen = {}
        for cell in pnas.sample(b, per_block * 3, seed + b):
            seen.setdefault(cell.arch_hash, cell)
        out += list(seen.values())[:per_block]
    return out


def make_rows(blocks=(1, 2), per_block=6, seeds=(0, 1, 2), epochs=4, seed=0,
              failed=1, diverged=1, protocol_hash_=PHASH):
    """(runs, curves) as lists of dicts; the first ``failed`` runs fail (NaN metrics, no
    curve) and the next ``diverged`` runs diverge (NaN losses, a 2-epoch curve)."""
    rng = np.random.default_rng(seed)
    runs, curves = [], []
    k = 0
    for cell in cells(blocks, per_block, seed):
        quality = rng.uniform(0.3, 0.9)
        for s in seeds:
            status = "failed" if k < failed else "diverged" if k < failed + diverged else "ok"
            k += 1
            accs = np.clip(quality * np.linspace(0.6, 1.0, epochs) + rng.normal(0, 0.03, epochs), 0, 1)
            secs = rng.uniform(1.0, 3.0, epochs)
            n_curve = 0 if status == "failed" else 2 if status == "diverged" else epochs
            for e in range(1, n_curve + 1):
                bad = status == "diverged"
                curves.append(dict(
                    arch_hash=cell.arch_hash, seed=s, epoch=e, lr=0.05 * (1 - (e - 1) / epochs),
                    train_loss=math.inf if bad else 2 - accs[e - 1], train_acc=min(1.0, accs[e - 1] * 1.02),
                    val_loss=math.inf if bad else 2.1 - accs[e - 1], val_acc=accs[e - 1],
                    test_loss=math.inf if bad else 2.2 - accs[e - 1], test_acc=accs[e - 1] * 0.99,
                    epoch_seconds=secs[e - 1]))
            nan = math.nan
            ok = status == "ok"
            runs.append(dict(
                arch=cell.canonical_string, arch_hash=cell.arch_hash, space="pnas",
                num_blocks=cell.num_blocks, dataset=PROTOCOL["dataset"],
                protocol_hash=protocol_hash_, seed=s, epochs=epochs,
                params=int(1000 * cell.num_blocks + rng.integers(1, 500)),
                flops=int(10_000 * cell.num_blocks + rng.integers(0, 5000)),
                train_acc=min(1.0, accs[-1] * 1.02) if ok else nan,
                val_acc=accs[-1] if ok else (0.1 if status == "diverged" else nan),
                test_acc=accs[-1] * 0.99 if ok else (0.1 if status == "diverged" else nan),
                train_loss=2 - accs[-1] if ok else nan, val_loss=2.1 - accs[-1] if ok else nan,
                test_loss=2.2 - accs[-1] if ok else nan,
                best_val_acc=float(accs.max()) if ok else nan,
                best_val_epoch=int(accs.argmax()) + 1 if ok else 0,
                train_seconds=float(secs[:n_curve].sum()) if n_curve else 0.5,
                eval_seconds=0.1, device="cpu", status=status,
                error="RuntimeError: boom" if status == "failed" else None))
    return runs, curves


def make_table(path, protocol=PROTOCOL, provenance=None, **kw):
    """Write a small valid table to ``path`` and return the path."""
    runs, curves = make_rows(**kw)
    prov = {"command": "nasbench build --dataset digits --blocks 1-2 --seeds 0-2"}
    out = write_table(path, runs, curves, protocol, provenance or prov)
    write_datasheet(out)
    return out


def write_raw(path, runs, curves, metadata=None, schema_version=1):
    """Write two Parquet files exactly as given (no conform, dedupe or checks) -- for
    building broken tables. ``metadata=None`` copies valid nasbench metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from nasbench.tables.schema import encode_metadata

    path.mkdir(parents=True, exist_ok=True)
    if metadata is None:
        metadata = encode_metadata(PROTOCOL, {"command": "raw"}, PHASH)
        metadata[b"nasbench.schema_version"] = str(schema_version).encode()
    for name, rows in (("runs.parquet", runs), ("curves.parquet", curves)):
        table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows)
        pq.write_table(table.replace_schema_metadata(metadata), path / name)
    return path


def conformed(runs, curves):
    """(runs, curves) as Arrow tables of exactly schema v1 (not deduplicated)."""
    from nasbench.tables.io import conform
    from nasbench.tables.schema import CURVES_SCHEMA, RUNS_SCHEMA

    return conform(runs, RUNS_SCHEMA, "runs"), conform(curves, CURVES_SCHEMA, "curves")
