"""The PNAS paper's Table-1 measurement in the harness (issue 16 item 3): top-M targets,
models-to-target with censoring, the target cap, held-out scores, the miss default."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from nasbench.search import Budget, EvalResult, Trajectory, harness, heldout, table1
from nasbench.search.closed import default_miss
from nasbench.tables import Benchmark

SHIPPED = Path(__file__).resolve().parents[1] / "tables" / "digits-pnas"  # B1: 136 cells x 3 seeds


def frame(runs: dict) -> pd.DataFrame:
    """algorithm -> list of runs, each a list of (arch, val)."""
    out = []
    for algo, paths in runs.items():
        for seed, path in enumerate(paths):
            t = Trajectory()
            for arch, v in path:
                t.append(EvalResult(arch, 1, v, v, 1.0), 0.0)
            f = t.to_frame()
            f.insert(0, "seed", seed)
            f.insert(0, "algorithm", algo)
            out.append(f)
    return pd.concat(out, ignore_index=True)


def b1_seed_means() -> np.ndarray:
    """Seed-mean val of the shipped table's B1 cells, straight from runs.parquet."""
    runs = pd.read_parquet(SHIPPED / "runs.parquet")
    b1 = runs[(runs["num_blocks"] == 1) & (runs["status"] == "ok")]
    return b1.groupby("arch_hash")["val_acc"].mean().to_numpy()


def test_top_m_mean_counts_distinct_cells_at_their_best_seen_val():
    archs, vals = ["a", "a", "b", "c"], [0.5, 0.9, 0.7, 0.6]
    assert table1.top_m_mean(archs, vals, 2, k=2) == -math.inf  # one distinct cell so far
    assert table1.top_m_mean(archs, vals, 2, k=3) == pytest.approx(0.8)
    assert table1.top_m_mean(archs, vals, 3) == pytest.approx((0.9 + 0.7 + 0.6) / 3)
    assert table1.first_reach(archs, vals, 2, 0.8) == 3
    assert table1.first_reach(archs, vals, 1, 0.9) == 2
    assert table1.first_reach(archs, vals, 1, 0.95) is None
    df = frame({"pnas": [[("a", 0.9), ("b", 0.8)], [("a", 0.7), ("b", 0.6)], [("c", 0.5), ("d", 0.4)]]})
    assert table1.targets(df, ms=(1, 2)) == {1: pytest.approx(0.7), 2: pytest.approx(0.65)}
    with pytest.raises(ValueError, match="no pnas run evaluated 3 distinct cells"):
        table1.targets(df, ms=(3,))


def test_censored_runs_enter_the_kaplan_meier_median_not_the_budget():
    # three runs reach 0.9 at models 2, 4, 6; two never do (lengths 5 and 10)
    hit = lambda n: [(f"c{i}", 0.5) for i in range(n - 1)] + [("best", 0.9)]  # noqa: E731
    miss = lambda n: [(f"c{i}", 0.5) for i in range(n)]  # noqa: E731
    df = frame({"rl": [hit(2), hit(4), hit(6), miss(5), miss(10)]})
    hits = table1.models_to_target(df, {1: 0.9})
    assert hits["reached"].tolist() == [True, True, True, False, False]
    assert hits["models"].tolist() == [2, 4, 6, 5, 10]
    row = table1.table1(hits, pnas_total=3.0, n_boot=200).iloc[0]
    # KM: S(2) = 4/5, S(4) = 4/5 * 3/4 = 0.6, censored at 5, S(6) = 0.6 * 1/2 = 0.3 -> median 6
    assert row["median_models"] == 6.0  # counting the censored runs at their length gives 5
    assert row["reached"] == 3 and row["censored_frac"] == pytest.approx(0.4)
    assert row["mean_models_reached"] == pytest.approx(4.0)
    assert row["ratio_to_pnas"] == pytest.approx(2.0)
    assert row["median_lo"] <= 6.0 <= row["median_hi"]
    assert table1.km_median([3, 7], [False, False]) == math.inf
    assert table1.km_median([3, 7, 9], [True, False, False]) == math.inf  # S never reaches 0.5


