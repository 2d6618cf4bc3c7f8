"""The shipped closed table `fmnist-pnas3-closed` (issue 16): every cell of the 3-op PNAS space
up to B2 with 3 (B1) / 2 (B2) seeds under `fmnist`, plain Parquet, its datasheet states the
closure, and its B1 rows are the shipped `fmnist-pnas` measurements (reused, not retrained)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from nasbench.builder.protocol import PRESETS
from nasbench.cli import main
from nasbench.space import get_space
from nasbench.tables import Benchmark

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "tables" / "fmnist-pnas3-closed"


def test_every_cell_with_its_seeds_and_nothing_else():
    runs = pd.read_parquet(TABLE / "runs.parquet")  # plain pandas
    space = get_space("pnas3")
    assert set(runs.space) == {"pnas3"} and set(runs.num_blocks) == {1, 2}
    for b, seeds in ((1, [0, 1, 2]), (2, [0, 1])):
        level = runs[runs.num_blocks == b]
        assert level.arch_hash.nunique() == space.count(b) == level.arch.nunique()
        assert (level.groupby("arch_hash").seed.apply(sorted).map(tuple) == tuple(seeds)).all()
    assert set(runs.protocol_hash) == {PRESETS["fmnist"].protocol_hash}
    assert set(runs.status) == {"ok"}
    r = CliRunner().invoke(main, ["table", "validate", "-t", str(TABLE), "--closed",
                                  "--min-seeds", "2", "--min-seeds", "1=3"])
    assert r.exit_code == 0, r.output
    assert "**Closed up to B2**" in (TABLE / "TABLE.md").read_text()


def test_b1_rows_are_the_fmnist_pnas_measurements():
    mine = Benchmark.shipped("fmnist-pnas3-closed").runs
    mine = mine[mine.num_blocks == 1].assign(body=lambda d: d.arch.str.removeprefix("pnas3:"))
    src = Benchmark.shipped("fmnist-pnas").runs
    both = mine.merge(src, left_on=["body", "seed"], right_on=["arch", "seed"], suffixes=("", "_src"))
    assert len(both) == len(mine) == 63
    for col in ("val_acc", "test_acc", "params", "flops", "train_seconds"):
        assert np.array_equal(both[col].to_numpy(), both[f"{col}_src"].to_numpy()), col
