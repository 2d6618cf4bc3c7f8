"""Regression tests of the review's bugs (issue 19): each failed before its fix."""
from __future__ import annotations

import numpy as np
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
