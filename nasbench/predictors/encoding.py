"""Genotype encodings for the predictors, all computed from canonical genotypes of one space.

Each genotype kind encodes itself through its space (``Space.tokens``, ``vocab_size``,
``features``): PNAS cells as in :mod:`nasbench.space.encoding` (token rows ``in1, in2, op1,
op2`` per block, Liu et al., ECCV 2018, Sec. 3.3; one-hot block slots plus graph statistics for
XGBoost); a two-cell genotype (NASNet, DARTS, ...) as its normal cell's blocks then its
reduction cell's (op ids from the space's own vocabulary; features: both cells' side by side); a
network family as one 4-token row per stage (features: the values and their log2). This module
parses inputs and pads token rows into batches. A predictor is fitted on one space.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from nasbench.space import get_space, parse_arch
from nasbench.space.base import is_genotype
from nasbench.space.encoding import (  # noqa: F401 - the predictors' names for them
    DEFAULT_MAX_BLOCKS, PAD, TOKENS_PER_BLOCK, VOCAB_SIZE, feature_names, graph_stats,
)


def as_cells(archs: Iterable, what: str = "archs") -> list:
    """Parse a sequence of architectures (strings or genotypes, all of one space) into genotypes.

    Raises a one-line ValueError naming the first bad item.
    """
    if isinstance(archs, (str, bytes)) or is_genotype(archs):
        raise ValueError(f"{what} must be a sequence of architectures, not a single {type(archs).__name__}")
    try:
        items = list(archs)
    except TypeError:
        raise ValueError(f"{what} must be a sequence of architectures, got {type(archs).__name__}") from None
    cells = []
    space = None
    for i, arch in enumerate(items):
        try:
            cells.append(parse_arch(arch, space))
        except ValueError as exc:
            raise ValueError(f"{what}[{i}]: {_one_line(exc)}") from None
        space = cells[0].space
    return cells


def space_of_cells(cells: Sequence):
    """The space of ``cells`` (all of one space; PNAS for none)."""
    return get_space(cells[0].space if len(cells) else "pnas")


def vocab_size(cells: Sequence) -> int:
    """Token vocabulary of ``cells``' space (PNAS: :data:`VOCAB_SIZE`)."""
    return space_of_cells(cells).vocab_size()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def block_tokens(cell) -> np.ndarray:
    """``[rows, 4]`` token ids: ``(in1, in2, op1, op2)`` per canonical block (a two-cell
    genotype: normal blocks then reduction blocks; a family: one row per stage)."""
    return get_space(cell.space).tokens(cell)


def encode_tokens(cells: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Padded tokens ``[n, R, 4]`` (R = most rows in ``cells``) and row counts ``[n]``."""
    rows = [block_tokens(c) for c in cells]
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    width = int(lengths.max()) if len(cells) else 1
    tokens = np.full((len(cells), width, TOKENS_PER_BLOCK), PAD, dtype=np.int64)
    for i, r in enumerate(rows):
        tokens[i, : len(r)] = r
    return tokens, lengths


def encode_features(cells: Sequence, max_blocks: int = DEFAULT_MAX_BLOCKS) -> np.ndarray:
    """Fixed-length float32 features (PNAS: ``[n, len(feature_names(max_blocks))]``)."""
    return space_of_cells(cells).features(cells, max_blocks)
