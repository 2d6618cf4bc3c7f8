"""nasbench.analysis: EDFs, normalization, KS, random search, sampling, Pareto, report, CLI."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import ks_2samp

from nasbench.analysis import (EDF, complexity_weights, edf_on_grid, errors_of, expected_min,
                               ks_matrix, ks_statistic, ks_test, load_runs, min_error_moments,
                               pareto_front, point_estimate_trap, sample_size_curve,
                               simulate_min, split_groups, write_report)
from nasbench.analysis.pareto import best_at_most
from nasbench.cli.analyze import analyze


# ---------------------------------------------------------------- fixtures

def _write_table(folder, n_per_b=(40, 60, 3), seeds=2, seed=0):
    """A small synthetic runs.parquet (DESIGN.md schema); B=3 has too few models."""
    rng = np.random.default_rng(seed)
    rows = []
    for b, n in enumerate(n_per_b, start=1):
        for i in range(n):
            params = float(rng.uniform(1e5, 4e5) * b)
            flops = params * 30
            for s in range(seeds):
                acc = 0.7 + 0.05 * np.log(params / 1e5) + rng.normal(0, 0.01)
                rows.append(dict(
                    arch=f"cell{b}_{i}", arch_hash=f"{b:02d}{i:014x}", space="pnas",
                    num_blocks=b, dataset="digits", protocol_hash="p" * 16, seed=s, epochs=10,
                    params=params, flops=flops, train_acc=acc + 0.05, val_acc=acc,
                    test_acc=acc, train_loss=0.1, val_loss=0.2, test_loss=0.2,
                    best_val_acc=acc, best_val_epoch=9, train_seconds=1.0, eval_seconds=0.1,
                    device="cpu", status="ok", error=None))
    rows.append({**rows[0], "seed": 99, "test_acc": 0.0, "status": "diverged", "error": "nan"})
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(folder / "runs.parquet", index=False)
    return folder


@pytest.fixture
def table(tmp_path):
    return _write_table(tmp_path / "tbl")


def _confounded(seed, n=1500, shift=0.0):
    """Two spaces, same error-given-complexity, opposite complexity distributions."""
    rng = np.random.default_rng(seed)
    xa, xb = rng.random(n) ** 2, 1 - rng.random(n) ** 2
    f = lambda x: 0.3 - 0.15 * x  # noqa: E731
    ea = f(xa) + rng.normal(0, 0.02, n)
    eb = f(xb) + shift + rng.normal(0, 0.02, n)
    return np.r_[xa, xb], np.r_[ea, eb], np.array(["A"] * n + ["B"] * n)


# ---------------------------------------------------------------- EDF and KS

@pytest.mark.parametrize("seed", range(6))
def test_ks_statistic_matches_scipy_with_ties(seed):
    rng = np.random.default_rng(seed)
    a = np.round(rng.normal(0.2, 0.05, 40 + seed * 7), 2)  # rounding makes ties
    b = np.round(rng.normal(0.21, 0.05, 55), 2)
    assert ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)
    res = ks_test(a, b)
    assert res.method == "ks_2samp"
    assert res.pvalue == pytest.approx(ks_2samp(a, b).pvalue)


def test_weighted_edf_with_equal_weights_is_unweighted():
    rng = np.random.default_rng(1)
    e = np.round(rng.random(200), 2)
    grid = np.linspace(-0.1, 1.1, 301)
    direct = (e[None, :] < grid[:, None]).mean(axis=1)
    np.testing.assert_allclose(edf_on_grid(e, grid), direct, atol=1e-12)
    np.testing.assert_allclose(edf_on_grid(e, grid, np.full(e.size, 3.7)), direct, atol=1e-12)
    b = rng.random(150)
    assert ks_statistic(e, b, np.full(200, 2.0), np.full(150, 0.5)) == pytest.approx(
        ks_statistic(e, b), abs=1e-12)


def test_weighted_edf_hand_example():
    d = EDF.from_samples([0.3, 0.1, 0.2, 0.1], [1, 1, 2, 0])
    np.testing.assert_allclose(d.values, [0.1, 0.2, 0.3])
    np.testing.assert_allclose(d.mass, [0.25, 0.5, 0.25])
    assert d.n == 3
    np.testing.assert_allclose(d([0.1, 0.15, 0.2, 0.31]), [0, 0.25, 0.25, 1.0])  # strict <
    np.testing.assert_allclose(d.cdf([0.1, 0.2]), [0.25, 0.75])
    np.testing.assert_allclose(d.survival, [1.0, 0.75, 0.25])
    assert d.quantile(0.5) == 0.2


def test_normalization_removes_complexity_confound():
    c, e, lab = _confounded(seed=3)
    a, b = lab == "A", lab == "B"
    assert ks_test(e[a], e[b]).pvalue < 0.01  # raw EDFs differ: complexity confound
    norm = complexity_weights(c, lab, bins=20)
    w, k = norm.weights, norm.bin_index
    res = ks_test(e[a], e[b], w[a], w[b], k[a], k[b], n_permutations=500, rng=0)
    assert res.method == "permutation" and res.pvalue > 0.05
    # ... while a real difference in error-given-complexity is still detected (power)
    c, e, lab = _confounded(seed=3, shift=0.01)
    norm = complexity_weights(c, lab, bins=20)
    pairs = ks_matrix(e, lab, norm.weights, norm.bin_index, n_permutations=500, rng=0)
    assert pairs.loc[0, "pvalue"] < 0.01


def test_normalization_weights_and_range():
    rng = np.random.default_rng(0)
    c = np.r_[rng.uniform(1, 10, 300), rng.uniform(2, 20, 200)]
    lab = np.array(["x"] * 300 + ["y"] * 200)
    for scale in ("linear", "log"):
        n = complexity_weights(c, lab, bins=4, scale=scale)
        np.testing.assert_allclose(n.edges[[0, -1]], [c[300:].min(), c[:300].max()])
        out = (c < n.edges[0]) | (c > n.edges[-1])
        assert n.n_out_of_range == out.sum() and np.all(n.weights[out] == 0)
        for s in ("x", "y"):
            m = lab == s
            assert n.weights[m].sum() == pytest.approx(1.0)
            per_bin = np.bincount(n.bin_index[m & ~out], weights=n.weights[m & ~out])
            np.testing.assert_allclose(per_bin, 0.25)


def test_empty_bin_raises_or_drops():
    c = np.array([1, 2, 9, 10, 1, 1.5, 9.5, 10], dtype=float)
    lab = np.array(["a"] * 4 + ["b"] * 4)
    with pytest.raises(ValueError, match=r"complexity bin 1 .* space 'a'") as exc:
        complexity_weights(c, lab, bins=3)
    assert "\n" not in str(exc.value)
    n = complexity_weights(c, lab, bins=3, empty="drop")
    assert n.dropped_bins == (1,)
    assert n.weights[lab == "a"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="do not overlap"):
        complexity_weights([1, 2, 5, 6], ["a", "a", "b", "b"])


# ---------------------------------------------------------------- random search, sampling

def test_expected_min_hand_example_and_ties():
    assert expected_min([0.1, 0.2], 2) == pytest.approx(0.1 * 0.75 + 0.2 * 0.25)
    assert expected_min([0.1, 0.2, 0.2], 1, [1, 1, 2]) == pytest.approx((0.1 + 0.6) / 4)
    np.testing.assert_allclose(expected_min([0.3, 0.3, 0.3], [1, 5]), [0.3, 0.3])


def test_expected_min_matches_simulation():
    rng = np.random.default_rng(7)
    e = np.round(rng.gamma(3.0, 0.03, 500), 3)  # ties included
    w = rng.random(500)
    for n in (1, 5, 40):
        mean, std = min_error_moments(e, [n], w)
        sim = simulate_min(e, [n], w, n_trials=100_000, rng=n)
        se = std[0] / np.sqrt(100_000)
        assert abs(sim["mean"][0] - mean[0]) < 3 * se
        assert sim["std"][0] == pytest.approx(std[0], rel=0.02)


def test_sample_size_and_point_estimate_trap():
    e = np.random.default_rng(0).normal(0.1, 0.02, 3000)
    curve = sample_size_curve(e, sizes=[10, 100, 1000], n_repeats=10, rng=0)
    assert curve["mean"].is_monotonic_decreasing and curve["mean"].iloc[-1] < 0.1
    trap = point_estimate_trap(e, 100, 1000, n_trials=300, rng=0)
    assert trap.large_wins > 0.8  # the paper: ~90%
    assert 0.3 < np.median(trap.pvalues) < 0.8  # same distribution: p roughly uniform
    with pytest.raises(ValueError, match="disjoint"):
        point_estimate_trap(e[:500], 100, 1000)


def test_pareto_front_hand_example():
    c = [1, 2, 2, 3, 4, 5, 4]
    e = [5, 4, 3, 3, 1, 2, 1]
    np.testing.assert_array_equal(pareto_front(c, e), [0, 2, 4])
    np.testing.assert_allclose(best_at_most(c, e, [0.5, 1, 2.5, 10]), [np.nan, 5, 3, 1])


# ---------------------------------------------------------------- tables and report

def test_load_runs_averages_seeds_and_filters_status(table):
    df = load_runs(table)
    assert len(df) == 103 and set(df["n_seeds"]) == {2}
    raw = pd.read_parquet(table / "runs.parquet")
    ok = raw[raw.status == "ok"]
    one = ok[ok.arch_hash == df.arch_hash[0]]
    assert df.test_acc[0] == pytest.approx(one.test_acc.mean())
    g = split_groups(df, "num_blocks", "test_acc", min_models=5)
    assert g.order == ("B=1", "B=2") and g.skipped == {"B=3": 3}


def test_report_writes_markdown_figures_and_numbers(table, tmp_path):
    out = tmp_path / "report"
    readme = write_report(table, out, n_permutations=100, n_trials=200, rng=0)
    text = readme.read_text()
    for name in ("edf_raw", "edf_normalized", "random_search_raw", "random_search_normalized",
                 "sample_size", "point_estimate_trap", "pareto"):
        assert (out / f"{name}.png").stat().st_size > 0 and (out / f"{name}.svg").exists()
        assert f"({name}.png)" in text
    assert "B=3 (n=3)" in text and "| D (p) | B=1 | B=2 |" in text
    res = json.loads((out / "results.json").read_text())
    assert res["groups"]["B=2"]["n"] == 60 and len(res["ks"]) == 2
    assert {"raw", "normalized"} == set(pd.read_parquet(out / "ks.parquet")["weighting"])
    assert len(pd.read_parquet(out / "models.parquet")) == 100


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, match", [
    (lambda: EDF.from_samples([]), "empty"),
    (lambda: EDF.from_samples([0.1, 0.2], [0, 0]), "sum to 0"),
    (lambda: ks_statistic([0.1], [0.2], None, [-1]), "non-negative"),
    (lambda: errors_of(pd.DataFrame({"test_acc": [0.5]}), "top5_acc"), "no column 'top5_acc'"),
    (lambda: complexity_weights([1.0, 2.0], ["a", "b", "c"]), "shape"),
    (lambda: expected_min([0.1], 0), "positive"),
])
def test_bad_input_raises_one_line_value_error(call, match):
    with pytest.raises(ValueError, match=match) as exc:
        call()
    assert "\n" not in str(exc.value)


def test_load_runs_empty_selection(table):
    with pytest.raises(ValueError, match="no runs with status 'failed'"):
        load_runs(table, status="failed")


# ---------------------------------------------------------------- CLI

def test_cli_commands(table, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli"
    r = runner.invoke(analyze, ["edf", "--table", str(table), "--normalize", "params",
                                "--bins", "4", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "B=1" in r.output and (out / "edf.svg").exists() and (out / "edf.parquet").exists()
    r = runner.invoke(analyze, ["ks", "--table", str(table), "--normalize", "flops",
                                "--bins", "4", "--permutations", "50"])
    assert r.exit_code == 0, r.output
    assert "permutation" in r.output
    r = runner.invoke(analyze, ["random-search", "--table", str(table), "--trials", "50",
                                "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "random_search.png").exists()
    notes = tmp_path / "findings.md"
    notes.write_text("**What it shows**: B=2 cells are better.\n")
    from nasbench.cli import main

    r = runner.invoke(main, ["analyze", "report", "--table", str(table), "--out", str(out / "rep"),
                             "--permutations", "20", "--trials", "50", "--notes", str(notes)])
    assert r.exit_code == 0, r.output
    text = (out / "rep" / "README.md").read_text()
    assert text.index("**What it shows**: B=2 cells are better.") < text.index("## Error EDF")
    last = text.rstrip().split("## Regenerate")[-1].strip().strip("`").strip()  # the report's end
    assert last == (f"nasbench analyze report --table {table} --out {out / 'rep'} "
                    f"--permutations 20 --trials 50 --notes {notes}")


@pytest.mark.parametrize("args, match", [
    (["edf", "--metric", "top5_acc"], "no column 'top5_acc'"),
    (["edf", "--normalize", "params", "--bins", "400"], "has no models of space"),
    (["ks", "--group-by", "dataset"], "at least two groups"),
    (["edf", "--group-by", "nope"], "missing column"),
])
def test_cli_errors_are_one_line_exit_2(table, args, match):
    r = CliRunner().invoke(analyze, args + ["--table", str(table)])
    assert r.exit_code == 2
    errors = [line for line in r.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and errors[0] == r.output.strip().splitlines()[-1]  # notes may precede
    assert errors[0].startswith("Error: ") and match in errors[0]


def test_cli_missing_table(tmp_path):
    r = CliRunner().invoke(analyze, ["edf", "--table", str(tmp_path / "none")])
    assert r.exit_code == 2 and r.output.strip().startswith("Error: no runs.parquet")
