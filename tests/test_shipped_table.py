"""The shipped digits table: plain Parquet, valid, small, and exactly reproducible."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import nasbench
from nasbench.builder.protocol import PRESETS, Protocol
from nasbench.builder.build import SETUP_KEYS
from nasbench.builder.train import train, training_setup
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


def _trained_here(meta) -> bool:
    """Whether the table records a training setup equal to this process's (device, CPU kernel
    level, torch build): only then does bit-for-bit reproduction of its rows hold."""
    here = training_setup(torch.device("cpu"), use_bf16=False, graphs=False)
    return any(all(row.get(k) == here[k] for k in SETUP_KEYS) for row in meta.provenance.get("training") or [])


def test_retraining_random_rows_is_bit_for_bit_here_and_matches_the_table():
    """Retraining is deterministic bit for bit on one torch build and device (trained twice
    here). The shipped rows are reproduced exactly where the table records this setup; the
    shipped table predates that record and was built on another CPU, whose kernels round
    differently, so there params/FLOPs and the lr schedule must agree exactly and accuracies
    within 0.1: other rounding acts like another seed on a chaotic run, and on an AVX2 EPYC
    `dil_conv_3x3@1+identity@1` seed 2 gave val 0.741 against the recorded 0.796 (its three
    seeds span 0.786-0.811). A gross protocol drift (lr, data, epochs) moves far more."""
    runs = pd.read_parquet(SHIPPED / "runs.parquet")
    curves = pd.read_parquet(SHIPPED / "curves.parquet")
    meta = read_metadata(SHIPPED)
    protocol = Protocol.from_dict(meta.protocol)
    exact = _trained_here(meta)
    cheap = runs[(runs.num_blocks <= 2) & (runs.status == "ok")]
    rows = cheap.sample(2, random_state=0)  # fixed: a test must not change between runs
    for row in rows.itertuples():
        first, again = (train(row.arch, protocol, int(row.seed)) for _ in range(2))
        for name in METRICS:
            assert first.run[name] == again.run[name] or math.isnan(first.run[name]), (row.arch, row.seed, name)
        np.testing.assert_array_equal(pd.DataFrame(first.curves)[CURVE_METRICS].to_numpy(),
                                      pd.DataFrame(again.curves)[CURVE_METRICS].to_numpy())
        recorded = curves[(curves.arch_hash == row.arch_hash) & (curves.seed == row.seed)].sort_values("epoch")
        now = pd.DataFrame(first.curves)
        assert row.params == first.run["params"] and row.flops == first.run["flops"]
        if exact:
            for name in METRICS:
                value, new = getattr(row, name), first.run[name]
                assert value == new or (math.isnan(value) and math.isnan(new)), (row.arch, row.seed, name)
            np.testing.assert_array_equal(recorded[CURVE_METRICS].to_numpy(), now[CURVE_METRICS].to_numpy())
        else:
            for name in ("train_acc", "val_acc", "test_acc"):
                assert abs(getattr(row, name) - first.run[name]) <= 0.1, (row.arch, row.seed, name)
            np.testing.assert_array_equal(recorded["lr"].to_numpy(), now["lr"].to_numpy())
