"""Predictor evaluation, the table surrogate and the `predictor` CLI on a small synthetic table.

The table is a real ``runs.parquet`` written with pandas: canonical cells of 1..3 blocks,
two seeds each, one failed run, accuracies from a known function of the ops.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from nasbench.cli.predictor import predictor as predictor_cli
from nasbench.predictors.data import ArchData, aggregate_runs
from nasbench.predictors.evaluate import extrapolation_eval, run_evaluation
from nasbench.predictors.surrogate import TableSurrogate
from nasbench.space import pnas

OP_WEIGHT = np.array([0.004, 0.017, 0.021, 0.0, 0.007, 0.030, 0.037, 0.043])
OP_SECONDS = np.array([1.0, 3.0, 2.0, 0.2, 1.0, 2.5, 3.5, 4.5])
SMALL = {"xgboost": dict(min_child_weight=1, learning_rate=0.1, n_jobs=1),
         "mlp_ensemble": dict(epochs=5, n_members=3)}


def distinct_cells(b, n, seed):
    seen = {}
    for cell in pnas.sample(b, 3 * n, seed):
        seen.setdefault(cell.arch_hash, cell)
    return list(seen.values())[:n]


def make_runs(per_block=(30, 50, 50), seeds=(0, 1), rng_seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(rng_seed)
    rows = []
    for b, n in enumerate(per_block, start=1):
        for cell in distinct_cells(b, n, seed=100 + b):
            ops = [op for block in cell.canonical_blocks for op, _ in block]
            acc = 0.5 + OP_WEIGHT[ops].mean() * 5
            for s in seeds:
                rows.append(dict(
                    arch=cell.canonical_string, arch_hash=cell.arch_hash, space="pnas",
                    num_blocks=cell.num_blocks, seed=s, params=float(1000 * len(ops) + rng.integers(0, 900)),
                    flops=float(10_000 * len(ops)), val_acc=acc + rng.normal(0, 0.002),
                    test_acc=acc - 0.01 + rng.normal(0, 0.002),
                    train_seconds=float(OP_SECONDS[ops].sum() + rng.normal(0, 0.05)), status="ok"))
    rows[0].update(status="failed", val_acc=np.nan, test_acc=np.nan)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_thread):
    """Every test here runs torch on one thread (shared fixture in conftest.py)."""


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("table")
    make_runs().to_parquet(folder / "runs.parquet", index=False)
    return folder


def test_aggregate_runs_means_over_ok_seeds():
    runs = make_runs(per_block=(5,), seeds=(0, 1, 2))
    per_arch = aggregate_runs(runs, "val_acc")
    assert len(per_arch) == 5 and per_arch["arch_hash"].is_unique
    first = runs.iloc[0]
    row = per_arch.set_index("arch_hash").loc[first["arch_hash"]]
    ok = runs[(runs["arch_hash"] == first["arch_hash"]) & (runs["status"] == "ok")]
    assert row["n_seeds"] == 2 and row["val_acc"] == pytest.approx(ok["val_acc"].mean())
    with pytest.raises(ValueError, match="no column 'nope'"):
        aggregate_runs(runs, "nope")


def test_extrapolation_protocol_b_to_b_plus_1(table):
    data = ArchData.from_table(table)
    assert sorted(set(data.num_blocks)) == [1, 2, 3] and data.params is not None
    results, preds = extrapolation_eval(data, ["xgboost", "mlp_ensemble"], seeds=2, hparams=SMALL)
    assert set(results["train_blocks"]) == {1.0, 2.0}
    assert set(results["predictor"]) == {"xgboost", "mlp_ensemble", "params"}
    one = results[(results["train_blocks"] == 1) & (results["predictor"] == "xgboost")]
    assert (one["train_size"] == 30).all() and (one["test_size"] == 50).all()
    assert set(preds[preds["train_blocks"] == 2]["num_blocks"]) == {3}
    ens = results[results["predictor"] == "mlp_ensemble"]
    assert ens["coverage_1sigma"].between(0, 1).all()
    assert results[results["predictor"] == "xgboost"]["coverage_1sigma"].isna().all()
    learned = results[results["predictor"] != "params"]
    assert (learned["kendall_tau"] > 0.5).all()  # the op effect carries over to b+1


def test_several_top_k_match_the_predictions(table):
    """precision@K for PNAS's beam sizes, recomputed by hand from the returned predictions."""
    data = ArchData.from_table(table)
    results, preds = extrapolation_eval(data, ["xgboost"], seeds=1, hparams=SMALL, top_k=(8, 16, 32))
    row = results[(results["train_blocks"] == 1) & (results["predictor"] == "xgboost")].iloc[0]
    p = preds[(preds["train_blocks"] == 1) & (preds["predictor"] == "xgboost")]
    for k in (8, 16, 32):
        true_top = set(p.nlargest(k, "y_true")["arch_hash"])
        pred_top = set(p.nlargest(k, "y_pred")["arch_hash"])
        assert row[f"precision_at_{k}"] == pytest.approx(len(true_top & pred_top) / k)
    assert "precision_at_10" not in results


