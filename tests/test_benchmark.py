"""Benchmark: every query form equals what pandas computes from the Parquet files."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nasbench
from nasbench.cli.common import Group
from nasbench.cli.query import query
from nasbench.space import Cell, pnas
from nasbench.tables import Benchmark, NotInTableError, TableError
from nasbench.tables.schema import CURVE_METRICS, RUN_METRICS, RUNS_SCHEMA
from table_factory import conformed, make_rows, make_table, write_raw

SEEDS = (0, 1, 2)
EPOCHS = 4


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return make_table(tmp_path_factory.mktemp("bench") / "t", seeds=SEEDS, epochs=EPOCHS)




def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def same(a, b) -> bool:
    if missing(a) or missing(b):
        return missing(a) and missing(b)
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=0)
    return a == b


def forms(cell: Cell):
    """Every accepted way to name one arch."""
    return [cell.canonical_string, cell.format(short=True), cell.genotype(),
            str(cell.genotype()), cell, cell.arch_hash]


def usable(runs_of_arch: pd.DataFrame) -> pd.DataFrame:
    ok = runs_of_arch[runs_of_arch.status == "ok"]
    return ok if len(ok) else runs_of_arch


def expected(frames, arch_hash, seed, epoch) -> dict | type:
    """What query() must return, computed with pandas only (or the exception type)."""
    runs, curves = frames
    mine = runs[runs.arch_hash == arch_hash]
    if seed is not None and seed not in set(mine.seed):
        return NotInTableError
    chosen = mine[mine.seed == seed] if seed is not None else usable(mine)
    if epoch is None:
        values = {m: chosen[m].mean() for m in RUN_METRICS}
        if seed is not None:
            values = chosen.iloc[0].to_dict()
        return values
    pts = curves.merge(chosen[["arch_hash", "seed"]], on=["arch_hash", "seed"])
    if not len(pts):
        return NotInTableError
    at = pts[pts.epoch == epoch]
    if len(at) != len(chosen):
        return ValueError
    return {m: at[m].mean() for m in CURVE_METRICS}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_query_equals_pandas(bench, frames, data):
    runs, _ = frames
    h = data.draw(st.sampled_from(sorted(set(runs.arch_hash))))
    cell = Cell.parse(runs[runs.arch_hash == h].arch.iloc[0])
    arch = data.draw(st.sampled_from(forms(cell)))
    seed = data.draw(st.one_of(st.none(), st.sampled_from(SEEDS)))
    epoch = data.draw(st.one_of(st.none(), st.integers(1, EPOCHS)))
    want = expected(frames, h, seed, epoch)
    if isinstance(want, type):
        with pytest.raises(want):
            bench.query(arch, seed=seed, epoch=epoch)
        return
    got = bench.query(arch, seed=seed, epoch=epoch)
    assert got["arch"] == cell.canonical_string and got["arch_hash"] == h
    assert got["seed"] == seed
    for key, value in want.items():
        assert same(got[key], value), (key, got[key], value)
    assert same(bench.query(arch, seed=seed, epoch=epoch, metric="val_acc"), want["val_acc"])


def test_seed_mean_and_per_seed(bench, frames):
    runs, _ = frames
    for h, mine in runs.groupby("arch_hash"):
        got = bench.query(h)
        use = usable(mine)
        assert got["seeds"] == use.seed.tolist()
        assert got["status"] == ("ok" if (mine.status == "ok").any() else mine.status.iloc[0])
        assert sorted(got["per_seed"]) == mine.seed.tolist()
        for _, row in mine.iterrows():
            per = got["per_seed"][row.seed]
            assert per["status"] == row.status and same(per["val_acc"], row.val_acc)
        assert same(got["test_acc"], use.test_acc.mean())


def test_failed_seed_is_left_out_of_the_mean(bench, frames):
    runs, _ = frames
    failed = runs[runs.status != "ok"].arch_hash.iloc[0]
    got = bench.query(failed)
    assert len(got["seeds"]) < len(got["per_seed"]) and not math.isnan(got["val_acc"])


def test_rng_draw_is_reproducible(bench, frames):
    runs, _ = frames
    h = runs[runs.status == "ok"].groupby("arch_hash").size().idxmax()
    draws = [bench.query(h, rng=np.random.default_rng(7))["seed"] for _ in range(3)]
    assert len(set(draws)) == 1
    rng = np.random.default_rng(0)
    seen = {bench.query(h, rng=rng)["seed"] for _ in range(60)}
    assert seen == set(SEEDS)
    one = bench.query(h, rng=np.random.default_rng(3))
    assert one == bench.query(h, seed=one["seed"])


def test_errors(bench, frames):
    runs, _ = frames
    outside = next(c for c in pnas.sample(3, 5, 99) if c.arch_hash not in set(runs.arch_hash))
    with pytest.raises(KeyError) as exc:
        bench.query(outside)
    message = str(exc.value)
    assert outside.canonical_string in message and outside.arch_hash in message
    assert "is not in table" in message and "\n" not in message
    with pytest.raises(ValueError):
        bench.query("sep_conv_3x3@7+identity@0")
    with pytest.raises(ValueError):
        bench.query("not an arch")
    arch = bench.archs()[3]
    with pytest.raises(NotInTableError, match="seed 9 is not in table"):
        bench.query(arch, seed=9)
    for epoch in (0, EPOCHS + 1):
        with pytest.raises(ValueError, match=f"epoch {epoch} out of range 1..{EPOCHS}"):
            bench.query(arch, seed=2, epoch=epoch)
    with pytest.raises(ValueError, match="unknown metric"):
        bench.query(arch, metric="colour")
    failed = runs[runs.status == "failed"].iloc[0]
    with pytest.raises(NotInTableError, match="no curve"):
        bench.query(failed.arch_hash, seed=int(failed.seed), epoch=1)


def test_listing(bench, frames):
    runs, curves = frames
    firsts = runs.drop_duplicates("arch_hash")
    assert bench.archs() == firsts.arch.tolist() == list(bench)
    assert bench.archs(num_blocks=2) == firsts[firsts.num_blocks == 2].arch.tolist()
    assert len(bench) == runs.arch_hash.nunique()
    assert bench.seeds == list(SEEDS) and bench.num_blocks == [1, 2] and bench.epochs == EPOCHS
    assert bench.protocol["epochs"] == EPOCHS and "command" in bench.provenance
    pd.testing.assert_frame_equal(bench.runs, runs)
    pd.testing.assert_frame_equal(bench.curves_df, curves)
    assert all(bench.contains(a) for a in bench.archs()) and bench.archs()[0] in bench
    assert not bench.contains(pnas.sample(4, 1, 1)[0])


def test_curves(bench, frames):
    runs, curves = frames
    for h in runs.arch_hash.unique()[:5]:
        for seed in (None, *SEEDS):
            want = curves[(curves.arch_hash == h) & ((curves.seed == seed) if seed is not None
                                                     else True)].reset_index(drop=True)
            pd.testing.assert_frame_equal(bench.curves(h, seed).reset_index(drop=True), want)


@pytest.mark.parametrize("blocks", [None, 1, 2])
def test_best_selects_on_val_reports_test(bench, frames, blocks):
    runs, _ = frames
    ok = runs[runs.status == "ok"]
    if blocks:
        ok = ok[ok.num_blocks == blocks]
    means = ok.groupby("arch_hash")[["val_acc", "test_acc"]].mean()
    means = means.sort_values("val_acc", ascending=False, kind="stable")
    got = bench.best(4, num_blocks=blocks)
    assert [r["arch_hash"] for r in got] == means.index[:4].tolist()
    for row, (_, want) in zip(got, means.iterrows()):
        assert same(row["val_acc"], want.val_acc) and same(row["test_acc"], want.test_acc)
    losses = bench.best(2, by="val_loss", report="val_acc")
    assert losses[0]["val_loss"] <= losses[1]["val_loss"]


def test_unsorted_file_gives_the_same_answers(tmp_path, bench, frames):
    runs, curves = conformed(*make_rows(seeds=SEEDS, epochs=EPOCHS))
    order = np.random.default_rng(0).permutation
    shuffled = write_raw(tmp_path / "u", runs.take(order(runs.num_rows)),
                         curves.take(order(curves.num_rows)))
    other = Benchmark.open(shuffled)
    for arch in bench.archs():
        assert json.dumps(other.query(arch), default=str) == json.dumps(bench.query(arch), default=str)


def test_broken_tables_refused_at_open(tmp_path):
    runs, curves = conformed(*make_rows())
    path = write_raw(tmp_path / "d", pa.concat_tables([runs, runs.slice(3, 1)]), curves)
    with pytest.raises(TableError, match="runs.parquet has duplicate"):
        Benchmark.open(path)
    bad = runs.set_column(1, "arch_hash", pa.array(["XYZ"] * runs.num_rows))
    path = write_raw(tmp_path / "h", bad, curves)
    with pytest.raises(TableError, match=f"table {path}: arch_hash values must be 16"):
        Benchmark.open(path)
    path = write_raw(tmp_path / "s", runs.drop_columns(["seed"]), curves)
    with pytest.raises(TableError, match="missing column"):
        Benchmark.open(path)


def test_default_table():
    shipped = Path(nasbench.__file__).parent / "shipped_tables" / "digits-pnas"
    if (shipped / "runs.parquet").is_file():
        assert len(Benchmark.default()) > 0
    else:
        with pytest.raises(FileNotFoundError, match="no shipped table"):
            Benchmark.default()


def test_schema_columns_are_queryable(bench):
    assert set(bench.query(bench.archs()[1], seed=2)) == set(RUNS_SCHEMA.names)


# ---------------------------------------------------------------------- CLI
def run(path, *args):
    group = Group()
    group.add_command(query)
    return CliRunner().invoke(group, ["query", "-t", str(path), *map(str, args)])


def test_cli_query(path, bench):
    arch = bench.archs()[2]
    text = run(path, "--arch", arch)
    assert text.exit_code == 0, text.output
    assert "val_acc" in text.stdout and "per seed:" in text.stdout
    got = json.loads(run(path, "--arch", arch, "--seed", 1, "--epoch", 2, "--json").stdout)
    want = bench.query(arch, seed=1, epoch=2)
    assert got["val_acc"] == want["val_acc"] and got["epoch"] == 2
    assert float(run(path, "--arch", arch, "--metric", "test_acc").stdout) == \
        bench.query(arch, metric="test_acc")


def test_cli_top(path, bench):
    lines = run(path, "--top", 3, "--blocks", 2, "--json").stdout.strip().splitlines()
    assert [json.loads(x) for x in lines] == bench.best(3, num_blocks=2)
    text = run(path, "--top", 3).stdout.splitlines()
    assert text[0].split() == ["rank", "num_blocks", "val_acc", "test_acc", "seeds", "arch"]
    assert len(text) == 4


def test_cli_json_nan_is_null(path, frames):
    runs, _ = frames
    failed = runs[runs.status == "failed"].iloc[0]
    got = json.loads(run(path, "--arch", failed.arch_hash, "--seed", int(failed.seed),
                         "--json").stdout)
    assert got["val_acc"] is None and got["error"] == failed.error


@pytest.mark.parametrize("args, words", [
    (["--arch", "sep_conv_3x3@0+sep_conv_3x3@1,identity@2+identity@2"], "is not in table"),
    (["--arch", "sep_conv_3x3@9+identity@0"], "input 9"),
    (["--arch", "SEED", "--seed", 42], "seed 42 is not in table"),
    (["--arch", "SEED", "--seed", 2, "--epoch", 11], "epoch 11 out of range"),
])
def test_cli_errors(path, bench, args, words):
    args = [bench.archs()[3] if a == "SEED" else a for a in args]
    result = run(path, *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0]


def test_cli_not_a_table_and_usage(tmp_path, bench):
    result = run(tmp_path, "--arch", bench.archs()[0])
    assert result.exit_code == 2 and result.stderr.strip() == \
        f"Error: {tmp_path} is not a nasbench table: runs.parquet is missing"
    assert run(tmp_path).exit_code == 2  # neither --arch nor --top
    runs, curves = conformed(*make_rows())
    newer = write_raw(tmp_path / "v2", runs, curves, schema_version=2)
    result = run(newer, "--top", 1)
    assert result.exit_code == 2 and "schema_version 2" in result.stderr
    assert "upgrade nasbench" in result.stderr and len(result.stderr.strip().splitlines()) == 1
