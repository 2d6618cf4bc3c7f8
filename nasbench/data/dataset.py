"""The value types of the data package and the one function that turns files into splits.

Loaders only decode files into :class:`RawImages` (uint8, N x C x H x W, official order).
:func:`build_splits` does everything else the same way for every dataset: hold val out of
the official train set, cap train, scale to [0, 1], normalize by the train part's
per-channel mean/std, and convert to torch tensors.

torch is imported where tensors are made or moved, so the dataset registry (names, class
counts) stays importable on the light install, where a table's datasheet reads it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from nasbench.data.splits import Size, holdout_split


@dataclass(frozen=True, eq=False)
class RawImages:
    """A decoded dataset in its official split: images uint8 (N, C, H, W), labels int64.

    ``max_value`` is the pixel value that maps to 1.0 (255, or 16 for digits).
    ``train_ids``/``test_ids`` name each sample's position in the source arrays (default:
    its position in the official train/test set; digits uses positions in load_digits).
    """

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    max_value: int = 255
    class_names: tuple[str, ...] | None = None
    train_ids: np.ndarray | None = None
    test_ids: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class DatasetSplits:
    """Train / val / test tensors of one dataset, ready to live on a device.

    Images are float32 (N, C, H, W): pixels scaled to [0, 1] (divided by the format's
    maximum, 255 or 16 for digits), then per channel ``(x - mean[c]) / std[c]`` where
    ``mean``/``std`` are the population statistics of the TRAIN part only (after any
    ``train_size`` cap), in [0, 1] units; a constant channel gets std 1. Labels are int64.
    ``train_index``/``val_index`` are positions in the official train set and
    ``test_index`` in the official test set (digits: positions in ``load_digits()``), so
    a split can be audited or rebuilt. ``flip_ok`` says whether horizontal flips keep labels.
    """

    name: str
    train_x: torch.Tensor = field(repr=False)
    train_y: torch.Tensor = field(repr=False)
    val_x: torch.Tensor = field(repr=False)
    val_y: torch.Tensor = field(repr=False)
    test_x: torch.Tensor = field(repr=False)
    test_y: torch.Tensor = field(repr=False)
    num_classes: int
    input_shape: tuple[int, int, int]
    flip_ok: bool
    mean: tuple[float, ...]
    std: tuple[float, ...]
    class_names: tuple[str, ...] = field(repr=False)
    train_index: torch.Tensor = field(repr=False)
    val_index: torch.Tensor = field(repr=False)
    test_index: torch.Tensor = field(repr=False)
    split_seed: int = 0

    @property
    def sizes(self) -> dict[str, int]:
        """Number of samples per split: ``{"train": .., "val": .., "test": ..}``."""
        return {"train": len(self.train_y), "val": len(self.val_y), "test": len(self.test_y)}

    @property
    def device(self) -> torch.device:
        """The device the image tensors live on."""
        return self.train_x.device

    def to(self, device: torch.device | str) -> "DatasetSplits":
        """A copy with every tensor moved to ``device`` (the trainer keeps data resident)."""
        import torch

        moved = {
            f.name: getattr(self, f.name).to(device)
            for f in fields(self)
            if isinstance(getattr(self, f.name), torch.Tensor)
        }
        return replace(self, **moved)

    def pooled(self, resolution: int | None) -> "DatasetSplits":
        """A copy with every image average-pooled to ``resolution`` x ``resolution`` (None: self).

        The side must divide the dataset's (28 -> 14 or 7); pooling is linear, so pooled
        images stay normalized by the same per-channel mean (their std shrinks a little).
        """
        _, height, width = self.input_shape
        if resolution is None or resolution == height == width:
            return self
        if height % resolution or width % resolution:
            raise ValueError(f"{self.name}: resolution {resolution} does not divide the "
                             f"{height}x{width} images; use a divisor of {height}")
        import torch

        kernel = (height // resolution, width // resolution)
        pool = lambda x: torch.nn.functional.avg_pool2d(x, kernel)  # noqa: E731
        return replace(self, train_x=pool(self.train_x), val_x=pool(self.val_x), test_x=pool(self.test_x),
                       input_shape=(self.input_shape[0], resolution, resolution))

    def to_unit_range(self, images: torch.Tensor) -> torch.Tensor:
        """Undo the normalization: images back in [0, 1] (for plots and checks)."""
        import torch

        mean = torch.tensor(self.mean, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
        return images * std + mean

    def __repr__(self) -> str:
        return (
            f"DatasetSplits(name={self.name!r}, sizes={self.sizes}, input_shape={self.input_shape}, "
            f"num_classes={self.num_classes}, flip_ok={self.flip_ok}, split_seed={self.split_seed}, "
            f"device={self.device})"
        )


def channel_stats(images: np.ndarray, max_value: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Exact per-channel population mean/std of uint8 images, in [0, 1] units.

    Computed from integer histograms, so the result is bit-identical whatever the thread
    count or platform (a float reduction would not be).
    """
    levels = np.arange(256, dtype=np.float64) / max_value
    means, stds = [], []
    for channel in range(images.shape[1]):
        counts = np.zeros(256, dtype=np.int64)
        for start in range(0, len(images), 4096):  # chunks bound the int64 temporary
            counts += np.bincount(images[start : start + 4096, channel].ravel(), minlength=256)
        total = max(int(counts.sum()), 1)
        mean = float(counts @ levels) / total
        std = float(np.sqrt(counts @ (levels - mean) ** 2 / total))
        means.append(mean)
        stds.append(std if std > 1e-12 else 1.0)
    return tuple(means), tuple(stds)