def test_run_evaluation_writes_report(table, tmp_path):
    out = tmp_path / "eval"
    frames = run_evaluation(table, ["xgboost", "mlp_ensemble"], out, sizes=[20, 50, "all"],
                            seeds=2, hparams=SMALL)
    summary = frames["summary"]
    sweep = summary[summary["protocol"] == "train_size"]
    assert sorted(set(sweep["train_size"])) == [20, 50, 104]  # 130 archs, 26 held out
    assert (sweep["n_runs"] == 2).all() and "kendall_tau_std" in summary
    big = sweep[(sweep["train_size"] == 104) & (sweep["predictor"] == "mlp_ensemble")]
    assert big["kendall_tau_mean"].iloc[0] > 0.5
    for name in ("results", "summary", "predictions", "calibration"):
        assert len(pd.read_parquet(out / f"{name}.parquet")) > 0
    readme = (out / "README.md").read_text()
    assert "Train-size sweep" in readme and "b → b+1" in readme and "calibration" in readme
    for png in ("kendall_tau_vs_size.png", "pred_vs_true.png", "extrapolation.png", "calibration.png"):
        assert (out / png).stat().st_size > 1000 and png in readme
    with pytest.raises(ValueError, match="unknown predictor"):
        run_evaluation(table, ["nope"])


def test_table_surrogate_predicts_metrics(table, tmp_path):
    runs = pd.read_parquet(table / "runs.parquet")
    sur = TableSurrogate("xgboost", min_child_weight=1, learning_rate=0.1, n_jobs=1).fit(runs)
    cells = [pnas.sample(b, 1, seed=50 + b)[0] for b in (1, 2, 3, 4)]
    pred = sur.predict_metrics(cells)
    assert set(pred) == {"val_acc", "test_acc", "train_seconds"}
    assert all(v.shape == (4,) for v in pred.values())
    assert np.all((pred["val_acc"] >= 0) & (pred["val_acc"] <= 1)) and np.all(pred["train_seconds"] >= 0)
    ops = [[op for block in c.canonical_blocks for op, _ in block] for c in cells]
    truth = np.array([OP_SECONDS[o].sum() for o in ops])
    np.testing.assert_allclose(pred["train_seconds"], truth, rtol=0.1, atol=0.5)  # 4 blocks: extrapolated
    path = tmp_path / "sur.npz"
    sur.save(path)
    again = TableSurrogate.load(path).predict_metrics(cells)
    for key in pred:
        np.testing.assert_array_equal(again[key], pred[key])
    with pytest.raises(ValueError, match="not fitted"):
        TableSurrogate().predict_metrics(cells)


def test_cli_fit_predict_eval_round_trip(table, tmp_path):
    runner = CliRunner()
    model = tmp_path / "xgb.model"
    res = runner.invoke(predictor_cli, ["fit", "--table", str(table), "--model", "xgboost",
                                        "-p", "min_child_weight=1", "-p", "n_jobs=1", "--out", str(model)])
    assert res.exit_code == 0, res.output
    assert "fitted xgboost on 130 architectures" in res.output and model.exists()
    arch = "sep_conv_7x7@0+sep_conv_5x5@1"
    res = runner.invoke(predictor_cli, ["predict", "--model-file", str(model), "--arch", arch, "--arch", "id@0+avg3@1"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 2 and float(lines[0].split("\t")[0]) > float(lines[1].split("\t")[0])
    res = runner.invoke(predictor_cli, ["predict", "--model-file", str(model), "--arch", "sep3@0+nope@1"])
    assert res.exit_code == 2 and "Error: --arch[0]: " in res.output
    res = runner.invoke(predictor_cli, ["predict", "--model-file", str(tmp_path / "none"), "--arch", arch])
    assert res.exit_code == 2 and "Error:" in res.output
    res = runner.invoke(predictor_cli, ["fit", "--table", str(table), "--target", "nope", "--out", str(model)])
    assert res.exit_code == 2 and "no column 'nope'" in res.output
    out = tmp_path / "report"
    res = runner.invoke(predictor_cli, [
        "eval", "--table", str(table), "--models", "xgboost", "--sizes", "20,all", "--n-seeds", "2",
        "-p", "xgboost.min_child_weight=1", "-p", "xgboost.learning_rate=0.1", "-p", "xgboost.n_jobs=1",
        "--top-k", "8", "--top-k", "16", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "extrapolation" in res.output and os.path.exists(out / "README.md")
    readme = (out / "README.md").read_text()
    assert "### precision_at_8 (columns: b)" in readme and "### precision_at_16 (columns: b)" in readme
    end = (out / "README.md").read_text().rstrip().split("## Regenerate")[-1]
    assert "--sizes 20,all --n-seeds 2" in end and f"--out {out}" in end and end.endswith("```")
    res = runner.invoke(predictor_cli, ["eval", "--table", str(table), "--sizes", "1,x", "--out", str(out)])
    assert res.exit_code == 2
