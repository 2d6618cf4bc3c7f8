"""Write a table as a syne-tune tabular blackbox with syne-tune's own ``serialize``.

Layout (syne-tune's): ``hyperparameters.parquet`` (one row per cell of the table, in
canonical form, in the encoding's columns), ``objectives_evaluations.npy`` of shape
(1 task, cells, seeds, epochs, objectives), ``fidelities_values.npy`` (epochs 1..E),
``configspace.json`` / ``fidelityspace.json`` (fidelity ``epoch``) and ``metadata.json``.

Objectives: ``val_acc``, ``test_acc``, ``val_loss``, ``test_loss`` (per epoch, from the
curves) and ``elapsed_time``: cumulative training seconds up to the end of each epoch,
measured on the device named in the metadata (``elapsed_time_device``).

Seeds: seed axis j is training seed ``seeds[j]`` of the table. A cell that lacks some seeds
(the shipped table: 3 seeds for B=1, 1 for B=2..5) has its recorded seeds repeated
cyclically into the missing slots (slot j gets its recorded seed number j mod k), so every
slot holds real curves and syne-tune's per-trial seed draw never meets a hole;
``metadata['recorded']`` lists per row which seeds were really trained (``missing_seeds=
'nan'`` leaves NaN instead). Runs are exported as recorded whatever their status.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nasbench.integrations.synetune.encoding import CellEncoding, make_encoding
from nasbench.search.base import parse_blocks
from nasbench.tables import Benchmark

OBJECTIVES = ("val_acc", "test_acc", "val_loss", "test_loss", "elapsed_time")
FIDELITY = "epoch"
MISSING_SEEDS = ("repeat", "nan")
INSTALL = "syne-tune is not installed: pip install 'nasbench[synetune]' (syne-tune 0.16)"


def require_synetune() -> None:
    """ImportError with the one line that says what to install, when syne-tune is missing."""
    try:
        import syne_tune  # noqa: F401
        from syne_tune.blackbox_repository.blackbox_tabular import serialize  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"{INSTALL} [{exc}]") from None


def cell_space(bench):
    """The table's space when syne-tune can encode it: PNAS or an op subset of it (pnas4, ...)."""
    from nasbench.space import get_space

    space = get_space(bench.space)
    if bench.space != "pnas" and not callable(getattr(space, "from_pnas", None)):  # op subsets have it
        raise ValueError(f"syne-tune export supports PNAS-cell tables (pnas and its op subsets); "
                         f"{bench.path} is space {bench.space!r}")
    return space


def table_cells(bench, blocks=None) -> tuple[dict[int, list[str]], bool]:
    """({block count: canonical strings}, closed) for the table's PNAS cells with ``blocks``
    (None: all); closed = every canonical cell of each of those block counts is present."""
    space = cell_space(bench)
    have = bench.num_blocks
    wanted = have if blocks is None else list(parse_blocks(blocks))
    missing = sorted(set(wanted) - set(have))
    if missing:
        raise ValueError(f"table {bench.path} has no cells with {missing} blocks "
                         f"(it has {', '.join(map(str, have))})")
    cells = {b: bench.archs(b) for b in wanted}
    closed = all(len(cells[b]) == space.count(b) for b in wanted)
    return cells, closed


def evaluations(bench, archs: list[str], missing_seeds: str = "repeat"):
    """(values [cells, seeds, epochs, objectives] float64, seeds, recorded [cells, seeds] bool)."""
    if missing_seeds not in MISSING_SEEDS:
        raise ValueError(f"missing_seeds must be one of {', '.join(MISSING_SEEDS)}, "
                         f"got {missing_seeds!r}")
    import pyarrow as pa
    import pyarrow.compute as pc

    hashes = [bench.resolve(a)[0] for a in archs]
    curves = bench.arrow_curves
    curves = curves.filter(pc.is_in(curves.column("arch_hash"), value_set=pa.array(hashes)))
    seeds = sorted({int(s) for s in curves.column("seed").to_pylist()})
    epochs = int(bench.epochs)
    row = {h: i for i, h in enumerate(hashes)}
    col = lambda name: curves.column(name).to_numpy(zero_copy_only=False)  # noqa: E731
    r = np.array([row[h] for h in col("arch_hash")], dtype=np.int64)
    s = np.searchsorted(seeds, col("seed"))
    e = col("epoch").astype(np.int64) - 1
    if len(e) and (e.min() < 0 or e.max() >= epochs):
        raise ValueError(f"table {bench.path}: curve epochs outside 1..{epochs}")
    values = np.full((len(archs), len(seeds), epochs, len(OBJECTIVES)), np.nan)
    for j, name in enumerate(OBJECTIVES[:-1]):
        values[r, s, e, j] = col(name)
    secs = np.full((len(archs), len(seeds), epochs), np.nan)
    secs[r, s, e] = col("epoch_seconds")
    values[..., -1] = np.cumsum(secs, axis=2)
    recorded = np.zeros((len(archs), len(seeds)), dtype=bool)
    recorded[r, s] = True
    if missing_seeds == "repeat":
        for i in np.flatnonzero(~recorded.all(axis=1) & recorded.any(axis=1)):
            have = np.flatnonzero(recorded[i])
            for j in np.flatnonzero(~recorded[i]):
                values[i, j] = values[i, have[j % len(have)]]
    return values, seeds, recorded


def export(table, out, encoding: str = "auto", blocks=None, missing_seeds: str = "repeat",
           task: str | None = None) -> Path:
    """Write ``table`` (a path or Benchmark) as a syne-tune blackbox in folder ``out``;
    returns ``out``. ``blocks`` keeps only those block counts; ``task`` names the blackbox's
    task (default: the table's dataset)."""
    require_synetune()
    import pandas as pd
    from syne_tune.blackbox_repository.blackbox_tabular import BlackboxTabular, serialize
    from syne_tune.config_space import randint

    bench = Benchmark.open(table)
    cells, closed = table_cells(bench, blocks)
    enc: CellEncoding = make_encoding(encoding, cells, closed, bench.space)
    archs = [a for b in enc.num_blocks for a in cells[b]]
    values, seeds, recorded = evaluations(bench, archs, missing_seeds)
    hps = pd.DataFrame([enc.to_config(a) for a in archs])
    epochs = values.shape[2]
    blackbox = BlackboxTabular(
        hyperparameters=hps, configuration_space=enc.config_space(),
        fidelity_space={FIDELITY: randint(1, epochs)}, objectives_evaluations=values,
        fidelity_values=np.arange(1, epochs + 1), objectives_names=list(OBJECTIVES))
    task = task or str(bench.protocol.get("dataset", "table"))
    meta = {"nasbench": {
        "table": str(bench.path), "protocol_hash": bench.metadata.protocol_hash,
        "space": bench.space, "encoding": enc.to_dict(), "closed": closed, "seeds": seeds,
        "missing_seeds": missing_seeds, "archs": archs,
        "recorded": [[seeds[j] for j in np.flatnonzero(m)] for m in recorded],
        "elapsed_time_device": str(bench.provenance.get("device", "unknown")),
        "elapsed_time_unit": "seconds", "fidelity": FIDELITY, "metric": "val_acc",
        "mode": "max", "protocol": bench.protocol}}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    serialize({task: blackbox}, out, metadata=json.loads(json.dumps(meta, default=str)))
    return out
