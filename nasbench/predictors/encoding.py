"""Cell encodings for the predictors, all computed from canonical cells.

* Token sequences (LSTM, MLP): PNAS reads a cell block by block as ``in1, in2, op1, op2``
  (Liu et al., ECCV 2018, Sec. 3.3). Inputs and ops share one vocabulary (distinct ids, one
  embedding table); id 0 is padding. Any number of blocks up to ``cell.MAX_BLOCKS`` fits, so a
  predictor trained on b blocks can score b+1-block children.
* Fixed-length features (XGBoost): per block slot (padded to ``max_blocks``) a presence flag
  and one-hot ``op1, op2, in1, in2``; then op counts, the number of blocks, the longest path
  through the blocks, reads of each cell input and the number of blocks no other block reads.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from nasbench.space.cell import MAX_BLOCKS, Cell
from nasbench.space.ops import OPS_SORTED

NUM_OPS = len(OPS_SORTED)
TOKENS_PER_BLOCK = 4
PAD = 0
#: Input ``i`` (0..MAX_BLOCKS) has id ``1 + i``; op ``o`` has id ``INPUT_TOKENS + 1 + o``.
INPUT_TOKENS = MAX_BLOCKS + 1
VOCAB_SIZE = 1 + INPUT_TOKENS + NUM_OPS
DEFAULT_MAX_BLOCKS = 5


def as_cells(archs: Iterable, what: str = "archs") -> list[Cell]:
    """Parse a sequence of architectures (strings, genotypes or Cells) into Cells.

    Raises a one-line ValueError naming the first bad item.
    """
    if isinstance(archs, (str, bytes, Cell)):
        raise ValueError(f"{what} must be a sequence of architectures, not a single {type(archs).__name__}")
    try:
        items = list(archs)
    except TypeError:
        raise ValueError(f"{what} must be a sequence of architectures, got {type(archs).__name__}") from None
    cells = []
    for i, arch in enumerate(items):
        try:
            cells.append(Cell.parse(arch))
        except ValueError as exc:
            raise ValueError(f"{what}[{i}]: {_one_line(exc)}") from None
    return cells


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def block_tokens(cell: Cell) -> np.ndarray:
    """``[num_blocks, 4]`` token ids ``(in1, in2, op1, op2)`` of the canonical blocks."""
    rows = [
        (1 + in1, 1 + in2, 1 + INPUT_TOKENS + op1, 1 + INPUT_TOKENS + op2)
        for (op1, in1), (op2, in2) in cell.canonical_blocks
    ]
    return np.asarray(rows, dtype=np.int64)


def encode_tokens(cells: Sequence[Cell]) -> tuple[np.ndarray, np.ndarray]:
    """Padded tokens ``[n, B, 4]`` (B = most blocks in ``cells``) and block counts ``[n]``."""
    lengths = np.array([c.num_blocks for c in cells], dtype=np.int64)
    width = int(lengths.max()) if len(cells) else 1
    tokens = np.full((len(cells), width, TOKENS_PER_BLOCK), PAD, dtype=np.int64)
    for i, cell in enumerate(cells):
        tokens[i, : cell.num_blocks] = block_tokens(cell)
    return tokens, lengths


# ---------------------------------------------------------------------- fixed features
def feature_names(max_blocks: int = DEFAULT_MAX_BLOCKS) -> list[str]:
    """Column names of :func:`encode_features`, in order."""
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


def graph_stats(cell: Cell) -> tuple[int, int, int, int]:
    """(longest path in blocks, reads of input 0, reads of input 1, blocks no block reads)."""
    depth: list[int] = []
    read = [False] * cell.num_blocks
    reads = [0, 0]
    for block in cell.canonical_blocks:
        d = 1
        for _, inp in block:
            if inp < 2:
                reads[inp] += 1
            else:
                d = max(d, depth[inp - 2] + 1)
                read[inp - 2] = True
        depth.append(d)
    return max(depth), reads[0], reads[1], read.count(False)


def encode_features(cells: Sequence[Cell], max_blocks: int = DEFAULT_MAX_BLOCKS) -> np.ndarray:
    """Fixed-length float32 features ``[n, len(feature_names(max_blocks))]``."""
    slot = 1 + 2 * NUM_OPS + 2 * (max_blocks + 1)
    width = max_blocks * slot + NUM_OPS + 5
    out = np.zeros((len(cells), width), dtype=np.float32)
    for i, cell in enumerate(cells):
        if cell.num_blocks > max_blocks:
            raise ValueError(
                f"cell {i} has {cell.num_blocks} blocks; this encoder supports at most "
                f"{max_blocks} (raise max_blocks)"
            )
        row = out[i]
        for k, ((op1, in1), (op2, in2)) in enumerate(cell.canonical_blocks):
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
        row[tail] = cell.num_blocks
        row[tail + 1 : tail + 5] = graph_stats(cell)
    return out
