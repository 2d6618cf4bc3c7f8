"""Datasets: digits (embedded default), mnist, fashion_mnist, cifar10, cifar100, svhn.

``get_dataset(name, data_dir=None, val_size=None, split_seed=0, train_size=None)`` returns a
frozen :class:`DatasetSplits` (normalized float32 N x C x H x W images, int64 labels) with
train / val (held out of the official train set, seeded, stratified) / test (official).
Files are read from ``<data_root>/<name>/``; nothing is ever downloaded.
"""
from nasbench.data.dataset import DatasetSplits, RawImages, build_splits
from nasbench.data.paths import DATA_ENV_VAR, data_root, dataset_folder
from nasbench.data.registry import (
    DATASETS,
    DEFAULT_DATASET,
    DatasetSpec,
    get_dataset,
    get_spec,
    list_datasets,
    load,
)
from nasbench.data.splits import holdout_split, stratified_sample

__all__ = [
    "DATASETS",
    "DATA_ENV_VAR",
    "DEFAULT_DATASET",
    "DatasetSpec",
    "DatasetSplits",
    "RawImages",
    "build_splits",
    "data_root",
    "dataset_folder",
    "get_dataset",
    "get_spec",
    "holdout_split",
    "list_datasets",
    "load",
    "stratified_sample",
]
