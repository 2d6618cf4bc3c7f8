"""The predictor interface: scikit-learn style ``fit``/``predict`` plus ``save``/``load``.

Subclasses take hyper-parameters only in ``__init__`` (stored under the same names) and
implement ``_fit(cells, y)``, ``_predict(cells)``, ``_get_state()`` and ``_set_state()``.
The base class parses and checks inputs so every predictor reports bad input the same way:
one-line ``ValueError``s.

A saved predictor is one ``.npz`` file (no pickle): a JSON header (registry name,
hyper-parameters, format version) plus the fitted state as plain arrays.
"""
from __future__ import annotations

import inspect
import json
import os
import zipfile
from pathlib import Path
from typing import Any, ClassVar, Iterable, Sequence

import numpy as np

from nasbench.predictors.encoding import as_cells
from nasbench.space.cell import Cell

FORMAT = "nasbench.predictor"
FORMAT_VERSION = 1
_META_KEY = "__meta__"


def check_targets(y: Any, n: int, what: str = "y") -> np.ndarray:
    """``y`` as a finite 1-D float array of length ``n`` (n > 0), else a one-line ValueError."""
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {arr.shape}")
    if n == 0 or arr.size == 0:
        raise ValueError("empty training set: need at least one architecture and target")
    if arr.size != n:
        raise ValueError(f"got {n} architectures but {arr.size} targets")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{what} has {bad.size} NaN/inf value(s), first at index {bad[0]}")
    return arr


class Predictor:
    """Base class of all predictors; see the module docstring."""

    #: Registry name, also written into saved files.
    name: ClassVar[str] = ""

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self) -> dict[str, Any]:
        """Hyper-parameters as passed to the constructor."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------------------ fit / predict
    def fit(self, archs: Iterable, y: Sequence[float]) -> "Predictor":
        """Fit on architectures (strings or genotypes, all of one space) and their targets."""
        cells = as_cells(archs)
        targets = check_targets(y, len(cells))
        self._space = cells[0].space if cells else None
        self._fit(cells, targets)
        self._is_fitted = True
        return self

    def predict(self, archs: Iterable) -> np.ndarray:
        """Predicted targets, one float per architecture."""
        self._check_fitted()
        cells = as_cells(archs)
        if not cells:
            return np.empty(0, dtype=np.float64)
        fitted_on = getattr(self, "_space", None)
        if fitted_on is not None and cells[0].space != fitted_on:
            raise ValueError(f"this {type(self).__name__} was fitted on space {fitted_on!r}; "
                             f"got genotypes of space {cells[0].space!r}")
        return np.asarray(self._predict(cells), dtype=np.float64).reshape(len(cells))

    @property
    def is_fitted(self) -> bool:
        return getattr(self, "_is_fitted", False)

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit(archs, y) first")

    # subclass hooks
    def _fit(self, cells: list[Cell], y: np.ndarray) -> None:
        raise NotImplementedError

    def _predict(self, cells: list[Cell]) -> np.ndarray:
        raise NotImplementedError

    def _get_state(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ persistence
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted predictor as named arrays (a JSON header under ``__meta__``)."""
        self._check_fitted()
        params = self.get_params()
        try:
            header = json.dumps({"format": FORMAT, "version": FORMAT_VERSION, "name": self.name,
                                 "params": params, "space": getattr(self, "_space", None)})
        except TypeError as exc:
            raise ValueError(f"cannot save {type(self).__name__}: a hyper-parameter is not JSON ({exc})") from None
        arrays = {f"state/{k}": np.asarray(v) for k, v in self._get_state().items()}
        arrays[_META_KEY] = np.frombuffer(header.encode(), dtype=np.uint8)
        return arrays

    @staticmethod
    def from_arrays(arrays: dict[str, np.ndarray]) -> "Predictor":
        """Rebuild any registered predictor from :meth:`to_arrays` output."""
        if _META_KEY not in arrays:
            raise ValueError("not a saved nasbench predictor (no header)")
        meta = json.loads(bytes(np.asarray(arrays[_META_KEY], dtype=np.uint8)).decode())
        if meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported predictor file format {meta.get('format')!r} v{meta.get('version')}")
        cls = _subclass(meta["name"])
        obj = cls(**meta["params"])
        obj._set_state({k[len("state/"):]: v for k, v in arrays.items() if k.startswith("state/")})
        obj._space = meta.get("space")  # the space guard survives the round trip
        obj._is_fitted = True
        return obj

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted predictor to ``path`` (npz, atomically)."""
        save_arrays(path, self.to_arrays())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Predictor":
        """Load a predictor saved with :meth:`save`; on a subclass, check its type."""
        obj = Predictor.from_arrays(load_arrays(path))
        if cls is not Predictor and not isinstance(obj, cls):
            raise ValueError(f"{path} holds a {type(obj).__name__}, not a {cls.__name__}")
        return obj


def _subclass(name: str) -> type[Predictor]:
    """The predictor class called ``name`` (any loaded subclass: no import of the registry)."""
    todo = list(Predictor.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.name == name:
            return cls
        todo += cls.__subclasses__()
    raise ValueError(f"unknown predictor {name!r} in the saved file")


def save_arrays(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays to an npz file at exactly ``path`` (atomically: temp file + rename)."""
    from nasbench.tables.io import atomic_write

    path = os.path.abspath(os.fspath(path))
    if not os.path.isdir(os.path.dirname(path)):
        raise FileNotFoundError(f"folder does not exist: {os.path.dirname(path)}")
    atomic_write(Path(path), lambda fh: np.savez(fh, **arrays))


def load_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read an npz file written by :func:`save_arrays` (no pickles)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such model file: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"cannot read model file {path}: {' '.join(str(exc).split())}") from None


def load_predictor(path: str | os.PathLike) -> Predictor:
    """Load any saved predictor."""
    return Predictor.load(path)