def test_random_search_models_to_target_matches_the_order_statistic_expectation():
    """Random search draws WITH replacement, uniformly over the 136 B1 cells (restricted replay:
    the table's B1 cells, which on this table closed up to B1 are all of the space's; the
    unrestricted draw of miss='error' is uniform over the same 136 canonical cells): the draws
    to the first of K cells >= target are geometric with p = K/N, mean N/K, variance
    (1-p)/p^2. Without replacement it would be (N+1)/(K+1), which the K=1 and K=3 cases rule out."""
    means = np.sort(b1_seed_means())[::-1]
    n_cells = len(means)
    assert n_cells == 136
    runs = 1000
    df = harness.run_many(SHIPPED, ["random"], runs, Budget(models=2000), {"random": {"blocks": 1}},
                          seed_policy="mean", miss="restrict", workers=1)
    for want in (1, 3, 20):
        k = next(k for k in range(want, n_cells) if means[k - 1] > means[k])  # no tie at the cut
        target = float(means[k - 1])
        assert (means >= target).sum() == k
        row = table1.table1(table1.models_to_target(df, {1: target}), n_boot=500).iloc[0]
        assert row["reached"] == runs
        p = k / n_cells
        expected, se = n_cells / k, math.sqrt((1 - p) / p**2 / runs)
        got = row["mean_models_reached"]
        assert abs(got - expected) <= 4 * se, (k, got, expected, se)
        assert row["mean_lo"] <= expected <= row["mean_hi"], (k, row["mean_lo"], row["mean_hi"])
        assert (row["mean_hi"] - row["mean_lo"]) / (2 * 1.96 * se) == pytest.approx(1, abs=0.25)
        if k <= 3:
            assert abs(got - (n_cells + 1) / (k + 1)) > 4 * se
        # the median: smallest t with P(T <= t) >= 1/2, i.e. t >= ln 2 / -ln(1 - p)
        assert abs(row["median_models"] - math.ceil(math.log(2) / -math.log(1 - p))) <= 6 * se


def test_target_above_the_best_measured_val_is_refused(tmp_path):
    from nasbench.cli.search import search

    bench = Benchmark.open(SHIPPED)
    cap = table1.best_measured(bench)
    assert cap == pytest.approx(b1_seed_means().max()) or cap > b1_seed_means().max()
    assert table1.check_target(cap, cap) == cap
    with pytest.raises(ValueError, match="exceeds the best measured val"):
        table1.check_target(cap + 1e-6, cap)
    assert table1.best_measured(bench, "random") >= cap  # one seed per answer can exceed a mean
    out = tmp_path / "cmp"
    res = CliRunner().invoke(search, ["compare", "-t", str(SHIPPED), "--algorithms", "random",
                                      "-p", "random.blocks=1", "--budget-models", "10", "--n-seeds", "2",
                                      "--target-acc", "0.999", "--workers", "1", "-o", str(out)])
    assert res.exit_code == 2 and "exceeds the best measured val" in res.output, res.output
    assert res.output.count("\n") == 1 and not (out / "trajectories.parquet").exists()


