"""Seeded, stratified index splits (pure numpy, no torch).

Every split in the package goes through :func:`stratified_sample`: per-class counts are
fixed by the largest-remainder rule (no randomness), then each class's members are drawn by
a seeded numpy PCG64 permutation, which depends only on the seed: the same seed gives the
same indices in any process. Independent draws made with one seed (val hold-out, train cap,
the digits test set) use distinct ``stream`` numbers: the generator is
``default_rng([seed, stream])``. Returned indices are sorted.
"""
from __future__ import annotations

import numbers

import numpy as np

Size = int | float

VAL_STREAM = 0
TRAIN_CAP_STREAM = 1


def resolve_size(size: Size, total: int, what: str) -> int:
    """Turn ``size`` (an int count, or a float fraction in [0, 1] of ``total``) into a count."""
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise ValueError(f"{what} must be an int count or a float fraction, got {size!r}")
    if isinstance(size, numbers.Integral):
        count = int(size)
    elif 0.0 <= float(size) <= 1.0:
        count = int(round(float(size) * total))
    else:
        raise ValueError(f"{what} as a fraction must lie in [0, 1], got {size!r}")
    if not 0 <= count <= total:
        raise ValueError(f"{what}={size!r} asks for {count} samples but only {total} are available")
    return count


def check_seed(seed: int) -> int:
    """Return ``seed`` as an int after checking it is a non-negative integer."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"split_seed must be a non-negative int, got {seed!r}")
    return int(seed)


def class_quotas(labels: np.ndarray, count: int) -> dict[int, int]:
    """Per-class counts summing to ``count``, proportional to class frequencies.

    Largest-remainder rule: each class gets floor(count * n_k / n); the leftover units go
    to the largest fractional parts, ties to the smaller class label. Deterministic.
    """
    classes, sizes = np.unique(labels, return_counts=True)
    exact = count * sizes / max(len(labels), 1)
    quotas = np.floor(exact).astype(np.int64)
    leftover = count - int(quotas.sum())
    order = np.argsort(-(exact - quotas), kind="stable")
    quotas[order[:leftover]] += 1
    return {int(c): int(q) for c, q in zip(classes, quotas)}


def stratified_sample(labels: np.ndarray, count: int, seed: int, stream: int) -> np.ndarray:
    """Sorted positions of ``count`` items of ``labels``, stratified by class, seeded."""
    labels = np.asarray(labels)
    rng = np.random.default_rng([check_seed(seed), stream])
    picked = [
        rng.permutation(np.flatnonzero(labels == label))[:quota]
        for label, quota in class_quotas(labels, count).items()
    ]
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)


def complement(total: int, taken: np.ndarray) -> np.ndarray:
    """Sorted positions in ``range(total)`` not in ``taken``."""
    keep = np.ones(total, dtype=bool)
    keep[taken] = False
    return np.flatnonzero(keep)


def holdout_split(
    labels: np.ndarray, val_size: Size, seed: int, train_size: Size | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split positions of an official train set into (train, val), both stratified.

    ``val_size`` counts (or is a fraction of) the whole official train set. The optional
    ``train_size`` caps the rest (a count, or a fraction of what val leaves); the cap is
    drawn from its own stream, so val never depends on ``train_size``.
    """
    labels = np.asarray(labels)
    seed = check_seed(seed)
    val = stratified_sample(labels, resolve_size(val_size, len(labels), "val_size"), seed, VAL_STREAM)
    train = complement(len(labels), val)
    if train_size is not None:
        cap = resolve_size(train_size, len(train), "train_size")
        train = train[stratified_sample(labels[train], cap, seed, TRAIN_CAP_STREAM)]
    if len(train) == 0:
        raise ValueError(f"empty train split: val_size={val_size!r}, train_size={train_size!r}")
    return train.astype(np.int64), val.astype(np.int64)