def _normalized(images: np.ndarray, max_value: int, mean: tuple, std: tuple) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float32, scaled to [0, 1] then normalized per channel."""
    import torch

    images = np.ascontiguousarray(images)
    if not images.flags.writeable:  # torch.from_numpy warns on read-only buffers
        images = images.copy()
    out = torch.from_numpy(images).to(torch.float32).div_(max_value)
    out.sub_(torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
    return out.div_(torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))


def _labels(labels: np.ndarray) -> torch.Tensor:
    import torch

    return torch.from_numpy(np.array(labels, dtype=np.int64))


def check_raw(name: str, raw: RawImages, num_classes: int, input_shape: tuple[int, int, int]) -> None:
    """Raise ValueError (one line) when decoded arrays do not fit the dataset's description."""
    for part, x, y in (("train", raw.train_x, raw.train_y), ("test", raw.test_x, raw.test_y)):
        if x.dtype != np.uint8 or x.ndim != 4 or tuple(x.shape[1:]) != tuple(input_shape):
            expected = ", ".join(map(str, input_shape))
            raise ValueError(f"{name}: {part} images are {x.dtype} {x.shape}, expected uint8 (N, {expected})")
        if len(x) != len(y):
            raise ValueError(f"{name}: {len(x)} {part} images but {len(y)} labels")
        if len(y) and (y.min() < 0 or y.max() >= num_classes):
            span = f"{y.min()}..{y.max()}"
            raise ValueError(f"{name}: {part} labels span {span}, expected 0..{num_classes - 1}")


def build_splits(
    name: str,
    raw: RawImages,
    *,
    num_classes: int,
    input_shape: tuple[int, int, int],
    flip_ok: bool,
    class_names: tuple[str, ...],
    val_size: Size,
    split_seed: int = 0,
    train_size: Size | None = None,
) -> DatasetSplits:
    """Hold val out of ``raw``'s train set, cap train, normalize: the shared split builder."""
    check_raw(name, raw, num_classes, input_shape)
    train_pos, val_pos = holdout_split(raw.train_y, val_size, split_seed, train_size)
    train_x = raw.train_x[train_pos]
    mean, std = channel_stats(train_x, raw.max_value)
    train_ids = np.arange(len(raw.train_y)) if raw.train_ids is None else np.asarray(raw.train_ids)
    test_ids = np.arange(len(raw.test_y)) if raw.test_ids is None else np.asarray(raw.test_ids)
    return DatasetSplits(
        name=name,
        train_x=_normalized(train_x, raw.max_value, mean, std),
        train_y=_labels(raw.train_y[train_pos]),
        val_x=_normalized(raw.train_x[val_pos], raw.max_value, mean, std),
        val_y=_labels(raw.train_y[val_pos]),
        test_x=_normalized(raw.test_x, raw.max_value, mean, std),
        test_y=_labels(raw.test_y),
        num_classes=num_classes,
        input_shape=tuple(input_shape),
        flip_ok=flip_ok,
        mean=mean,
        std=std,
        class_names=tuple(raw.class_names or class_names),
        train_index=_labels(train_ids[train_pos]),
        val_index=_labels(train_ids[val_pos]),
        test_index=_labels(test_ids),
        split_seed=split_seed,
    )
