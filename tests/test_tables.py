"""Schema v1, write_table / read_metadata, validate, merge, datasheet and the table CLI."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from scipy.stats import spearmanr

from nasbench.cli.common import Group
from nasbench.cli.query import info, table
from nasbench.tables import (CURVES_SCHEMA, RUNS_SCHEMA, SCHEMA_VERSION, TableError,
                             merge_tables, read_metadata, table_summary, validate, write_table)
from nasbench.tables.schema import protocol_hash
from table_factory import PHASH, PROTOCOL, conformed, make_rows, make_table, write_raw

RUN_COLUMNS = ["arch", "arch_hash", "space", "num_blocks", "dataset", "protocol_hash", "seed",
               "epochs", "params", "flops", "train_acc", "val_acc", "test_acc", "train_loss",
               "val_loss", "test_loss", "best_val_acc", "best_val_epoch", "train_seconds",
               "eval_seconds", "device", "status", "error"]
CURVE_COLUMNS = ["arch_hash", "seed", "epoch", "lr", "train_loss", "train_acc", "val_loss",
                 "val_acc", "test_loss", "test_acc", "epoch_seconds"]


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return make_table(tmp_path_factory.mktemp("tables") / "good")


@pytest.fixture(scope="module")
def rows():
    return make_rows()


def cli(*args):
    group = Group()
    group.add_command(info)
    group.add_command(table)
    return CliRunner().invoke(group, [str(a) for a in args])


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# ---------------------------------------------------------------------- schema + write
def test_schema_matches_design():
    assert SCHEMA_VERSION == 1
    assert RUNS_SCHEMA.names == RUN_COLUMNS
    assert CURVES_SCHEMA.names == CURVE_COLUMNS
    assert [f.name for f in RUNS_SCHEMA if f.nullable] == ["error"]
    assert protocol_hash({"b": 1, "a": 2}) == protocol_hash({"a": 2, "b": 1})


def test_plain_parquet_with_metadata(good):
    runs = pd.read_parquet(good / "runs.parquet")
    curves = pd.read_parquet(good / "curves.parquet")
    assert list(runs.columns) == RUN_COLUMNS and list(curves.columns) == CURVE_COLUMNS
    for name in ("runs.parquet", "curves.parquet"):
        meta = pq.read_schema(good / name).metadata
        assert meta[b"nasbench.schema_version"] == b"1"
        assert json.loads(meta[b"nasbench.protocol"]) == PROTOCOL
        assert "command" in json.loads(meta[b"nasbench.provenance"])
    md = read_metadata(good)
    assert (md.schema_version, md.protocol, md.protocol_hash) == (1, PROTOCOL, PHASH)
    assert md.provenance["command"].startswith("nasbench build")
    assert read_metadata(good / "curves.parquet") == md
    assert (good / "TABLE.md").is_file()
    assert not [p for p in good.iterdir() if p.name.startswith(".")]  # no temp files left


def test_sorted_by_keys(good):
    runs = pd.read_parquet(good / "runs.parquet")
    curves = pd.read_parquet(good / "curves.parquet")
    assert runs.equals(runs.sort_values(["arch_hash", "seed"], ignore_index=True))
    assert curves.equals(curves.sort_values(["arch_hash", "seed", "epoch"], ignore_index=True))


def test_input_forms_give_the_same_table(tmp_path, rows):
    runs, curves = rows
    write_table(tmp_path / "a", runs, curves, PROTOCOL, {}, datasheet=False)
    write_table(tmp_path / "b", pd.DataFrame(runs), pd.DataFrame(curves), PROTOCOL, {},
                datasheet=False)
    write_table(tmp_path / "c", *conformed(runs, curves), PROTOCOL, {}, datasheet=False)
    for name in ("runs.parquet", "curves.parquet"):
        ref = pd.read_parquet(tmp_path / "a" / name)
        for other in ("b", "c"):
            pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / other / name), ref)


def test_dedupe_last_wins(tmp_path, rows):
    runs, curves = rows
    again = dict(runs[5], val_acc=0.123456)
    again_curve = dict(curves[7], val_acc=0.654321)
    write_table(tmp_path, runs + [again], curves + [again_curve], PROTOCOL, {}, datasheet=False)
    df = pd.read_parquet(tmp_path / "runs.parquet")
    assert len(df) == len(runs)
    hit = df[(df.arch_hash == again["arch_hash"]) & (df.seed == again["seed"])]
    assert hit.val_acc.tolist() == [0.123456]
    cdf = pd.read_parquet(tmp_path / "curves.parquet")
    assert len(cdf) == len(curves)
    key = (cdf.arch_hash == again_curve["arch_hash"]) & (cdf.seed == again_curve["seed"]) \
        & (cdf.epoch == again_curve["epoch"])
    assert cdf[key].val_acc.tolist() == [0.654321]


@pytest.mark.parametrize("change, word", [
    (lambda r: r.pop("params"), "missing column(s) params"),
    (lambda r: r.update(color="red"), "unexpected column(s) color"),
    (lambda r: r.update(seed="x"), "'seed'"),
    (lambda r: r.update(arch=None), "'arch'"),
])
def test_write_conform_errors(tmp_path, rows, change, word):
    runs = [dict(r) for r in rows[0]]
    for r in runs:
        change(r)
    with pytest.raises(ValueError, match=None) as exc:
        write_table(tmp_path, runs, rows[1], PROTOCOL, {})
    assert word in str(exc.value) and "\n" not in str(exc.value)


def test_write_refuses_invalid_and_mixed(tmp_path, rows):
    runs, curves = rows
    with pytest.raises(TableError, match="val_acc outside"):
        write_table(tmp_path, [dict(runs[4], val_acc=1.5)] + runs[5:], curves, PROTOCOL, {})
    with pytest.raises(ValueError, match="mix 2 protocols"):
        write_table(tmp_path, [dict(runs[4], protocol_hash="f" * 16)] + runs[5:], curves,
                    PROTOCOL, {})
    assert not (tmp_path / "runs.parquet").exists()


def test_empty_table(tmp_path):
    write_table(tmp_path, [], [], PROTOCOL, {})
    assert validate(tmp_path) == []
    assert read_metadata(tmp_path).protocol_hash == PHASH


# ---------------------------------------------------------------------- validate
def test_valid(good):
    assert validate(good) == []
    assert validate(good, deep=True) == []


def _broken(tmp_path, rows, edit_runs=None, edit_curves=None, **kw):
    runs, curves = conformed(*rows)
    runs, curves = runs.to_pylist(), curves.to_pylist()
    if edit_runs:
        runs = edit_runs(runs)
    if edit_curves:
        curves = edit_curves(curves)
    return write_raw(tmp_path / "t", *conformed(runs, curves), **kw)


@pytest.mark.parametrize("edit_runs, edit_curves, expected", [
    (lambda r: r + [r[3]], None, "duplicate row(s) for the same (arch_hash, seed)"),
    (None, lambda c: c + [c[0]], "duplicate row(s) for the same (arch_hash, seed, epoch)"),
    (lambda r: [dict(r[4], val_acc=1.2)] + r[5:], None, "val_acc outside [0.0, 1.0]"),
    (lambda r: [dict(r[4], test_acc=-0.1)] + r[5:], None, "test_acc outside"),
    (lambda r: [dict(r[4], val_acc=math.nan)] + r[5:], None, "val_acc outside"),
    (lambda r: [dict(r[4], epochs=0)] + r[5:], None, "epochs outside"),
    (lambda r: [dict(r[4], params=0)] + r[5:], None, "status ok/diverged but params <= 0"),
    (lambda r: [dict(r[4], params=-1, status="failed")] + r[5:], None, "params outside [0"),
    (lambda r: [dict(r[4], status="meh")] + r[5:], None, "a status not in ok|collapsed|diverged|failed"),
    (lambda r: [dict(r[4], arch_hash="0" * 16)] + r[5:], None, "arch_hash != sha256(arch)"),
    (lambda r: [dict(r[4], protocol_hash="f" * 16)] + r[5:], None, "mixes 2 protocol_hash"),
    (lambda r: [dict(x, protocol_hash="f" * 16) for x in r], None, "differs from the metadata"),
    (None, lambda c: [dict(c[0], epoch=0)] + c[1:], "epoch outside"),
    (None, lambda c: [dict(c[0], seed=99)] + c, "no run in runs.parquet"),
    (None, lambda c: [dict(c[-1], epoch=9)] + c, "curves longer than the run's epochs"),
])
def test_validate_catches(tmp_path, rows, edit_runs, edit_curves, expected):
    problems = validate(_broken(tmp_path, rows, edit_runs, edit_curves))
    assert any(expected in p for p in problems), problems
    assert all("\n" not in p for p in problems)
    result = cli("table", "validate", "-t", tmp_path / "t")
    assert f"problem: " in result.stdout
    assert "is invalid" in one_error_line(result)


def test_validate_schema_problems(tmp_path, rows):
    runs, curves = conformed(*rows)
    write_raw(tmp_path / "t", runs.drop_columns(["flops"]),
              curves.set_column(1, "seed", curves.column("seed").cast(pa.int64())))
    problems = validate(tmp_path / "t")
    assert "runs.parquet: missing column(s) flops" in problems
    assert "curves.parquet: column seed has type int64, expected int32" in problems


def test_newer_schema_version(tmp_path, rows):
    path = write_raw(tmp_path / "t", *conformed(*rows), schema_version=2)
    message = (f"table {path} has schema_version 2; this nasbench reads up to 1 — "
               "upgrade nasbench")
    with pytest.raises(TableError) as exc:
        validate(path)
    assert str(exc.value) == message
    assert one_error_line(cli("table", "validate", "-t", path)) == f"Error: {message}"
    assert one_error_line(cli("info", "-t", path)) == f"Error: {message}"


def _not_tables(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "runs.parquet").write_bytes(b"not parquet at all")
    (tmp_path / "junk" / "curves.parquet").write_bytes(b"PAR1 nope")
    (tmp_path / "plain").mkdir()
    for name in ("runs.parquet", "curves.parquet"):
        pd.DataFrame({"x": [1, 2]}).to_parquet(tmp_path / "plain" / name)
    (tmp_path / "file.txt").write_text("hello")
    return {"missing": (tmp_path / "nope", FileNotFoundError, "no table at"),
            "empty": (tmp_path / "empty", TableError, "runs.parquet is missing"),
            "junk": (tmp_path / "junk", TableError, "not a readable Parquet file"),
            "plain": (tmp_path / "plain", TableError, "no nasbench.schema_version metadata"),
            "file": (tmp_path / "file.txt", TableError, "is not a nasbench table")}


@pytest.mark.parametrize("case", ["missing", "empty", "junk", "plain", "file"])
def test_not_a_table(tmp_path, case):
    path, error, words = _not_tables(tmp_path)[case]
    with pytest.raises(error) as exc:
        validate(path)
    assert not isinstance(exc.value, pa.ArrowException)
    assert words in str(exc.value) and "\n" not in str(exc.value)
    assert words in one_error_line(cli("table", "validate", "-t", path))


# ---------------------------------------------------------------------- merge
def test_merge(tmp_path):
    a = make_table(tmp_path / "a", blocks=(1,), seed=1)
    b_runs, b_curves = make_rows(blocks=(2,), seed=2)
    b = write_table(tmp_path / "b", b_runs, b_curves, PROTOCOL, {})
    result = cli("table", "merge", "-o", tmp_path / "m", "-t", a, "-t", b)
    assert result.exit_code == 0, result.output
    merged = pd.read_parquet(tmp_path / "m" / "runs.parquet")
    assert len(merged) == len(pd.read_parquet(a / "runs.parquet")) + len(b_runs)
    assert validate(tmp_path / "m") == []
    assert read_metadata(tmp_path / "m").provenance["command"].startswith("nasbench table merge")
    # later table wins on a repeated (arch_hash, seed)
    changed = [dict(r, val_acc=0.5) if r["status"] == "ok" else r for r in b_runs]
    write_table(tmp_path / "b2", changed, b_curves, PROTOCOL, {})
    merge_tables(tmp_path / "m2", b, tmp_path / "b2")
    ok = pd.read_parquet(tmp_path / "m2" / "runs.parquet").query("status == 'ok'")
    assert (ok.val_acc == 0.5).all()


def test_merge_refuses_mixed_protocols(tmp_path):
    a = make_table(tmp_path / "a", blocks=(1,))
    other = dict(PROTOCOL, epochs=4, lr=0.1)
    runs, curves = make_rows(blocks=(2,), protocol_hash_=protocol_hash(other))
    b = write_table(tmp_path / "b", runs, curves, other, {})
    with pytest.raises(TableError, match="cannot merge") as exc:
        merge_tables(tmp_path / "m", a, b)
    assert "\n" not in str(exc.value)
    assert "cannot merge" in one_error_line(cli("table", "merge", "-o", tmp_path / "m", "-t", a, "-t", b))
    assert not (tmp_path / "m").exists()


# ---------------------------------------------------------------------- datasheet
def test_summary_figures(good):
    s = table_summary(good)
    runs = pd.read_parquet(good / "runs.parquet")
    ok = runs[runs.status == "ok"]
    assert s["archs"] == runs.arch_hash.nunique() and s["runs"] == len(runs)
    assert s["status"] == {"ok": int((runs.status == "ok").sum()), "collapsed": 0, "diverged": 1, "failed": 1}
    for b, c in s["counts"].items():
        assert c["runs_per_seed"] == runs[runs.num_blocks == b].groupby("seed").size().to_dict()
        acc = ok[ok.num_blocks == b].val_acc
        assert c["archs"] == runs[runs.num_blocks == b].arch_hash.nunique()
        assert s["accuracy"][b]["val_acc"]["mean"] == pytest.approx(acc.mean())
        assert s["accuracy"][b]["val_acc"]["std"] == pytest.approx(acc.std())
        assert s["accuracy"][b]["val_acc"]["max"] == acc.max()
    wide = ok.pivot(index="arch_hash", columns="seed", values="val_acc")
    rhos = [spearmanr(*wide[[x, y]].dropna().to_numpy().T).statistic
            for x, y in [(0, 1), (0, 2), (1, 2)]]
    assert s["seed_correlation"]["val_acc"]["rho"] == pytest.approx(np.mean(rhos))
    assert s["seed_correlation"]["val_acc"]["pairs"] == 3
    assert s["best"][0]["val_acc"] == pytest.approx(ok.groupby("arch_hash").val_acc.mean().max())
    assert s["command"] == "nasbench build --dataset digits --blocks 1-2 --seeds 0-2"


def test_datasheet_and_info(good):
    text = (good / "TABLE.md").read_text()
    for heading in ("## Protocol", "## Rebuild", "## Counts", "## Accuracy (ok runs)",
                    "## Best cells", "## Seed-to-seed rank correlation"):
        assert heading in text
    assert "nasbench build --dataset digits --blocks 1-2 --seeds 0-2" in text
    result = cli("info", "-t", good)
    assert result.exit_code == 0 and "Seed-to-seed" in result.stdout
    summary = json.loads(cli("info", "-t", good, "--json").stdout)
    assert summary["archs"] == 12 and summary["protocol"] == PROTOCOL
