"""Random search on the shipped closed table against its exact models-to-target (issue 16):
the geometric law of :mod:`nasbench.search.random_exact` is computed from runs.parquet
alone, then checked against (1) the harness's own random-search runs and (2) the committed
closed-replay report's random-search rows of Table 1."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nasbench.search import Budget, harness, table1
from nasbench.search.random_exact import expected_reach, geometric_reach, hit_probability

ROOT = Path(__file__).resolve().parents[1]
CLOSED = ROOT / "tables" / "fmnist-pnas3-closed"
REPORT = ROOT / "reports" / "search-closed-pnas3"


def runs() -> pd.DataFrame:
    return pd.read_parquet(CLOSED / "runs.parquet")


@pytest.mark.parametrize("p, budget", [(0.5, 1), (0.3, 7), (0.01, 300), (0.002, 700), (1.0, 5)])
def test_geometric_reach_equals_the_direct_sum(p, budget):
    q = 1 - p
    pmf = [p * q ** (t - 1) for t in range(1, budget + 1)]
    reached, mean = geometric_reach(p, budget)
    assert reached == pytest.approx(sum(pmf), rel=1e-12)
    assert mean == pytest.approx(sum(t * f for t, f in enumerate(pmf, 1)) / sum(pmf), rel=1e-9)
    assert geometric_reach(0.0, budget)[0] == 0.0 and math.isnan(geometric_reach(0.0, budget)[1])
    with pytest.raises(ValueError):
        geometric_reach(1.5, budget)


def test_hit_probability_weights_cells_equally_and_seeds_within_a_cell():
    df = pd.DataFrame({"arch_hash": ["a", "a", "b", "c", "c", "c"],
                       "val_acc": [0.9, 0.1, 0.8, 0.1, 0.1, 0.95],
                       "status": ["ok"] * 5 + ["failed"]})
    # a: 1 of 2 seeds >= 0.5, b: 1 of 1, c: 0 of 2 ok seeds (the failed run does not count)
    assert hit_probability(df, 0.5) == pytest.approx((0.5 + 1 + 0) / 3)
    assert hit_probability(df, 0.5, seed_policy="mean") == pytest.approx(2 / 3)  # a: mean 0.5, b
    with pytest.raises(ValueError, match="seed_policy"):
        hit_probability(df, 0.5, seed_policy="best")


def test_harness_random_search_follows_the_exact_law_on_the_shipped_closed_table(tmp_path):
    table = runs()
    ok = np.sort(table.loc[table.status == "ok", "val_acc"].unique())
    # the target where one query hits with p ~ 1/150: about 2/3 of 300-model runs reach it
    target = next(t for t in ok[::-1] if hit_probability(table, t) >= 1 / 150)
    budget, n = 300, 240
    readme = harness.compare(CLOSED, ["random"], n, Budget(models=budget), tmp_path, target=float(target),
                             seed_policy="random", miss="error", workers=1)
    df = pd.read_parquet(tmp_path / "trajectories.parquet")
    assert (df["predicted"] == 0).all()
    assert "Random search against its exact law" in readme.read_text()
    hits = table1.models_to_target(df, {1: float(target)})
    exact = expected_reach(table, target, budget)
    reached = hits["reached"].to_numpy(bool)
    se_frac = math.sqrt(exact["reached_frac"] * (1 - exact["reached_frac"]) / n)
    assert abs(reached.mean() - exact["reached_frac"]) < 4 * se_frac
    t = hits.loc[reached, "models"].to_numpy(float)
    assert abs(t.mean() - exact["mean_models_reached"]) < 4 * t.std(ddof=1) / math.sqrt(len(t))


def test_report_random_search_rows_agree_with_the_exact_expectation():
    t1 = pd.read_csv(REPORT / "table1.csv")
    rows = t1[(t1.algorithm == "random") & (t1.M == 1)]
    assert len(rows) >= 18  # one per PNAS arm's target
    table = runs()
    for r in rows.itertuples():
        exact = expected_reach(table, r.target, int(r.budget))
        frac_se = math.sqrt(max(exact["reached_frac"] * (1 - exact["reached_frac"]), 1e-4) / r.runs)
        assert abs(r.reached_frac - exact["reached_frac"]) < 4 * frac_se, r
        if r.reached >= 5:
            se = (r.mean_hi - r.mean_lo) / 3.92
            assert abs(r.mean_models_reached - exact["mean_models_reached"]) < 4 * se + 1, r


def test_compare_report_scores_arms_at_pnas_cost_and_renders_again_from_trajectories(tmp_path):
    from click.testing import CliRunner

    from nasbench.cli import main

    pnas = 'pnas[Bmax=2,K=4,surrogate=xgboost,surrogate_params={"min_child_weight":1}]'
    args = ["search", "compare", "-t", str(CLOSED), "--algorithms", f"{pnas},random", "--n-seeds", "4",
            "--budget-models", "60", "--seed-policy", "random", "--miss", "error", "--workers", "1",
            "-o", str(tmp_path)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    readme = (tmp_path / "README.md").read_text()
    at = pd.read_csv(tmp_path / "selected_at_pnas_cost.csv")
    assert set(at["algorithm"]) == {"random"} and set(at["models"]) == {25}  # 21 B1 cells + K=4
    assert "### At PNAS's cost" in readme and "### Random search against its exact law" in readme
    # random's cell after 25 models is its best val among its first 25 answers
    traj = pd.read_parquet(tmp_path / "trajectories.parquet")
    first = traj[(traj.algorithm == "random") & (traj["index"] <= 25)]
    assert at["heldout_runs"].iloc[0] == first.seed.nunique() == 4

    (tmp_path / "README.md").unlink()
    res = CliRunner().invoke(main, args + ["--report-only"])
    assert res.exit_code == 0, res.output
    again = (tmp_path / "README.md").read_text()
    assert again == readme and "--report-only" not in again
    res = CliRunner().invoke(main, [*args[:5], f"{pnas},random,rl", *args[6:], "--report-only"])
    assert res.exit_code == 2 and "holds no runs of rl" in res.output
    res = CliRunner().invoke(main, [*args[:-1], str(tmp_path / "none"), "--report-only"])
    assert res.exit_code == 2 and "holds no trajectories.parquet" in res.output
    assert not (tmp_path / "none").exists()
