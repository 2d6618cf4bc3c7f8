"""Numbers from block cells, for the predictors: token rows and fixed-length features.

* Token rows (LSTM, MLP): PNAS reads a cell block by block as ``in1, in2, op1, op2`` (Liu et
  al., ECCV 2018, Sec. 3.3). Inputs and ops share one vocabulary (distinct ids, one embedding
  table); id 0 is padding. Any number of blocks up to ``cell.MAX_BLOCKS`` fits, so a predictor
  trained on b blocks can score b+1-block children.
* Fixed-length features (XGBoost): per block slot (padded to ``max_blocks``) a presence flag
  and one-hot ``op1, op2, in1, in2``; then op counts, the number of blocks, the longest path
  through the blocks, reads of each cell input and the number of blocks no other block reads.
* Cost features (the surrogate's train-time model): an intercept and the count of each op.

:class:`OneCellKind` gives these to the one-cell spaces (PNAS and its op subsets, global op
codes); the two-cell spaces apply the same functions to both cells.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from nasbench.space.cell import MAX_BLOCKS
from nasbench.space.ops import NUM_OPS, OPS_SORTED

TOKENS_PER_BLOCK = 4
PAD = 0
#: Input ``i`` (0..MAX_BLOCKS) has id ``1 + i``; op ``o`` has id ``INPUT_TOKENS + 1 + o``.
INPUT_TOKENS = MAX_BLOCKS + 1
VOCAB_SIZE = 1 + INPUT_TOKENS + NUM_OPS
DEFAULT_MAX_BLOCKS = 5


def block_rows(blocks) -> list[tuple[int, int, int, int]]:
    """Token ids ``(in1, in2, op1, op2)`` of each block."""
    return [(1 + in1, 1 + in2, 1 + INPUT_TOKENS + op1, 1 + INPUT_TOKENS + op2)
            for (op1, in1), (op2, in2) in blocks]


def feature_names(max_blocks: int = DEFAULT_MAX_BLOCKS) -> list[str]:
    """Column names of the PNAS cell features, in order."""
    names = []
    for k in range(1, max_blocks + 1):
        names.append(f"b{k}_present")
        names += [f"b{k}_op1_{op}" for op in OPS_SORTED]
        names += [f"b{k}_op2_{op}" for op in OPS_SORTED]
        names += [f"b{k}_in1_{i}" for i in range(max_blocks + 1)]
        names += [f"b{k}_in2_{i}" for i in range(max_blocks + 1)]
    names += [f"count_{op}" for op in OPS_SORTED]
    names += ["num_blocks", "longest_path", "reads_input0", "reads_input1", "unused_blocks"]
    return names


def graph_stats(cell) -> tuple[int, int, int, int]:
    """(longest path in blocks, reads of input 0, reads of input 1, blocks no block reads) of a
    cell or its block tuple."""
    blocks = getattr(cell, "canonical_blocks", cell)
    depth: list[int] = []
    read = [False] * len(blocks)
    reads = [0, 0]
    for block in blocks:
        d = 1
        for _, inp in block:
            if inp < 2:
                reads[inp] += 1
            else:
                d = max(d, depth[inp - 2] + 1)
                read[inp - 2] = True
        depth.append(d)
    return max(depth), reads[0], reads[1], read.count(False)


def cell_features(cells: Sequence, num_ops: int, max_blocks: int) -> np.ndarray:
    """Features of canonical block tuples over ``num_ops`` ops."""
    NUM_OPS = num_ops  # noqa: N806 - the layout reads like the PNAS one
    slot = 1 + 2 * NUM_OPS + 2 * (max_blocks + 1)
    width = max_blocks * slot + NUM_OPS + 5
    out = np.zeros((len(cells), width), dtype=np.float32)
    for i, blocks in enumerate(cells):
        if len(blocks) > max_blocks:
            raise ValueError(
                f"cell {i} has {len(blocks)} blocks; this encoder supports at most "
                f"{max_blocks} (raise max_blocks)"
            )
        row = out[i]
        for k, ((op1, in1), (op2, in2)) in enumerate(blocks):
            base = k * slot
            row[base] = 1.0
            row[base + 1 + op1] = 1.0
            row[base + 1 + NUM_OPS + op2] = 1.0
            row[base + 1 + 2 * NUM_OPS + in1] = 1.0
            row[base + 1 + 2 * NUM_OPS + max_blocks + 1 + in2] = 1.0
            tail = max_blocks * slot
            row[tail + op1] += 1.0
            row[tail + op2] += 1.0
        tail = max_blocks * slot + NUM_OPS
        row[tail] = len(blocks)
        row[tail + 1 : tail + 5] = graph_stats(blocks)
    return out


def op_counts(cells: Sequence, num_ops: int) -> np.ndarray:
    """``[n, 1 + num_ops]``: an intercept and the count of each op in each block tuple."""
    out = np.zeros((len(cells), 1 + num_ops))
    out[:, 0] = 1.0
    for i, blocks in enumerate(cells):
        for block in blocks:
            for op, _ in block:
                out[i, 1 + op] += 1.0
    return out


class OneCellKind:
    """The encodings of a one-cell space (genotypes are PNAS ``Cell``s, global op codes)."""

    network = "nasbench.model.network:CellNetwork"

    def tokens(self, genotype) -> np.ndarray:
        return np.asarray(block_rows(genotype.canonical_blocks), dtype=np.int64)

    def vocab_size(self) -> int:
        return VOCAB_SIZE

    def features(self, genotypes, max_blocks: int) -> np.ndarray:
        return cell_features([g.canonical_blocks for g in genotypes], NUM_OPS, max_blocks)

    def cost_features(self, genotypes) -> np.ndarray:
        return op_counts([g.canonical_blocks for g in genotypes], NUM_OPS)
