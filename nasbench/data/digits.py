"""scikit-learn's embedded 8x8 digits (1,797 images, values 0..16): the default dataset.

It needs no files, so every test and tiny protocol can train on real images offline.
Digits has no official test set, so this package fixes one: 400 images drawn stratified by
class with the constant seed :data:`TEST_SEED` (stream :data:`TEST_STREAM`), the same for
every ``split_seed``, exactly like an official test set. The other 1,397 images act as the
official train set, from which ``split_seed`` holds val out as for every dataset
(default 397, leaving train 1,000).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from nasbench.data.dataset import RawImages
from nasbench.data.splits import complement, stratified_sample

NUM_IMAGES = 1797
TEST_SIZE = 400
DEFAULT_VAL_SIZE = 397
TEST_SEED = 0
TEST_STREAM = 2  # distinct from the val (0) and train-cap (1) streams of splits.py
MAX_VALUE = 16


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """``(images (1797, 8, 8) float, labels (1797,) int)`` exactly as ``load_digits()`` gives them.

    Reads the CSV that ships inside scikit-learn directly: importing ``sklearn.datasets`` costs
    ~2.5 s, which every build worker would pay again. Falls back to ``load_digits`` if the file
    moved in some scikit-learn version.
    """
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    if spec is not None and spec.submodule_search_locations:
        csv = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
        if csv.is_file():
            data = np.loadtxt(csv, delimiter=",")
            return data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images, bunch.target


def read_digits(folder: Path | None = None, name: str = "digits") -> RawImages:
    """Decode scikit-learn's digits into the fixed train (1,397) / test (400) split.

    ``folder`` is ignored (the data ships inside scikit-learn). ``train_ids``/``test_ids``
    are positions in ``load_digits()``'s arrays.
    """
    raw_images, raw_labels = load_digits_arrays()
    images = np.asarray(raw_images).round().astype(np.uint8)[:, None]  # (N, 1, 8, 8), 0..16
    labels = np.asarray(raw_labels, dtype=np.int64)
    test_ids = stratified_sample(labels, TEST_SIZE, TEST_SEED, TEST_STREAM)
    train_ids = complement(len(labels), test_ids)
    return RawImages(
        train_x=images[train_ids],
        train_y=labels[train_ids],
        test_x=images[test_ids],
        test_y=labels[test_ids],
        max_value=MAX_VALUE,
        train_ids=train_ids,
        test_ids=test_ids,
    )
