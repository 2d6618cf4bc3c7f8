"""MNIST and Fashion-MNIST from their official IDX files (plain or gzip-compressed).

IDX format (LeCun et al.): a big-endian header ``00 00 <type> <ndim>`` where type 0x08 is
unsigned byte, then ``ndim`` big-endian uint32 sizes, then the data in row-major order.
Image files have magic 0x00000803 (N x 28 x 28), label files 0x00000801 (N).
"""
from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from nasbench.data.dataset import RawImages
from nasbench.data.paths import require_files

IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801
TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when the name ends in ``.gz``; ValueError if corrupt."""
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: corrupt or truncated gzip file ({type(exc).__name__}: {exc})") from None


def read_idx(path: Path, magic: int) -> np.ndarray:
    """Decode one uint8 IDX file whose magic number must be ``magic``; ValueError if not."""
    data = read_bytes(path)
    found = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if found != magic:
        shown = "none (file shorter than 4 bytes)" if found is None else f"0x{found:08X}"
        raise ValueError(
            f"{path}: not an IDX file of the expected kind: magic number {shown}, expected 0x{magic:08X}"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes, need {header})")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = header + math.prod(dims)
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "oversized"
        raise ValueError(
            f"{path}: {state} IDX file: header {dims} implies {expected} bytes, found {len(data)}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def read_idx_dataset(folder: Path, name: str) -> RawImages:
    """Read MNIST-format IDX files from ``folder`` (``<data_root>/<name>/``).

    Expected layout, each file plain or with ``.gz`` (plain wins when both exist)::

        <data_root>/<name>/train-images-idx3-ubyte[.gz]   60,000 x 28 x 28
        <data_root>/<name>/train-labels-idx1-ubyte[.gz]   60,000
        <data_root>/<name>/t10k-images-idx3-ubyte[.gz]    10,000 x 28 x 28
        <data_root>/<name>/t10k-labels-idx1-ubyte[.gz]    10,000
    """
    paths = require_files(name, folder, FILES, "the official IDX files", suffixes=("", ".gz"))
    train_images, train_labels, test_images, test_labels = paths
    return RawImages(
        train_x=read_idx(train_images, IMAGE_MAGIC)[:, None],  # (N, 1, 28, 28)
        train_y=read_idx(train_labels, LABEL_MAGIC).astype(np.int64),
        test_x=read_idx(test_images, IMAGE_MAGIC)[:, None],
        test_y=read_idx(test_labels, LABEL_MAGIC).astype(np.int64),
    )
