"""``nasbench build --reuse``: measured runs of other tables join a build instead of being
trained again, re-keyed across the PNAS family (8-op pnas -> pnas3 -> pnas4) by cell, refused
across protocols. Uses the shipped Fashion-MNIST table (protocol ``fmnist``), so nothing trains."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import nasbench
from nasbench.builder.reuse import rekey, table_results, to_space
from nasbench.cli import main
from nasbench.tables import Benchmark

FMNIST = str(Path(nasbench.__file__).parent / "shipped_tables" / "fmnist-pnas")
DIGITS = str(Path(nasbench.__file__).parent / "shipped_tables" / "digits-pnas")
HAS_DATA = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file()
needs_data = pytest.mark.skipif(not HAS_DATA, reason="the Debian package dataset-fashion-mnist is not "
                                "installed (apt-get install -y dataset-fashion-mnist)")


def _build(*args):
    r = CliRunner().invoke(main, ["build", "--protocol", "fmnist", "--no-progress", *args])
    assert r.exit_code == 0, r.output
    return r.output


def test_to_space_rekeys_within_the_pnas_family():
    body = "max_pool_3x3@0+sep_conv_3x3@1"
    assert to_space(body, "pnas3").canonical_string == f"pnas3:{body}"
    assert to_space(f"pnas3:{body}", "pnas4").canonical_string == f"pnas4:{body}"
    assert to_space(f"pnas4:{body}", "pnas").canonical_string == body
    assert to_space("conv_1x7_7x1@0+sep_conv_3x3@1", "pnas3") is None  # an op outside the subset
    assert to_space("avg_pool_3x3@0+sep_conv_3x3@1", "pnas4") is None


def test_rekey_keeps_every_number():
    results = table_results(FMNIST)
    assert {r.run["status"] for r in results} <= {"ok", "collapsed", "diverged"}
    inside = [m for m in (rekey(r, "pnas4") for r in results) if m is not None]
    assert sum(m.run["num_blocks"] == 1 for m in inside) == 36 * 3  # every pnas4 B1 cell, 3 seeds
    ops = {"identity", "max_pool_3x3", "sep_conv_3x3", "conv_1x7_7x1"}
    assert all({tok.split("@")[0] for b in m.run["arch"].split(":")[1].split(",") for tok in b.split("+")} <= ops
               for m in inside)
    assert len(inside) < len(results)
    src = {(r.run["arch"], r.run["seed"]): r for r in results}
    for moved in inside[:20]:
        old = src[(moved.run["arch"].removeprefix("pnas4:"), moved.run["seed"])]
        assert moved.run["space"] == "pnas4" and moved.run["arch_hash"] != old.run["arch_hash"]
        assert {k: v for k, v in moved.run.items() if k not in ("arch", "arch_hash", "space")} == \
               {k: v for k, v in old.run.items() if k not in ("arch", "arch_hash", "space")}
        assert [c["val_acc"] for c in moved.curves] == [c["val_acc"] for c in old.curves]
        assert {c["arch_hash"] for c in moved.curves} == {moved.run["arch_hash"]}


@needs_data
def test_build_reuses_subset_and_full_tables_without_training(tmp_path):
    three, four = tmp_path / "pnas3", tmp_path / "pnas4"
    out = _build("--space", "pnas3", "--exhaustive", "--blocks", "1", "--seeds", "0-2",
                 "--reuse", FMNIST, "--out", str(three))
    assert "trained 0 " in out and "63 of them reused" in out
    # pnas4 B1: pnas3's 21 cells come from the pnas3 table (first wins), the other 15 from pnas
    out = _build("--space", "pnas4", "--exhaustive", "--blocks", "1", "--seeds", "0-2",
                 "--reuse", str(three), "--reuse", FMNIST, "--out", str(four))
    assert "trained 0 " in out and "reused 63 runs of" in out and "reused 45 runs of" in out
    r = CliRunner().invoke(main, ["table", "validate", "-t", str(four), "--closed", "--min-seeds", "3"])
    assert r.exit_code == 0, r.output
    got = Benchmark.open(four).runs.assign(body=lambda d: d.arch.str.removeprefix("pnas4:"))
    src = Benchmark.open(FMNIST).runs
    both = got.merge(src, left_on=["body", "seed"], right_on=["arch", "seed"], suffixes=("", "_src"))
    assert len(both) == len(got) == 108
    for col in ("val_acc", "test_acc", "train_seconds", "params", "flops"):
        assert np.array_equal(both[col].to_numpy(), both[f"{col}_src"].to_numpy()), col
    curves = pd.read_parquet(four / "curves.parquet")
    assert len(curves) == 108 * 10 and set(curves.arch_hash) == set(got.arch_hash)
    # a resumed build finds everything done
    out = _build("--space", "pnas4", "--exhaustive", "--blocks", "1", "--seeds", "0-2",
                 "--reuse", FMNIST, "--out", str(four))
    assert "trained 0 " in out and "skipped 108 " in out and "reused" not in out.split("trained")[1]


@needs_data
def test_reuse_refuses_another_protocol(tmp_path):
    r = CliRunner().invoke(main, ["build", "--protocol", "fmnist", "--space", "pnas3", "--exhaustive",
                                  "--blocks", "1", "--reuse", DIGITS, "--out", str(tmp_path / "t"),
                                  "--no-progress"])
    assert r.exit_code != 0 and "one table = one protocol" in r.output, r.output
