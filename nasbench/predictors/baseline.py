"""``params``: the complexity baseline — rank architectures by their parameter count.

The parameter count of a cell is not computable from the cell alone here (it needs the macro
net), so the values come from outside: a mapping ``arch_hash (or canonical string) → value``
(e.g. the table's ``params`` column) or a callable ``Cell → value``. ``fit`` regresses the
target linearly on ``log10(value)`` (``log=True``) so predictions are on the target's scale;
ranks equal the complexity ranks whenever the fitted slope is positive. Used in evaluation to
answer "does the predictor beat ranking by size?".
"""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from nasbench.predictors.base import Predictor
from nasbench.space.cell import Cell


class ParamsBaseline(Predictor):
    """Linear fit of the target on a given complexity value; see the module docstring."""

    name = "params"

    def __init__(self, complexity: Mapping[str, float] | Callable[[Cell], float] | None = None,
                 log: bool = True):
        self.complexity = complexity
        self.log = log

    def _values(self, cells: list[Cell]) -> np.ndarray:
        source = self.complexity
        if source is None:
            raise ValueError("the params baseline needs complexity=<mapping arch_hash -> params, or a callable>")
        out = np.empty(len(cells))
        for i, cell in enumerate(cells):
            if callable(source):
                out[i] = float(source(cell))
                continue
            value = source.get(cell.arch_hash, source.get(cell.canonical_string))
            if value is None:
                raise ValueError(f"no complexity value for arch {cell.canonical_string} ({cell.arch_hash})")
            out[i] = float(value)
        if self.log:
            if np.any(out <= 0):
                raise ValueError("complexity values must be > 0 with log=True")
            out = np.log10(out)
        return out

    def _fit(self, cells, y):
        x = self._values(cells)
        if np.ptp(x) > 0:
            slope, intercept = np.polyfit(x, y, 1)
        else:
            slope, intercept = 0.0, float(np.mean(y))
        self._coef = np.array([slope, intercept], dtype=np.float64)

    def _predict(self, cells):
        return self._coef[0] * self._values(cells) + self._coef[1]

    def _get_state(self):
        return {"coef": self._coef}

    def _set_state(self, state):
        self._coef = np.asarray(state["coef"], dtype=np.float64)
