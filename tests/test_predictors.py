"""Predictors: metrics, encodings, real learning on a synthetic target, persistence, bad input.

The synthetic target is a known function of the ops (a distinct weight per op, summed over the
cell, plus small noise), so a predictor that learns the op effects ranks held-out cells well.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nasbench.predictors import (PREDICTORS, LSTMPredictor, MLPEnsemblePredictor, ParamsBaseline,
                                 XGBoostPredictor, create_predictor, load_predictor)
from nasbench.predictors import metrics
from nasbench.predictors.encoding import (VOCAB_SIZE, as_cells, encode_features, encode_tokens,
                                          feature_names, graph_stats)
from nasbench.space import Cell, pnas

#: One weight per op code (index into OPS_SORTED); sep convs help most.
OP_WEIGHT = np.array([0.004, 0.017, 0.021, 0.0, 0.007, 0.030, 0.037, 0.043])
FAST = {"lstm": dict(epochs=20, batch_size=64), "mlp_ensemble": dict(epochs=20, batch_size=64),
        "xgboost": dict(n_jobs=1)}


def synthetic_target(cells, rng, noise=0.0005):
    ops = [[op for block in c.canonical_blocks for op, _ in block] for c in cells]
    return np.array([0.6 + OP_WEIGHT[o].sum() for o in ops]) + rng.normal(0, noise, len(cells))


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_thread):
    """Every test here runs torch on one thread (shared fixture in conftest.py)."""


@pytest.fixture(scope="module")
def dataset():
    cells = pnas.sample(3, 1900, seed=11)
    y = synthetic_target(cells, np.random.default_rng(0))
    return cells[:1600], y[:1600], cells[1600:], y[1600:]


@pytest.fixture(scope="module")
def fitted(dataset):
    train_cells, train_y, _, _ = dataset
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = create_predictor(name, **FAST[name]).fit(train_cells, train_y)
        return cache[name]

    return get


# ---------------------------------------------------------------------- metrics
def test_metrics_equal_scipy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=50)
    b = a + rng.normal(scale=0.5, size=50)
    b[:5] = b[5]  # ties
    assert metrics.kendall_tau(a, b) == pytest.approx(stats.kendalltau(a, b)[0])
    assert metrics.spearman(a, b) == pytest.approx(stats.spearmanr(a, b)[0])
    ss_res, ss_tot = np.sum((a - b) ** 2), np.sum((a - a.mean()) ** 2)
    assert metrics.r2(a, b) == pytest.approx(1 - ss_res / ss_tot)
    assert np.isnan(metrics.kendall_tau(a, np.ones(50)))  # constant prediction


def test_sparse_kendall_tau_and_precision_by_hand():
    y_true = [0.9001, 0.9004, 0.95]
    y_pred = [0.9002, 0.9001, 0.95]
    assert metrics.kendall_tau(y_true, y_pred) == pytest.approx(1 / 3)
    # rounded to 0.001 the first two predictions tie: tau-b = 2 / sqrt(3 * 2)
    assert metrics.sparse_kendall_tau(y_true, y_pred) == pytest.approx(2 / np.sqrt(6))
    assert metrics.precision_at_k([5, 4, 3, 2, 1], [1, 4, 3, 2, 5], k=2) == 0.5
    assert metrics.precision_at_k([5, 4, 3, 2, 1], [5, 4, 3, 2, 1], k=3) == 1.0
    assert metrics.coverage([1.0, 2.0, 3.0], [1.1, 2.5, 3.0], [0.2, 0.2, 0.0]) == pytest.approx(2 / 3)
    assert metrics.expected_coverage(1.0) == pytest.approx(0.6827, abs=1e-4)
    with pytest.raises(ValueError, match="k must be"):
        metrics.precision_at_k([1, 2], [1, 2], k=3)
    with pytest.raises(ValueError, match="y_pred has"):
        metrics.kendall_tau([1, 2, 3], [1, 2])


# ---------------------------------------------------------------------- encodings
def test_token_and_feature_encodings():
    cell = Cell.parse("sep3@0+max3@1,id@2+sep5@0")
    tokens, lengths = encode_tokens([cell, Cell.parse("id@0+id@1")])
    assert tokens.shape == (2, 2, 4) and lengths.tolist() == [2, 1]
    assert tokens[1, 1].tolist() == [0, 0, 0, 0]  # padding
    assert tokens.max() < VOCAB_SIZE and tokens[0].min() > 0
    feats = encode_features([cell])
    assert feats.shape == (1, len(feature_names()))
    row = dict(zip(feature_names(), feats[0]))
    assert row["num_blocks"] == 2 and row["count_sep_conv_3x3"] == 1 and row["count_identity"] == 1
    assert graph_stats(cell) == (2, 2, 1, 1)  # depth 2, input0 read twice, input1 once, 1 unused
    assert row["longest_path"] == 2
    six = pnas.sample(5, 1, seed=0)[0].canonical_blocks + (((0, 0), (0, 1)),)
    with pytest.raises(ValueError, match="at most 5"):
        encode_features([Cell(six)])
    assert encode_features([Cell(six)], max_blocks=6).shape[1] == len(feature_names(6))


# ---------------------------------------------------------------------- learning
@pytest.mark.parametrize("name", ["lstm", "mlp_ensemble", "xgboost"])
def test_predictor_learns_op_effects(name, fitted, dataset):
    _, _, test_cells, test_y = dataset
    tau = metrics.kendall_tau(test_y, fitted(name).predict(test_cells))
    assert tau >= 0.9, f"{name}: Kendall tau {tau:.3f}"


@pytest.mark.parametrize("name", ["lstm", "mlp_ensemble", "xgboost"])
def test_save_load_identical(name, fitted, dataset, tmp_path):
    _, _, test_cells, _ = dataset
    model = fitted(name)
    path = tmp_path / f"{name}.model"
    model.save(path)
    loaded = load_predictor(path)
    assert type(loaded) is type(model) and loaded.get_params() == {
        k: list(v) if isinstance(v, tuple) else v for k, v in model.get_params().items()}
    np.testing.assert_array_equal(loaded.predict(test_cells), model.predict(test_cells))
    assert type(model).load(path).is_fitted
    other = LSTMPredictor if name != "lstm" else XGBoostPredictor
    with pytest.raises(ValueError, match="not a"):
        other.load(path)


def test_neural_predictors_deterministic():
    cells = pnas.sample(2, 120, seed=3)
    y = synthetic_target(cells, np.random.default_rng(1))
    for cls in (LSTMPredictor, MLPEnsemblePredictor):
        hp = dict(epochs=2, batch_size=32)
        a = cls(random_state=7, **hp).fit(cells, y).predict(cells)
        b = cls(random_state=7, **hp).fit(cells, y).predict(cells)
        c = cls(random_state=8, **hp).fit(cells, y).predict(cells)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("cls", [LSTMPredictor, MLPEnsemblePredictor])
def test_mixed_block_counts_in_one_batch(cls):
    rng = np.random.default_rng(2)
    train = [c for b in (1, 2, 3) for c in pnas.sample(b, 40, seed=b)]
    model = cls(epochs=2, random_state=0).fit(train, synthetic_target(train, rng))
    mixed = [pnas.sample(b, 1, seed=10 + b)[0] for b in (1, 2, 3, 4, 5)]
    together = model.predict(mixed)
    alone = np.array([model.predict([c])[0] for c in mixed])
    assert together.shape == (5,) and np.all(np.isfinite(together))
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)  # padding does not leak


def test_mlp_ensemble_predict_dist(fitted, dataset):
    _, _, test_cells, _ = dataset
    model = fitted("mlp_ensemble")
    mean, std = model.predict_dist(test_cells[:50])
    np.testing.assert_allclose(mean, model.predict(test_cells[:50]))
    assert np.all(std >= 0) and np.any(std > 0)


def test_params_baseline_ranks_by_complexity():
    cells = pnas.sample(2, 60, seed=4)
    params = {c.arch_hash: 1000.0 + 10 * i for i, c in enumerate(cells)}
    y = np.log10(list(params.values())) * 0.1 + 0.5
    model = ParamsBaseline(complexity=params).fit(cells, y)
    np.testing.assert_allclose(model.predict(cells), y, atol=1e-9)
    with pytest.raises(ValueError, match="no complexity value"):
        model.predict(["id@0+id@1"])
    with pytest.raises(ValueError, match="needs complexity"):
        ParamsBaseline().fit(cells, y)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("name", sorted(PREDICTORS))
def test_bad_input_is_one_line_value_error(name):
    cells = pnas.sample(2, 10, seed=5)
    y = np.linspace(0.5, 0.9, 10)
    model = create_predictor(name)
    cases = [
        (lambda: model.predict(cells), "not fitted"),
        (lambda: model.fit(["sep3@0+bogus@1"], [0.5]), "unknown op"),
        (lambda: model.fit([[("skip_connect", 0), ("sep_conv_3x3", 1)]], [0.5]), "unknown op"),
        (lambda: model.fit(["sep3@0+sep3@7"], [0.5]), "not allowed"),
        (lambda: model.fit("sep3@0+sep3@1", [0.5]), "single str"),
        (lambda: model.fit([], []), "empty training set"),
        (lambda: model.fit(cells, np.where(np.arange(10) == 3, np.nan, y)), "NaN"),
        (lambda: model.fit(cells, y[:9]), "10 architectures but 9 targets"),
        (lambda: model.fit(cells, [["a"]] * 10), "numbers|one-dimensional"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message) as info:
            call()
        assert "\n" not in str(info.value)


def test_registry_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown predictor"):
        create_predictor("gnn")
    with pytest.raises(ValueError, match="unknown hyper-parameter"):
        create_predictor("lstm", hidden=5)
    assert as_cells(("id@0+id@1",))[0].num_blocks == 1


def test_load_rejects_other_files(tmp_path):
    bogus = tmp_path / "x.model"
    bogus.write_text("not a model")
    with pytest.raises(ValueError, match="cannot read"):
        load_predictor(bogus)
    with pytest.raises(FileNotFoundError):
        load_predictor(tmp_path / "missing.model")