def test_held_out_score_of_the_selected_cell_leaves_out_the_seed_it_saw():
    bench = Benchmark.open(SHIPPED)
    df = harness.run_many(SHIPPED, ["random"], 8, Budget(models=60), {"random": {"blocks": 1}},
                          seed_policy="random", miss="error", workers=1)
    sel = heldout.selected(df, bench, "random")
    runs = pd.read_parquet(SHIPPED / "runs.parquet")
    ref = b1_seed_means()
    assert len(sel) == 8 and sel["heldout_val"].notna().all()
    for r in sel.to_dict("records"):
        vals = runs[runs["arch"] == r["arch"]]["val_acc"].to_numpy()
        assert len(vals) == 3 and r["seen_val"] in vals
        assert r["heldout_val"] * 2 + r["seen_val"] == pytest.approx(vals.sum())
        assert r["percentile"] == pytest.approx(100 * np.mean(ref <= r["heldout_val"]))
    summ = heldout.summarise(sel, n_boot=200).iloc[0]
    assert summ["heldout_runs"] == 8 and summ["heldout_lo"] <= summ["heldout_val"] <= summ["heldout_hi"]
    mean = harness.run_many(SHIPPED, ["random"], 2, Budget(models=20), {"random": {"blocks": 1}},
                            seed_policy="mean", miss="error", workers=1)
    assert heldout.selected(mean, bench, "mean")["heldout_val"].isna().all()  # nothing held out


def test_miss_defaults_to_error_only_up_to_the_closed_level():
    assert default_miss(SHIPPED, ["random", "evolution"], {"random": {"blocks": 1}, "evolution": {"blocks": "1"}}) == "error"
    assert default_miss(SHIPPED, ["random"], {}) == "restrict"  # unrestricted: B up to 5
    assert default_miss(SHIPPED, ["random", "pnas"], {"random": {"blocks": 1}}) == "restrict"
    assert default_miss(SHIPPED, ["pnas"], {"pnas": {"Bmax": 1}}) == "error"


def test_compare_report_has_table1_and_held_out_sections(tmp_path):
    out = tmp_path / "cmp"
    readme = harness.compare(SHIPPED, ["random", "pnas"], 2, Budget(models=150), out,
                             options={"random": {"blocks": 1}, "pnas": {"Bmax": 1}},
                             seed_policy="random", workers=1)
    text = readme.read_text()
    assert "miss='error'" in text and "## Table 1" in text and "## Selected cells on held-out seeds" in text
    t1 = pd.read_csv(out / "table1.csv")
    assert sorted(t1["M"].unique()) == [1, 5, 25] and set(t1["algorithm"]) == {"pnas", "random"}
    pn = t1[t1["algorithm"] == "pnas"]
    assert (pn["reached"] >= 1).all() and (pn["ratio_to_pnas"] <= 1).all()  # PNAS reaches its median
    assert "| random | 25 |" in text and "÷ PNAS" in text and "136, B1 included" in text
    assert len(pd.read_csv(out / "selected.csv")) == 4


def test_surrogate_mode_shows_the_predicted_fraction_in_every_row(tmp_path):
    from nasbench.predictors.surrogate import TableSurrogate

    path = tmp_path / "sur.npz"
    TableSurrogate("xgboost", num_rounds=5, min_child_weight=1).fit(SHIPPED).save(path)
    out = tmp_path / "cmp"
    harness.compare(SHIPPED, ["random", "evolution"], 2, Budget(models=30), out,
                    options={"random": {"blocks": 1}, "evolution": {"blocks": 2, "population": 10, "sample": 3}},
                    target=0.95, miss="surrogate", surrogate=str(path), workers=1)
    df = pd.read_parquet(out / "trajectories.parquet")
    frac = df.groupby("algorithm")["predicted"].mean()
    assert frac["random"] == 0 and frac["evolution"] > 0.5  # B1 measured; B2 mostly not in the table
    summary = pd.read_csv(out / "summary.csv").set_index("algorithm")["predicted_frac"]
    assert summary.to_dict() == pytest.approx(frac.to_dict())
    t1 = pd.read_csv(out / "table1.csv")
    assert (t1["predicted_frac"] == t1["algorithm"].map(frac)).all()
    text = (out / "README.md").read_text()
    for algo in ("random", "evolution"):
        rows = [ln for ln in text.splitlines() if ln.startswith(f"| {algo} |")]
        assert len(rows) == 4 and all(ln.endswith(f" {frac[algo]:.1%} |") for ln in rows), rows
