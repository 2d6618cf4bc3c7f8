"""Performance predictors (surrogates) for cells: PNAS LSTM, MLP ensemble, XGBoost, baseline.

All follow the scikit-learn style of :class:`Predictor` (``fit(archs, y)``, ``predict(archs)``,
``save``/``load``) and are looked up by name in :data:`PREDICTORS`. Importing this package
imports neither torch nor xgboost; they load on first fit/predict.
"""
from __future__ import annotations

from nasbench.predictors.base import Predictor, load_predictor
from nasbench.predictors.baseline import ParamsBaseline
from nasbench.predictors.lstm import LSTMPredictor
from nasbench.predictors.mlp import MLPEnsemblePredictor
from nasbench.predictors.xgb import NB301_XGB_DEFAULTS, XGBoostPredictor

#: Registry: name → predictor class. Adding a predictor is one module and one line here.
PREDICTORS: dict[str, type[Predictor]] = {
    LSTMPredictor.name: LSTMPredictor,
    MLPEnsemblePredictor.name: MLPEnsemblePredictor,
    XGBoostPredictor.name: XGBoostPredictor,
    ParamsBaseline.name: ParamsBaseline,
}


def get_predictor_class(name: str) -> type[Predictor]:
    """The predictor class registered under ``name``."""
    try:
        return PREDICTORS[name]
    except KeyError:
        raise ValueError(f"unknown predictor {name!r}; known: {', '.join(sorted(PREDICTORS))}") from None


def create_predictor(name: str, **hparams) -> Predictor:
    """A new, unfitted predictor ``name`` with the given hyper-parameters."""
    cls = get_predictor_class(name)
    unknown = sorted(set(hparams) - set(cls._param_names()))
    if unknown:
        raise ValueError(f"unknown hyper-parameter(s) for {name}: {', '.join(unknown)}; "
                         f"known: {', '.join(cls._param_names())}")
    return cls(**hparams)


__all__ = [
    "LSTMPredictor", "MLPEnsemblePredictor", "NB301_XGB_DEFAULTS", "PREDICTORS", "ParamsBaseline",
    "Predictor", "XGBoostPredictor", "create_predictor", "get_predictor_class", "load_predictor",
]
