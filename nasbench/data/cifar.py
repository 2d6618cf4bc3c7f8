"""CIFAR-10 and CIFAR-100 from the official "python version" pickle batches.

Each batch is a pickled dict: ``data`` is an N x 3072 uint8 array whose rows hold the red,
green and blue 32x32 planes one after another, each row-major; labels are a list of ints
(``labels`` for CIFAR-10, ``fine_labels``/``coarse_labels`` for CIFAR-100; this package
uses the fine labels). Keys are str or bytes depending on the pickling Python; both are
accepted. Unpickling is restricted to the few globals those files need (numpy arrays), so a
foreign pickle cannot run code.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasbench.data.dataset import RawImages
from nasbench.data.paths import require_files

SHAPE = (3, 32, 32)
ROW_LENGTH = 3 * 32 * 32

#: (module, name) pairs an official or re-pickled CIFAR batch may reference.
_ALLOWED_GLOBALS = {
    ("_codecs", "encode"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`_ALLOWED_GLOBALS`."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing global {module}.{name} (not a CIFAR batch)")
        return super().find_class(module, name)


@dataclass(frozen=True)
class CifarLayout:
    """Where one CIFAR variant keeps its files and which keys hold labels and names."""

    subdir: str
    train_files: tuple[str, ...]
    test_file: str
    meta_file: str
    label_key: str
    names_key: str


CIFAR10 = CifarLayout(
    subdir="cifar-10-batches-py",
    train_files=tuple(f"data_batch_{i}" for i in range(1, 6)),
    test_file="test_batch",
    meta_file="batches.meta",
    label_key="labels",
    names_key="label_names",
)
CIFAR100 = CifarLayout(
    subdir="cifar-100-python",
    train_files=("train",),
    test_file="test",
    meta_file="meta",
    label_key="fine_labels",
    names_key="fine_label_names",
)


def load_pickle_dict(path: Path) -> dict[str, object]:
    """Unpickle one CIFAR file into a dict with str keys; ValueError naming the file if bad."""
    try:
        with open(path, "rb") as stream:
            loaded = _BatchUnpickler(stream, encoding="latin1").load()
    except Exception as exc:  # pickle raises many types (EOFError, UnpicklingError, ...)
        raise ValueError(f"{path}: not a readable CIFAR pickle ({type(exc).__name__}: {exc})") from None
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a pickled dict, found {type(loaded).__name__}")
    return {key.decode("latin1") if isinstance(key, bytes) else key: value for key, value in loaded.items()}


def _entry(batch: dict[str, object], key: str, path: Path) -> object:
    if key not in batch:
        raise ValueError(f"{path}: no {key!r} entry (found {', '.join(map(str, batch)) or 'none'})")
    return batch[key]


def read_batch(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """One batch file -> images uint8 (N, 3, 32, 32) and labels int64 (N,)."""
    batch = load_pickle_dict(path)
    data = np.asarray(_entry(batch, "data", path))
    labels = np.asarray(_entry(batch, label_key, path))
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != ROW_LENGTH:
        raise ValueError(f"{path}: 'data' is {data.dtype} {data.shape}, expected uint8 (N, {ROW_LENGTH})")
    if labels.shape != (len(data),) or not np.issubdtype(labels.dtype, np.integer):
        found = f"{labels.dtype} {labels.shape}"
        raise ValueError(f"{path}: {label_key!r} is {found}, expected {len(data)} integer labels")
    return data.reshape(-1, *SHAPE), labels.astype(np.int64)


def read_class_names(path: Path, names_key: str) -> tuple[str, ...]:
    """Class names from a CIFAR meta file (``batches.meta`` or ``meta``)."""
    names = _entry(load_pickle_dict(path), names_key, path)
    return tuple(n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names)


def read_cifar(folder: Path, name: str, layout: CifarLayout) -> RawImages:
    """Read the batches of ``layout`` from ``folder / layout.subdir``."""
    batch_dir = folder / layout.subdir
    files = (*layout.train_files, layout.test_file, layout.meta_file)
    paths = require_files(name, batch_dir, files, f"the official {layout.subdir} files")
    train = [read_batch(path, layout.label_key) for path in paths[: len(layout.train_files)]]
    test_x, test_y = read_batch(paths[-2], layout.label_key)
    return RawImages(
        train_x=np.concatenate([x for x, _ in train]),
        train_y=np.concatenate([y for _, y in train]),
        test_x=test_x,
        test_y=test_y,
        class_names=read_class_names(paths[-1], layout.names_key),
    )


def read_cifar10(folder: Path, name: str = "cifar10") -> RawImages:
    """CIFAR-10 (50,000 train / 10,000 test, 10 classes). Expected layout, i.e. the official
    ``cifar-10-python.tar.gz`` extracted into ``<data_root>/cifar10/``::

        <data_root>/cifar10/cifar-10-batches-py/data_batch_1 ... data_batch_5
        <data_root>/cifar10/cifar-10-batches-py/test_batch
        <data_root>/cifar10/cifar-10-batches-py/batches.meta
    """
    return read_cifar(folder, name, CIFAR10)


def read_cifar100(folder: Path, name: str = "cifar100") -> RawImages:
    """CIFAR-100 with its 100 fine labels (50,000 train / 10,000 test). Expected layout, i.e.
    the official ``cifar-100-python.tar.gz`` extracted into ``<data_root>/cifar100/``::

        <data_root>/cifar100/cifar-100-python/train
        <data_root>/cifar100/cifar-100-python/test
        <data_root>/cifar100/cifar-100-python/meta
    """
    return read_cifar(folder, name, CIFAR100)
