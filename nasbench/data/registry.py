"""The dataset registry: one dict from name to :class:`DatasetSpec`, and the entry points.

Adding a dataset is one reader module plus one line in :data:`DATASETS`.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nasbench.data import cifar, digits, idx, svhn
from nasbench.data.dataset import DatasetSplits, RawImages, build_splits
from nasbench.data.paths import read_first, search_folders
from nasbench.data.splits import Size

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")  # fmt: skip


@dataclass(frozen=True)
class DatasetSpec:
    """What the package knows about a dataset before reading it.

    ``read(folder, name)`` decodes the files in ``<data_root>/<name>/`` (see each reader's
    docstring for the layout). ``default_val_size`` is held out of the official train set
    when the caller gives no ``val_size``. ``class_names`` is the fallback when the files
    carry none. ``flip_ok``: horizontal flips preserve labels (False for digit-like data).
    ``system_folder``: the folder under each system root (``/usr/share/datasets``) where a
    system package installs the files, and ``apt_package`` the Debian package that does.
    """

    name: str
    read: Callable[[Path, str], RawImages]
    num_classes: int
    input_shape: tuple[int, int, int]
    flip_ok: bool
    default_val_size: Size
    needs_files: bool = True
    class_names: tuple[str, ...] = ()
    description: str = ""
    system_folder: str = ""
    apt_package: str = ""


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("digits", digits.read_digits, 10, (1, 8, 8), False, digits.DEFAULT_VAL_SIZE,
                    needs_files=False, class_names=DIGIT_NAMES,
                    description="scikit-learn 8x8 digits, embedded: train 1,000 / val 397 / test 400"),
        DatasetSpec("mnist", idx.read_idx_dataset, 10, (1, 28, 28), False, 10_000,
                    class_names=DIGIT_NAMES, description="MNIST, IDX files: train 50k / val 10k / test 10k",
                    system_folder="mnist"),
        DatasetSpec("fashion_mnist", idx.read_idx_dataset, 10, (1, 28, 28), False, 10_000,
                    class_names=FASHION_NAMES,
                    description="Fashion-MNIST, IDX files: train 50k / val 10k / test 10k",
                    system_folder="fashion-mnist", apt_package="dataset-fashion-mnist"),
        DatasetSpec("cifar10", cifar.read_cifar10, 10, (3, 32, 32), True, 10_000,
                    description="CIFAR-10, python pickles: train 40k / val 10k / test 10k"),
        DatasetSpec("cifar100", cifar.read_cifar100, 100, (3, 32, 32), True, 10_000,
                    description="CIFAR-100 fine labels, python pickles: train 40k / val 10k / test 10k"),
        DatasetSpec("svhn", svhn.read_svhn, 10, (3, 32, 32), False, 10_000, class_names=DIGIT_NAMES,
                    description="SVHN cropped digits, .mat files: train 63,257 / val 10k / test 26,032"),
    )
}  # fmt: skip

DEFAULT_DATASET = "digits"


def list_datasets() -> list[str]:
    """Registered dataset names, sorted."""
    return sorted(DATASETS)


def get_spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` for ``name`` (``-`` and case are forgiven: ``Fashion-MNIST``)."""
    key = name.strip().lower().replace("-", "_") if isinstance(name, str) else name
    try:
        return DATASETS[key]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(list_datasets())}") from None


def get_dataset(
    name: str = DEFAULT_DATASET,
    data_dir: str | os.PathLike | None = None,
    *,
    val_size: Size | None = None,
    split_seed: int = 0,
    train_size: Size | None = None,
) -> DatasetSplits:
    """Read dataset ``name`` and return its train / val / test splits on the CPU.

    Files come from ``<data_root>/<name>/`` where the root is ``data_dir``, else
    ``$NASBENCH_DATA``, else ``~/.cache/nasbench/data``, then from the system package's
    folder (``/usr/share/datasets/fashion-mnist``; see :mod:`nasbench.data.paths`); digits
    needs no files.
    ``val_size`` (int count or float fraction of the official train set; default per
    dataset, see :data:`DATASETS`) is held out by a stratified split seeded by
    ``split_seed``; ``train_size`` (count, or fraction of the rest) optionally caps train.
    The test split is always the official test set. Nothing is cached: callers that need
    the data many times should keep the returned object.
    """
    spec = get_spec(name)
    folders = search_folders(spec.name, data_dir, spec.system_folder)
    raw = read_first(spec.name, folders, spec.read, spec.apt_package)
    return build_splits(
        spec.name,
        raw,
        num_classes=spec.num_classes,
        input_shape=spec.input_shape,
        flip_ok=spec.flip_ok,
        class_names=spec.class_names,
        val_size=spec.default_val_size if val_size is None else val_size,
        split_seed=split_seed,
        train_size=train_size,
    )


load = get_dataset
