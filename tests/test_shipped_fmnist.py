"""The shipped Fashion-MNIST table (issue 15): plain Parquet, the promised coverage, no
collapse left unflagged, and its signal figures printed by `nasbench info`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import nasbench
from nasbench.builder.protocol import PRESETS
from nasbench.cli import main
from nasbench.tables import Benchmark
from nasbench.tables.io import read_metadata
from nasbench.tables.signal import collapsed_mask
from nasbench.tables.validation import validate

SHIPPED = Path(nasbench.__file__).parent / "shipped_tables" / "fmnist-pnas"


def test_pandas_reads_it_without_nasbench(tmp_path):
    script = ("import sys, pandas as pd\n"
              f"runs = pd.read_parquet({str(SHIPPED / 'runs.parquet')!r})\n"
              "assert 'nasbench' not in sys.modules and set(runs.dataset) == {'fashion_mnist'}\n"
              "print(len(runs))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert int(out.stdout) >= 136 * 3 + 4 * 100 * 2


def test_coverage_protocol_and_validity():
    assert validate(SHIPPED) == []
    runs = pd.read_parquet(SHIPPED / "runs.parquet")
    seeds = runs.groupby(["num_blocks", "arch_hash"]).seed.nunique()
    assert len(seeds.loc[1]) == 136 and (seeds.loc[1] == 3).all()
    for b in range(2, 6):
        assert len(seeds.loc[b]) >= 100 and (seeds.loc[b] == 2).all()
    assert read_metadata(SHIPPED).protocol_hash == PRESETS["fmnist"].protocol_hash
    assert Benchmark.shipped("fmnist-pnas").space == "pnas"


def test_no_collapsed_run_hides_behind_ok():
    runs = pd.read_parquet(SHIPPED / "runs.parquet")
    curves = pd.read_parquet(SHIPPED / "curves.parquet")
    found = collapsed_mask(runs, curves, num_classes=10)
    assert not (found & (runs["status"] == "ok").to_numpy()).any()


def test_info_prints_the_top_quartile_signal():
    r = CliRunner().invoke(main, ["info", "-t", str(SHIPPED)])
    assert r.exit_code == 0, r.output
    line = [ln for ln in r.output.splitlines() if "top quartile:" in ln and "Spearman" in ln and ln.startswith("-")]
    assert len(line) == 1 and np.isfinite(float(line[0].split(":")[1].split()[0]))
    # pooled over B1..B5 the quartile is mostly the deep levels' near-ceiling cells; each level
    # gets its own figure, as reports/fmnist-pnas measured them (B1 0.41, B2 0.53 per seed)
    per = [ln for ln in r.output.splitlines() if "top quartile of each block count:" in ln]
    assert len(per) == 1
    figures = dict(part.split()[:2] for part in per[0].split(": ", 1)[1].split(", "))
    assert set(figures) == {"B1", "B2", "B3", "B4", "B5"}
    assert float(figures["B1"]) == pytest.approx(0.41, abs=0.005)
    assert float(figures["B2"]) == pytest.approx(0.53, abs=0.005)
