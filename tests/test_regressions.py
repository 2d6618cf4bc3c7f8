"""Regression tests of the review's bugs (issue 19): each failed before its fix."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nasbench.space import get_space


@pytest.mark.parametrize("b", [1, 3, 5])
def test_evolution_mutation_is_an_op_or_an_input_edit_with_equal_probability(b):
    """Real et al.: op edit or input edit with probability 1/2 each. An op edit changes the
    multiset of ops, an input edit keeps it, so the child tells which kind it was."""
    from nasbench.search.evolution import mutate

    space = get_space("pnas")
    rng = np.random.default_rng(b)
    parents = space.sample(b, 40, seed=b)
    n, ops_changed = 0, 0
    for parent in parents:
        for _ in range(100):
            child = mutate(parent, rng)
            assert child != parent and child.num_blocks == b
            ops_changed += sorted(parent.ops()) != sorted(child.ops())
            n += 1
    # 4000 draws: sd 0.008; the old uniform-over-edits rule gave 0.88 / 0.75 / 0.61
    assert abs(ops_changed / n - 0.5) < 0.035, (b, ops_changed / n)


def test_pnas_space_draws():
    space = get_space("pnas")
    rng = np.random.default_rng(0)
    cells = [space.draw(3, rng) for _ in range(5)]
    assert all(c.num_blocks == 3 and c == c.canonical() for c in cells)
    assert space.draw(3, np.random.default_rng(1)) == space.draw(3, np.random.default_rng(1))


TINY_PREDICTORS = {
    "lstm": dict(embed_dim=8, hidden_size=8, epochs=2),
    "mlp_ensemble": dict(n_members=2, embed_dim=8, hidden_sizes=(8,), epochs=2),
    "xgboost": dict(num_rounds=5, early_stopping_rounds=2, min_child_weight=1),
}
ALL_SPACES = ["pnas", "nasnet", "amoeba", "enas", "darts", "vanilla", "resnet", "resnext_a", "resnext_b"]


@pytest.mark.parametrize("space_name", ALL_SPACES)
def test_a_loaded_predictor_keeps_its_space(space_name, tmp_path):
    """Saved and loaded, every predictor still refuses another space's genotypes (a loaded
    LSTM used to score them silently, a loaded XGBoost raised a raw XGBoostError)."""
    from nasbench.predictors import create_predictor, load_predictor

    space = get_space(space_name)
    b = space.default_sizes[0]
    archs = space.sample(b, 24, seed=0)
    y = np.random.default_rng(0).uniform(0.5, 0.9, len(archs))
    foreign = get_space("amoeba" if space_name == "pnas" else "pnas").sample(1, 2, seed=1)
    for name, hparams in TINY_PREDICTORS.items():
        model = create_predictor(name, **hparams).fit(archs, y)
        path = tmp_path / f"{name}.npz"
        model.save(path)
        loaded = load_predictor(path)
        np.testing.assert_array_equal(loaded.predict(archs[:5]), model.predict(archs[:5]))
        for predictor in (model, loaded):
            with pytest.raises(ValueError, match=f"fitted on space '{space_name}'"):
                predictor.predict(foreign)


@pytest.mark.parametrize("device, unit", [("cpu", "CPU-hours"), ("NVIDIA H200", "GPU-hours")])
def test_search_report_clock_names_the_device_that_trained_the_table(tmp_path, device, unit):
    """The report's clock axis used to say "GPU-hours" for seconds measured on a 2-core CPU."""
    from table_factory import make_rows, write_table, PROTOCOL

    from nasbench.search import Budget, harness

    runs, curves = make_rows(failed=0, diverged=0)
    table = write_table(tmp_path / "t", [dict(r, device=device) for r in runs], curves, PROTOCOL, {})
    readme = harness.compare(table, ["random"], 2, Budget(models=5), tmp_path / "cmp", workers=1)
    text = readme.read_text()
    assert f"simulated {unit} ({device})" in text and f"| {unit} to target" in text
    assert ("GPU" in text) == (unit == "GPU-hours")


def test_every_per_arch_mean_follows_the_one_seed_rule(tmp_path):
    """query(seed=None), arch_means, the Oracle, replay, predictor data and analysis give the
    same number per arch (nasbench.tables.seeds): ok seeds, else all seeds; NaN archs (only
    failed runs) are dropped by the callers that need a number."""
    from table_factory import PROTOCOL, make_rows, write_table

    from nasbench.analysis.data import load_runs
    from nasbench.predictors.data import aggregate_runs, read_runs
    from nasbench.search import ReplayEvaluator
    from nasbench.tables import Benchmark, Oracle

    # arch 0: only failed seeds; arch 1: only diverged; arch 2: one diverged, two ok
    runs, curves = make_rows(failed=3, diverged=4)
    table = write_table(tmp_path / "t", runs, curves, PROTOCOL, {})
    bench = Benchmark.open(table)
    means = bench.arch_means(("val_acc",))
    by_hash = dict(zip(bench.arrow_runs.column("arch_hash").to_numpy(zero_copy_only=False)[means["rows"]],
                       means["val_acc"]))
    predictor = aggregate_runs(read_runs(table), "val_acc").set_index("arch_hash")["val_acc"]
    analysis = load_runs(table).set_index("arch_hash")["val_acc"]
    replay, oracle = ReplayEvaluator(table), Oracle(table)
    frame = pd.DataFrame(runs)
    kinds = set()
    for h, rows in frame.groupby("arch_hash"):
        ok = rows[rows.status == "ok"]
        want = (ok if len(ok) else rows).val_acc.mean()
        kinds.add("ok" if len(ok) else rows.status.iloc[0])
        got = [bench.query(h)["val_acc"], by_hash[h], oracle.evaluate(h).val_acc, replay.evaluate(h).val_acc]
        np.testing.assert_allclose(got, [want] * 4, rtol=0, atol=1e-12, err_msg=h)
        if np.isnan(want):
            assert h not in predictor.index and h not in analysis.index
        else:
            assert predictor[h] == pytest.approx(want, abs=1e-12) and analysis[h] == pytest.approx(want, abs=1e-12)
    assert kinds == {"ok", "failed", "diverged"}


def test_train_leaves_no_global_state_behind():
    """A live search trains in the caller's process: its thread count and RNG stay its own."""
    import torch

    from builder_helpers import tiny_protocol
    from nasbench.builder.train import train

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        torch.manual_seed(123)
        expected = torch.rand(3)
        torch.manual_seed(123)
        result = train("sep_conv_3x3@0+max_pool_3x3@1", tiny_protocol(), seed=5)
        assert result.run["status"] == "ok"
        assert torch.get_num_threads() == 2
        assert torch.equal(torch.rand(3), expected)
    finally:
        torch.set_num_threads(threads)


def test_search_plots_keep_the_callers_matplotlib_backend(tmp_path):
    import subprocess
    import sys

    code = ("import matplotlib, pandas as pd; matplotlib.use('svg');"
            "from nasbench.search.plots import plot_anytime;"
            "c = pd.DataFrame({'algorithm': ['a', 'a'], 'models': [1, 2], 'mean': [.5, .6], 'lo': [.4, .5],"
            " 'hi': [.6, .7], 'n': [3, 3]});"
            f"plot_anytime(c, 'models', 'models', {str(tmp_path / 'p.png')!r});"
            "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "svg" and (tmp_path / "p.png").stat().st_size > 1000
