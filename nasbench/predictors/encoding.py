"""Genotype encodings for the predictors, all computed from canonical genotypes of one space.

* Token sequences (LSTM, MLP): PNAS reads a cell block by block as ``in1, in2, op1, op2``
  (Liu et al., ECCV 2018, Sec. 3.3). Inputs and ops share one vocabulary (distinct ids, one
  embedding table); id 0 is padding. Any number of blocks up to ``cell.MAX_BLOCKS`` fits, so a
  predictor trained on b blocks can score b+1-block children.
* Fixed-length features (XGBoost): per block slot (padded to ``max_blocks``) a presence flag
  and one-hot ``op1, op2, in1, in2``; then op counts, the number of blocks, the longest path
  through the blocks, reads of each cell input and the number of blocks no other block reads.

Other spaces: a two-cell genotype (NASNet, DARTS, ...) is read as its normal cell's blocks then
its reduction cell's (op ids from the space's own vocabulary; features: both cells' features side
by side); a network family is read as one 4-token "block" per stage (depth, width, bottleneck,
groups value indices; features: the values and their log2). A predictor is fitted on one space.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from nasbench.space import CellPair, parse_arch
from nasbench.space.cell import MAX_BLOCKS, Cell
from nasbench.space.families import NetSpec
from nasbench.space.ops import NUM_OPS, OPS_SORTED

TOKENS_PER_BLOCK = 4
PAD = 0
#: Input ``i`` (0..MAX_BLOCKS) has id ``1 + i``; op ``o`` has id ``INPUT_TOKENS + 1 + o``.
INPUT_TOKENS = MAX_BLOCKS + 1
VOCAB_SIZE = 1 + INPUT_TOKENS + NUM_OPS
DEFAULT_MAX_BLOCKS = 5
FAMILY_SLOTS = 16  # token ids per family field (value lists are shorter)


def as_cells(archs: Iterable, what: str = "archs") -> list:
    """Parse a sequence of architectures (strings or genotypes, all of one space) into genotypes.

    Raises a one-line ValueError naming the first bad item.
    """
    if isinstance(archs, (str, bytes, Cell, CellPair, NetSpec)):
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


def vocab_size(cells: Sequence) -> int:
    """Token vocabulary of ``cells``' space (PNAS: :data:`VOCAB_SIZE`)."""
    if not cells or isinstance(cells[0], Cell):
        return VOCAB_SIZE
    if isinstance(cells[0], NetSpec):
        return 1 + TOKENS_PER_BLOCK * FAMILY_SLOTS
    return 1 + INPUT_TOKENS + len(cells[0]._space.ops)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _blocks_tokens(blocks) -> list[tuple[int, int, int, int]]:
    return [(1 + in1, 1 + in2, 1 + INPUT_TOKENS + op1, 1 + INPUT_TOKENS + op2)
            for (op1, in1), (op2, in2) in blocks]


def block_tokens(cell) -> np.ndarray:
    """``[rows, 4]`` token ids: ``(in1, in2, op1, op2)`` per canonical block (a two-cell
    genotype: normal blocks then reduction blocks; a family: one row per stage)."""
    if isinstance(cell, NetSpec):
        from nasbench.space import get_space

        space = get_space(cell.space)
        fields = (cell.depths, cell.widths, cell.bottlenecks, cell.groups)
        names = ("d", "w", "b", "g")
        rows = [tuple(1 + f * FAMILY_SLOTS + (space.values[n].index(fields[f][s]) if n in space.values else 0)
                      for f, n in enumerate(names)) for s in range(cell.num_blocks)]
    elif isinstance(cell, CellPair):
        c = cell.canonical()
        rows = _blocks_tokens(c.normal) + _blocks_tokens(c.reduce)
    else:
        rows = _blocks_tokens(cell.canonical_blocks)
    return np.asarray(rows, dtype=np.int64)


def encode_tokens(cells: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Padded tokens ``[n, R, 4]`` (R = most rows in ``cells``) and row counts ``[n]``."""
    rows = [block_tokens(c) for c in cells]
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    width = int(lengths.max()) if len(cells) else 1
    tokens = np.full((len(cells), width, TOKENS_PER_BLOCK), PAD, dtype=np.int64)
    for i, r in enumerate(rows):
        tokens[i, : len(r)] = r
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


def graph_stats(cell) -> tuple[int, int, int, int]:
    """(longest path in blocks, reads of input 0, reads of input 1, blocks no block reads)."""
    blocks = cell.canonical_blocks if isinstance(cell, Cell) else cell
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


def encode_features(cells: Sequence, max_blocks: int = DEFAULT_MAX_BLOCKS) -> np.ndarray:
    """Fixed-length float32 features (PNAS: ``[n, len(feature_names(max_blocks))]``)."""
    if cells and isinstance(cells[0], NetSpec):
        return _family_features(cells)
    if cells and isinstance(cells[0], CellPair):
        num_ops = len(cells[0]._space.ops)
        pairs = [c.canonical() for c in cells]
        return np.hstack([_cell_features([p.blocks(kind) for p in pairs], num_ops, max_blocks)
                          for kind in ("normal", "reduce")])
    return _cell_features([c.canonical_blocks for c in cells], NUM_OPS, max_blocks)


def _family_features(specs) -> np.ndarray:
    rows = []
    for s in specs:
        values = np.array([s.depths, s.widths, s.bottlenecks, s.groups], dtype=np.float32).T.ravel()
        rows.append(np.concatenate([values, np.log2(values), [sum(s.depths)]]))
    return np.asarray(rows, dtype=np.float32)


def _cell_features(cells: Sequence, num_ops: int, max_blocks: int) -> np.ndarray:
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
