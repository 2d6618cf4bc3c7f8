"""``xgboost``: gradient-boosted trees on fixed-length cell features (``encode_features``).

Defaults are the NAS-Bench-301 XGB surrogate's hyper-parameters (Siems, Zimmer, Zela et al.,
"NAS-Bench-301 and the Case for Surrogate Benchmarks for NAS"), taken from the defaults of
``surrogate_models/configs/model_configs/gradient_boosting/xgb_configspace.json`` in
github.com/automl/nasbench301 (commit 7b86bfc8), fitted there as in
``surrogate_models/gradient_boosting/xgboost.py`` (``reg:squarederror``, ``rmse``, early
stopping on a validation split):

====================  =====================
num_rounds            20000
early_stopping_rounds 100
booster               gbtree
max_depth             13
min_child_weight      39
colsample_bytree      0.2545374925231651
colsample_bylevel     0.6909224923784677
lambda                31.393252465064943
alpha                 0.24167936088332426
learning_rate         0.008237525103357958
====================  =====================

NAS-Bench-301 tuned these on ~50k architectures: with ``min_child_weight=39`` a tree cannot
split with fewer than ~80 training rows, so on tiny training sets the model is (close to) a
constant; pass a smaller ``min_child_weight`` for small-data use. Early stopping holds out
``val_fraction`` (10%) of the training rows, chosen by ``random_state``.

``n_jobs=1`` by default: results do not depend on the thread count, and on a shared 2-core
machine two OpenMP threads ran ~10x slower than one (5,000 rows: 55 s vs 4.5 s); ``None``
uses every core.
"""
from __future__ import annotations

import warnings

import numpy as np

from nasbench.predictors.base import Predictor
from nasbench.predictors.encoding import DEFAULT_MAX_BLOCKS, encode_features

#: The NAS-Bench-301 XGB defaults (see the module docstring for the source).
NB301_XGB_DEFAULTS = {
    "num_rounds": 20000,
    "early_stopping_rounds": 100,
    "max_depth": 13,
    "min_child_weight": 39,
    "colsample_bytree": 0.2545374925231651,
    "colsample_bylevel": 0.6909224923784677,
    "reg_lambda": 31.393252465064943,
    "reg_alpha": 0.24167936088332426,
    "learning_rate": 0.008237525103357958,
}


class XGBoostPredictor(Predictor):
    """XGBoost regressor with NAS-Bench-301 defaults; see the module docstring."""

    name = "xgboost"

    def __init__(self, num_rounds: int = 20000, early_stopping_rounds: int = 100,
                 max_depth: int = 13, min_child_weight: float = 39,
                 colsample_bytree: float = 0.2545374925231651,
                 colsample_bylevel: float = 0.6909224923784677,
                 reg_lambda: float = 31.393252465064943, reg_alpha: float = 0.24167936088332426,
                 learning_rate: float = 0.008237525103357958, val_fraction: float = 0.1,
                 max_blocks: int = DEFAULT_MAX_BLOCKS, tree_method: str = "hist",
                 n_jobs: int | None = 1, random_state: int = 0):
        self.num_rounds = num_rounds
        self.early_stopping_rounds = early_stopping_rounds
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.colsample_bytree = colsample_bytree
        self.colsample_bylevel = colsample_bylevel
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.learning_rate = learning_rate
        self.val_fraction = val_fraction
        self.max_blocks = max_blocks
        self.tree_method = tree_method
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _booster_params(self) -> dict:
        params = {
            "objective": "reg:squarederror", "eval_metric": "rmse", "booster": "gbtree",
            "max_depth": int(self.max_depth), "min_child_weight": float(self.min_child_weight),
            "colsample_bytree": float(self.colsample_bytree),
            "colsample_bylevel": float(self.colsample_bylevel),
            "lambda": float(self.reg_lambda), "alpha": float(self.reg_alpha),
            "learning_rate": float(self.learning_rate), "tree_method": self.tree_method,
            "seed": int(self.random_state), "verbosity": 0,
        }
        if self.n_jobs is not None:
            params["nthread"] = int(self.n_jobs)
        return params

    def _split(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if n < 2:
            raise ValueError("xgboost needs at least 2 training rows (one is held out for early stopping)")
        n_val = min(n - 1, max(1, int(round(self.val_fraction * n))))
        order = np.random.default_rng(self.random_state).permutation(n)
        return order[n_val:], order[:n_val]

    def _fit(self, cells, y):
        import xgboost as xgb

        X = encode_features(cells, self.max_blocks)
        train, val = self._split(len(y))
        if len(train) < 2 * self.min_child_weight:
            warnings.warn(f"xgboost: {len(train)} training rows < 2 x min_child_weight "
                          f"({self.min_child_weight}); trees can hardly split", stacklevel=3)
        dtrain = xgb.DMatrix(X[train], label=y[train])
        dval = xgb.DMatrix(X[val], label=y[val])
        booster = xgb.train(self._booster_params(), dtrain, num_boost_round=int(self.num_rounds),
                            evals=[(dval, "val")], early_stopping_rounds=int(self.early_stopping_rounds),
                            verbose_eval=False)
        self._booster = booster
        self._n_trees = int(getattr(booster, "best_iteration", booster.num_boosted_rounds() - 1)) + 1

    def _predict(self, cells):
        import xgboost as xgb

        X = encode_features(cells, self.max_blocks)
        return self._booster.predict(xgb.DMatrix(X), iteration_range=(0, self._n_trees))

    @property
    def n_trees_(self) -> int:
        """Trees used at prediction time (the early-stopping best iteration + 1)."""
        self._check_fitted()
        return self._n_trees

    def _get_state(self):
        raw = self._booster.save_raw(raw_format="ubj")
        return {"booster": np.frombuffer(bytes(raw), dtype=np.uint8), "n_trees": np.array(self._n_trees)}

    def _set_state(self, state):
        import xgboost as xgb

        booster = xgb.Booster()
        booster.load_model(bytearray(np.asarray(state["booster"], dtype=np.uint8).tobytes()))
        self._booster = booster
        self._n_trees = int(state["n_trees"])
