"""The shipped digits table: plain Parquet, valid, small, and exactly reproducible."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nasbench
from nasbench.builder.protocol import PRESETS, Protocol
from nasbench.builder.train import train
from nasbench.tables import Benchmark
from nasbench.tables.io import read_metadata
from nasbench.tables.validation import validate

SHIPPED = Path(nasbench.__file__).parent / "shipped_tables" / "digits-pnas"
METRICS = ["train_acc", "val_acc", "test_acc", "train_loss", "val_loss", "test_loss", "best_val_acc",
           "best_val_epoch", "params", "flops"]
CURVE_METRICS = ["lr", "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc"]

pytestmark = pytest.mark.skipif(not (SHIPPED / "runs.parquet").exists(), reason="no shipped table built")


def test_pandas_reads_it_without_nasbench(tmp_path):
    script = (
        "import sys, pandas as pd\n"
        f"runs = pd.read_parquet({str(SHIPPED / 'runs.parquet')!r})\n"
        f"curves = pd.read_parquet({str(SHIPPED / 'curves.parquet')!r})\n"
        "assert 'nasbench' not in sys.modules\n"
        "print(len(runs), len(curves))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True)
    n_runs, n_curves = map(int, out.stdout.split())
    assert n_runs > 0 and n_curves == pytest.approx(n_runs * 10, rel=0.01)


def test_the_repo_path_from_the_readme_points_at_it():
    repo_tables = Path(__file__).resolve().parents[1] / "tables" / "digits-pnas"
    if repo_tables.exists():
        assert (repo_tables / "runs.parquet").resolve() == (SHIPPED / "runs.parquet").resolve()


def test_valid_small_and_complete():
    assert validate(SHIPPED) == []
    size = sum(f.stat().st_size for f in SHIPPED.iterdir())
    assert size <= 25 * 2**20
    runs = pd.read_parquet(SHIPPED / "runs.parquet")
    per_block = runs.groupby("num_blocks").arch_hash.nunique()
    assert per_block.loc[1] == 136
    assert (runs[runs.num_blocks == 1].groupby("arch_hash").seed.nunique() == 3).all()
    for b in range(2, 6):
        assert per_block.loc[b] >= 200
    meta = read_metadata(SHIPPED)
    assert meta.protocol_hash == PRESETS["digits"].protocol_hash
    assert "nasbench build" in meta.provenance["command"]


def test_default_benchmark_is_the_shipped_table():
    bench = Benchmark.default()
    assert len(bench) == pd.read_parquet(SHIPPED / "runs.parquet").arch_hash.nunique()
    best = bench.best(1)[0]
    assert best["test_acc"] >= 0.95


def test_retraining_three_random_rows_reproduces_them_exactly():
    runs = pd.read_parquet(SHIPPED / "runs.parquet")
    curves = pd.read_parquet(SHIPPED / "curves.parquet")
    protocol = Protocol.from_dict(read_metadata(SHIPPED).protocol)
    cheap = runs[(runs.num_blocks <= 2) & (runs.status == "ok")]
    rows = cheap.sample(3, random_state=np.random.default_rng().integers(1 << 31))
    for row in rows.itertuples():
        result = train(row.arch, protocol, int(row.seed))
        for name in METRICS:
            recorded, now = getattr(row, name), result.run[name]
            assert recorded == now or (math.isnan(recorded) and math.isnan(now)), (row.arch, row.seed, name)
        recorded = curves[(curves.arch_hash == row.arch_hash) & (curves.seed == row.seed)].sort_values("epoch")
        now = pd.DataFrame(result.curves)
        np.testing.assert_array_equal(recorded[CURVE_METRICS].to_numpy(), now[CURVE_METRICS].to_numpy())
