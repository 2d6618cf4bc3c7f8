"""SVHN (cropped digits, "format 2") from the official MATLAB files.

Each file holds ``X``: 32 x 32 x 3 x N uint8 (H, W, C, N) and ``y``: N x 1 with labels
1..10, where 10 stands for the digit 0. Labels are mapped to 0..9 (10 -> 0). The optional
``extra_32x32.mat`` is not used.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from nasbench.data.dataset import RawImages
from nasbench.data.paths import require_files

TRAIN_FILE = "train_32x32.mat"
TEST_FILE = "test_32x32.mat"


def read_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One SVHN .mat file -> images uint8 (N, 3, 32, 32) and labels int64 in 0..9."""
    from scipy.io import loadmat  # imported lazily: only SVHN needs it

    try:
        contents = loadmat(path, variable_names=("X", "y"))
    except Exception as exc:  # scipy raises ValueError, TypeError, OSError, ... on bad files
        raise ValueError(f"{path}: not a readable SVHN .mat file ({type(exc).__name__}: {exc})") from None
    if "X" not in contents or "y" not in contents:
        found = sorted(key for key in contents if not key.startswith("__"))
        raise ValueError(f"{path}: expected variables 'X' and 'y', found {found}")
    images, labels = contents["X"], contents["y"]
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[:3] != (32, 32, 3):
        raise ValueError(f"{path}: 'X' is {images.dtype} {images.shape}, expected uint8 (32, 32, 3, N)")
    labels = labels.reshape(-1)
    if len(labels) != images.shape[3]:
        raise ValueError(f"{path}: {images.shape[3]} images but {len(labels)} labels")
    if len(labels) and (labels.min() < 1 or labels.max() > 10):
        raise ValueError(f"{path}: labels span {labels.min()}..{labels.max()}, expected 1..10 (10 = digit 0)")
    return np.ascontiguousarray(images.transpose(3, 2, 0, 1)), (labels % 10).astype(np.int64)


def read_svhn(folder: Path, name: str = "svhn") -> RawImages:
    """SVHN (73,257 train / 26,032 test, 10 classes). Expected layout::

        <data_root>/svhn/train_32x32.mat
        <data_root>/svhn/test_32x32.mat
    """
    files = (TRAIN_FILE, TEST_FILE)
    train_path, test_path = require_files(name, folder, files, "the official SVHN .mat files")
    train_x, train_y = read_mat(train_path)
    test_x, test_y = read_mat(test_path)
    return RawImages(train_x=train_x, train_y=train_y, test_x=test_x, test_y=test_y)
