"""Tests for nasbench.data: real loaders on tiny files written in the official formats."""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import scipy.io
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.data import DATA_ENV_VAR, data_root, get_dataset, holdout_split, list_datasets, load

# ---------------------------------------------------------------- writers (official formats)


def write_idx(path, array: np.ndarray, magic: int, gz: bool) -> None:
    """IDX: big-endian magic, big-endian uint32 dims, uint8 data."""
    payload = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    payload += array.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(f"{path}.gz", "wb") as stream:
            stream.write(payload)
    else:
        path.write_bytes(payload)


def balanced_labels(n: int, classes: int, rng) -> np.ndarray:
    return rng.permutation(np.arange(n) % classes).astype(np.int64)


def write_mnist(folder, gz=False, n_train=60, n_test=20):
    """Tiny MNIST-format folder; returns the official-order arrays (N, 1, 28, 28)."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    arrays = {}
    for part, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = balanced_labels(n, 10, rng)
        write_idx(folder / f"{part}-images-idx3-ubyte", x, 0x00000803, gz)
        write_idx(folder / f"{part}-labels-idx1-ubyte", y, 0x00000801, gz)
        arrays[part] = (x[:, None], y)
    return arrays["train"], arrays["t10k"]


def dump_pickle(path, obj) -> None:
    path.write_bytes(pickle.dumps(obj, protocol=2))


def write_cifar(folder, variant: str, per_file: int):
    """Tiny CIFAR-10 (5 train batches) or CIFAR-100 (one train file) in python-pickle form."""
    rng = np.random.default_rng(2)
    ten = variant == "cifar10"
    classes, label_keys = (10, [b"labels"]) if ten else (100, [b"fine_labels", b"coarse_labels"])
    batch_dir = folder / ("cifar-10-batches-py" if ten else "cifar-100-python")
    batch_dir.mkdir(parents=True)
    train_names = [f"data_batch_{i}" for i in range(1, 6)] if ten else ["train"]
    test_name = "test_batch" if ten else "test"
    parts = {}
    for filename in [*train_names, test_name]:
        x = rng.integers(0, 256, (per_file, 3, 32, 32), dtype=np.uint8)
        y = balanced_labels(per_file, classes, rng)
        batch = {b"batch_label": b"x", b"data": x.reshape(per_file, 3072), b"filenames": [b"a.png"] * per_file}
        for key in label_keys:  # coarse labels: any 20-class function of the fine label will do
            batch[key] = [int(v) // (5 if key == b"coarse_labels" else 1) for v in y]
        dump_pickle(batch_dir / filename, batch)
        parts[filename] = (x, y)
    names = [f"class{i}".encode() for i in range(classes)]
    meta = {b"label_names": names} if ten else {b"fine_label_names": names, b"coarse_label_names": names[:20]}
    dump_pickle(batch_dir / ("batches.meta" if ten else "meta"), meta)
    train = [parts[n] for n in train_names]
    return (np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train])), parts[test_name]


def write_svhn(folder, n_train=50, n_test=20):
    """Tiny SVHN: X (32, 32, 3, N) uint8, y (N, 1) in 1..10 with 10 for the digit 0."""
    rng = np.random.default_rng(3)
    folder.mkdir(parents=True)
    arrays = []
    for filename, n in (("train_32x32.mat", n_train), ("test_32x32.mat", n_test)):
        x = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        y = balanced_labels(n, 10, rng)
        stored = np.where(y == 0, 10, y).astype(np.uint8).reshape(n, 1)
        scipy.io.savemat(folder / filename, {"X": x.transpose(2, 3, 1, 0), "y": stored})
        arrays.append((x, y))
    return arrays[0], arrays[1]


WRITERS = {
    "mnist": lambda root: write_mnist(root / "mnist"),
    "mnist.gz": lambda root: write_mnist(root / "mnist", gz=True),
    "fashion_mnist": lambda root: write_mnist(root / "fashion_mnist"),
    "fashion_mnist.gz": lambda root: write_mnist(root / "fashion_mnist", gz=True),
    "cifar10": lambda root: write_cifar(root / "cifar10", "cifar10", per_file=12),
    "cifar100": lambda root: write_cifar(root / "cifar100", "cifar100", per_file=500),
    "svhn": lambda root: write_svhn(root / "svhn"),
}
SHAPES = {"mnist": (1, 28, 28), "fashion_mnist": (1, 28, 28), "cifar10": (3, 32, 32),
          "cifar100": (3, 32, 32), "svhn": (3, 32, 32)}  # fmt: skip

# ---------------------------------------------------------------- shared checks


def recovered(splits, images: torch.Tensor, max_value: int) -> np.ndarray:
    """Undo normalization and scaling: back to the integer pixels of the files."""
    return splits.to_unit_range(images).mul(max_value).round().to(torch.uint8).numpy()


def check_splits(splits, train, test, max_value=255, val_count=None):
    """Dtypes, shapes, labels, normalization, disjointness and pixel identity vs the files."""
    (train_x, train_y), (test_x, test_y) = train, test
    parts = ((splits.train_x, splits.train_y), (splits.val_x, splits.val_y), (splits.test_x, splits.test_y))
    for x, y in parts:
        assert x.dtype == torch.float32 and y.dtype == torch.int64
        assert tuple(x.shape[1:]) == splits.input_shape and len(x) == len(y)
        assert int(y.min()) >= 0 and int(y.max()) < splits.num_classes
    train_idx, val_idx = splits.train_index.numpy(), splits.val_index.numpy()
    assert not set(train_idx) & set(val_idx)
    assert sorted([*train_idx, *val_idx]) == list(range(len(train_y)))
    if val_count is not None:
        assert len(val_idx) == val_count
    for x, y, idx, source_x, source_y in (
        (splits.train_x, splits.train_y, train_idx, train_x, train_y),
        (splits.val_x, splits.val_y, val_idx, train_x, train_y),
        (splits.test_x, splits.test_y, splits.test_index.numpy(), test_x, test_y),
    ):
        np.testing.assert_array_equal(recovered(splits, x, max_value), source_x[idx])
        np.testing.assert_array_equal(y.numpy(), source_y[idx])
    per_channel = splits.train_x.transpose(0, 1).reshape(splits.input_shape[0], -1)
    channels = splits.input_shape[0]
    torch.testing.assert_close(per_channel.mean(1), torch.zeros(channels), atol=1e-4, rtol=0)
    torch.testing.assert_close(per_channel.std(1, unbiased=False), torch.ones(channels), atol=1e-4, rtol=0)


# ---------------------------------------------------------------- file datasets


@pytest.mark.parametrize("case", sorted(WRITERS))
def test_file_datasets_load_exactly(tmp_path, case):
    name = case.removesuffix(".gz")
    train, test = WRITERS[case](tmp_path)
    splits = get_dataset(name, data_dir=tmp_path, val_size=0.2, split_seed=5)
    assert splits.name == name and splits.input_shape == SHAPES[name]
    assert splits.num_classes == (100 if name == "cifar100" else 10)
    assert splits.flip_ok == name.startswith("cifar")
    assert splits.sizes["test"] == len(test[1]) and len(splits.class_names) == splits.num_classes
    check_splits(splits, train, test, val_count=round(0.2 * len(train[1])))
    assert set(splits.val_y.tolist()) == set(range(splits.num_classes))  # stratified val
    again = load(name, data_dir=tmp_path, val_size=0.2, split_seed=5)
    assert torch.equal(again.val_index, splits.val_index) and torch.equal(again.train_x, splits.train_x)
    other = get_dataset(name, data_dir=tmp_path, val_size=0.2, split_seed=6)
    assert not torch.equal(other.val_index, splits.val_index)
    assert torch.equal(other.test_y, splits.test_y)  # the test set ignores the split seed
    np.testing.assert_array_equal(recovered(other, other.test_x, 255), recovered(splits, splits.test_x, 255))


def test_svhn_label_ten_means_zero(tmp_path):
    write_svhn(tmp_path / "svhn")
    splits = get_dataset("svhn", data_dir=tmp_path, val_size=10)
    stored = scipy.io.loadmat(tmp_path / "svhn" / "train_32x32.mat")["y"].ravel()
    assert set(stored.tolist()) == set(range(1, 11))
    expected = np.where(stored == 10, 0, stored)[splits.train_index.numpy()]
    np.testing.assert_array_equal(splits.train_y.numpy(), expected)


def test_cifar_class_names_come_from_meta(tmp_path):
    write_cifar(tmp_path / "cifar10", "cifar10", per_file=10)
    assert get_dataset("cifar10", data_dir=tmp_path, val_size=10).class_names[:2] == ("class0", "class1")


def test_env_var_and_default_root(tmp_path, monkeypatch):
    write_mnist(tmp_path / "mnist")
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    assert get_dataset("mnist", val_size=10).sizes == {"train": 50, "val": 10, "test": 20}
    monkeypatch.delenv(DATA_ENV_VAR)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_root() == tmp_path / "home" / ".cache" / "nasbench" / "data"
    assert data_root(tmp_path / "x") == tmp_path / "x"


def test_train_size_cap_is_stratified_and_seeded(tmp_path):
    write_mnist(tmp_path / "mnist", n_train=200)
    capped = get_dataset("mnist", data_dir=tmp_path, val_size=50, train_size=30, split_seed=2)
    full = get_dataset("mnist", data_dir=tmp_path, val_size=50, split_seed=2)
    assert capped.sizes["train"] == 30 and torch.bincount(capped.train_y).tolist() == [3] * 10
    assert torch.equal(capped.val_index, full.val_index)  # the cap never moves val
    assert set(capped.train_index.tolist()) <= set(full.train_index.tolist())
    assert get_dataset("mnist", data_dir=tmp_path, val_size=50, train_size=0.5).sizes["train"] == 75


# ---------------------------------------------------------------- digits


def test_digits_default_split():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    splits = get_dataset()
    assert splits.name == "digits" and splits.sizes == {"train": 1000, "val": 397, "test": 400}
    assert splits.input_shape == (1, 8, 8) and not splits.flip_ok
    all_ids = [*splits.train_index.tolist(), *splits.val_index.tolist(), *splits.test_index.tolist()]
    assert sorted(all_ids) == list(range(1797))
    for y in (splits.train_y, splits.val_y, splits.test_y):
        counts = torch.bincount(y, minlength=10)
        assert (counts > 0).all() and counts.max() - counts.min() <= 8  # stratified
    pixels = np.asarray(bunch.images).astype(np.uint8)[:, None]
    for x, y, idx in ((splits.train_x, splits.train_y, splits.train_index),
                      (splits.val_x, splits.val_y, splits.val_index),
                      (splits.test_x, splits.test_y, splits.test_index)):  # fmt: skip
        np.testing.assert_array_equal(recovered(splits, x, 16), pixels[idx.numpy()])
        np.testing.assert_array_equal(y.numpy(), bunch.target[idx.numpy()])
    other = get_dataset("digits", split_seed=1)
    assert torch.equal(other.test_index, splits.test_index)  # fixed test set
    assert not torch.equal(other.val_index, splits.val_index)
    assert get_dataset("digits", train_size=100).sizes == {"train": 100, "val": 397, "test": 400}


@pytest.mark.parametrize("direct", [True, False])
def test_digits_arrays_equal_load_digits(direct, monkeypatch):
    """The direct CSV read (no sklearn import) and the load_digits fallback give the same bits."""
    from sklearn.datasets import load_digits

    from nasbench.data import digits

    if not direct:
        monkeypatch.setattr(digits.importlib.util, "find_spec", lambda name: None)
    images, labels = digits.load_digits_arrays()
    bunch = load_digits()
    np.testing.assert_array_equal(images, bunch.images)
    np.testing.assert_array_equal(labels, bunch.target)
    assert labels.dtype.kind == "i" and images.shape == (1797, 8, 8)


DIGEST_SCRIPT = """
import hashlib
from nasbench.data import get_dataset
s = get_dataset("digits", split_seed=3)
ids = (s.train_index, s.val_index, s.test_index)
print(hashlib.sha256(b"".join(t.numpy().tobytes() for t in ids)).hexdigest())
"""


def test_split_is_identical_in_another_process():
    s = get_dataset("digits", split_seed=3)
    ids = (s.train_index, s.val_index, s.test_index)
    digest = hashlib.sha256(b"".join(t.numpy().tobytes() for t in ids)).hexdigest()
    result = subprocess.run([sys.executable, "-c", DIGEST_SCRIPT], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == digest


def test_to_device_and_frozen():
    splits = get_dataset()
    moved = splits.to("meta")
    tensors = [f.name for f in dataclasses.fields(splits) if isinstance(getattr(splits, f.name), torch.Tensor)]
    assert len(tensors) == 9 and all(getattr(moved, n).device.type == "meta" for n in tensors)
    assert splits.device.type == "cpu" and moved.mean == splits.mean
    with pytest.raises(dataclasses.FrozenInstanceError):
        splits.name = "x"
    assert "digits" in repr(splits) and len(repr(splits)) < 300


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=2, max_size=80), st.floats(0, 0.7), st.integers(0, 2**32))
def test_holdout_split_properties(labels, fraction, seed):
    labels = np.asarray(labels)
    train, val = holdout_split(labels, fraction, seed)
    assert len(val) == round(fraction * len(labels)) and not set(train) & set(val)
    assert sorted([*train, *val]) == list(range(len(labels)))
    for label in set(labels.tolist()):  # largest remainder: floor or ceil of the quota
        quota = len(val) * np.mean(labels == label)
        assert np.floor(quota) <= np.sum(labels[val] == label) <= np.ceil(quota)
    np.testing.assert_array_equal(holdout_split(labels, fraction, seed)[1], val)


# ---------------------------------------------------------------- errors


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match=r"unknown dataset 'imagenet'; known: cifar10, cifar100, digits"):
        get_dataset("imagenet")
    assert list_datasets() == ["cifar10", "cifar100", "digits", "fashion_mnist", "mnist", "svhn"]


MISSING_FOLDER_PHRASES = {
    "mnist": "mnist/; put the official IDX files there: train-images-idx3-ubyte[.gz], ",
    "cifar10": "cifar-10-batches-py/; put the official cifar-10-batches-py files there: data_batch_1, ",
    "svhn": "svhn/; put the official SVHN .mat files there: train_32x32.mat, test_32x32.mat",
}


@pytest.mark.parametrize("name, phrase", sorted(MISSING_FOLDER_PHRASES.items()))
def test_missing_files_say_what_to_put_where(tmp_path, name, phrase):
    with pytest.raises(FileNotFoundError) as missing_folder:
        get_dataset(name, data_dir=tmp_path)
    message = str(missing_folder.value)
    assert "\n" not in message and str(tmp_path / name) in message and phrase in message
    assert "nothing is downloaded" in message


def test_one_missing_file_is_named_alone(tmp_path):
    write_cifar(tmp_path / "cifar10", "cifar10", per_file=10)
    (tmp_path / "cifar10" / "cifar-10-batches-py" / "data_batch_4").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_4") as error:
        get_dataset("cifar10", data_dir=tmp_path)
    assert "data_batch_3" not in str(error.value)


#: case: (writer in WRITERS, file under <root>/<dataset>/, damage, phrase the message must hold)
CORRUPTIONS = {
    "idx magic": ("mnist", "train-images-idx3-ubyte", "magic", "magic number 0x00000801, expected 0x00000803"),
    "idx truncated": ("mnist", "t10k-images-idx3-ubyte", "truncate", "truncated IDX file"),
    "gzip truncated": ("mnist.gz", "train-labels-idx1-ubyte.gz", "truncate", "gzip"),
    "pickle truncated": ("cifar10", "cifar-10-batches-py/data_batch_3", "truncate", "pickle"),
    "pickle garbled": ("cifar100", "cifar-100-python/train", "garble", "pickle"),
    "mat garbled": ("svhn", "train_32x32.mat", "garble", ".mat"),
}


def damage(path, how: str) -> None:
    data = path.read_bytes()
    if how == "magic":
        data = (0x00000801).to_bytes(4, "big") + data[4:]
    elif how == "truncate":
        data = data[: len(data) // 2]
    else:
        data = b"garbage" * 99
    path.write_bytes(data)


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupt_files_raise_one_line_value_error(tmp_path, case):
    writer, filename, how, phrase = CORRUPTIONS[case]
    name = writer.removesuffix(".gz")
    WRITERS[writer](tmp_path)
    damage(tmp_path / name / filename, how)
    with pytest.raises(ValueError) as error:
        get_dataset(name, data_dir=tmp_path, val_size=10)
    message = str(error.value)
    assert str(tmp_path / name / filename) in message and phrase in message and "\n" not in message


def test_pickle_cannot_run_code(tmp_path):
    write_cifar(tmp_path / "cifar10", "cifar10", per_file=10)
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return os.mkdir, (str(marker),)

    dump_pickle(tmp_path / "cifar10" / "cifar-10-batches-py" / "test_batch", {b"data": Exploit()})
    with pytest.raises(ValueError, match="refusing global"):
        get_dataset("cifar10", data_dir=tmp_path, val_size=10)
    assert not marker.exists()


def test_bad_contents_and_sizes_are_value_errors(tmp_path):
    write_svhn(tmp_path / "svhn")
    scipy.io.savemat(tmp_path / "svhn" / "test_32x32.mat",
                     {"X": np.zeros((32, 32, 3, 4), np.uint8), "y": np.zeros((4, 1), np.uint8)})  # fmt: skip
    with pytest.raises(ValueError, match=r"test_32x32.mat: labels span 0..0, expected 1..10"):
        get_dataset("svhn", data_dir=tmp_path, val_size=10)
    write_mnist(tmp_path / "mnist")
    for bad in (dict(val_size=61), dict(val_size=1.5), dict(val_size=True), dict(val_size=60),
                dict(split_seed=-1), dict(val_size=10, train_size=51)):  # fmt: skip
        with pytest.raises(ValueError):
            get_dataset("mnist", data_dir=tmp_path, **bad)
