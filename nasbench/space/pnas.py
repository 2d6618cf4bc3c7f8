"""The PNAS cell space: enumerate, expand, sample and count canonical cells of B blocks.

Facts (Liu et al., ECCV 2018): block k has k+1 possible inputs and 8 ops, hence
(k+1)^2 * 64 ordered choices (|B_1| = 256, |B_2| = 576 per added block). Canonical cells
are equivalence classes under operand swaps and dependency-respecting block orders.

* ``enumerate(b)`` streams canonical cells by orderly generation: a child is yielded from
  the parent obtained by deleting its last canonical block, so no global set is kept.
* ``count(b)`` is exact by Burnside's lemma over block relabelings x operand swaps (see
  :func:`nasbench.space.blocks.burnside_count`), cross-checked by brute force in the tests.
* ``sample(b, n, seed)`` is uniform over canonical cells: it proposes a uniform
  operand-sorted ordered cell and accepts it with probability 1/d, where d is the number of
  operand-sorted ordered cells of the same class.
"""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from nasbench.space import blocks as dag
from nasbench.space.base import Decisions, Space
from nasbench.space.cell import Cell
from nasbench.space.encoding import OneCellKind
from nasbench.space.mutation import mutate_blocks, neighbour_blocks
from nasbench.space.ops import NUM_OPS, OPS
NAME = "pnas"
MAX_B = 5


def block_choices(k: int) -> int:
    """Ordered choices for block number k (1-based): (k+1)^2 * 64 (the paper's |B_k|)."""
    return (k + 1) ** 2 * NUM_OPS**2


def ordered_count(b: int) -> int:
    """Number of ordered (not canonicalized) cells with exactly b blocks."""
    return math.prod(block_choices(k) for k in range(1, b + 1))


def _check_b(b: int) -> None:
    if isinstance(b, bool) or not isinstance(b, int) or b < 1:
        raise ValueError(f"number of blocks must be a positive integer, got {b!r}")


def expand(cell: Cell | str) -> list[Cell]:
    """All distinct canonical children of ``cell`` with one more block, in canonical order."""
    cell = Cell.parse(cell)
    return sorted(Cell(c) for c in dag.children_blocks(cell.canonical_blocks, NUM_OPS))


def enumerate(b: int) -> Iterator[Cell]:  # noqa: A001 - the DESIGN.md name
    """Stream every canonical cell with exactly ``b`` blocks, each once."""
    _check_b(b)
    for blocks in dag.enumerate_blocks(b, NUM_OPS):
        yield Cell(blocks)


def count(b: int) -> int:
    """Exact number of canonical cells with exactly b blocks."""
    _check_b(b)
    return dag.burnside_count(b, NUM_OPS)


def orbit_size(cell: Cell | str) -> int:
    """Number of distinct operand-sorted ordered cells that canonicalize to ``cell``."""
    return dag.orbit_size(Cell.parse(cell).blocks)


def sample(b: int, n: int, seed: int | np.random.Generator = 0) -> list[Cell]:
    """``n`` cells drawn independently and uniformly over canonical cells with b blocks."""
    _check_b(b)
    if n < 0:
        raise ValueError(f"sample size must be >= 0, got {n}")
    return [Cell(blocks) for blocks in dag.sample_blocks(b, n, np.random.default_rng(seed), NUM_OPS)]


def random_cell(b: int, rng: np.random.Generator) -> Cell:
    """One uniform canonical cell with ``b`` blocks from an explicit generator."""
    return sample(b, 1, rng)[0]


class PNASSpace(OneCellKind, Space):
    """The PNAS cell space as a :class:`~nasbench.space.base.Space` (one cell, all blocks
    concatenated; unprefixed arch strings)."""

    name = NAME
    description = "PNAS (Liu et al., ECCV 2018): one cell, 8 ops, B blocks, all outputs concatenated"
    sizes = tuple(range(1, 9))
    default_sizes = tuple(range(1, MAX_B + 1))

    ops = OPS

    def parse(self, arch) -> Cell:
        self.check_own(arch)
        if isinstance(arch, str) and arch.strip().startswith(NAME + ":"):
            arch = arch.strip()[len(NAME) + 1:]
        return Cell.parse(arch)

    def sample(self, b, n, seed=0):
        return sample(b, n, seed)

    def draw(self, b, rng):
        return random_cell(b, rng)

    def count(self, b):
        return count(b)

    def ordered_count(self, b):
        return ordered_count(b)

    def enumerate(self, b):
        return enumerate(b)

    def expand(self, arch):
        return expand(self.parse(arch))

    def neighbours(self, arch):
        """All distinct one-edit neighbours of ``arch`` (excluding it), sorted."""
        return sorted(Cell(b) for b in neighbour_blocks(self.parse(arch).canonical_blocks, NUM_OPS))

    def mutate(self, arch, rng):
        """One random edit (:mod:`nasbench.space.mutation`) giving a different cell."""
        cell = self.parse(arch)
        try:
            return Cell(mutate_blocks(cell.canonical_blocks, rng, NUM_OPS))
        except ValueError:
            raise ValueError(f"no mutation of {cell.canonical_string} changes it") from None

    def decisions(self, blocks):
        return Decisions()

    def from_decisions(self, decoded) -> Cell:
        return Cell(decoded)


SPACE = PNASSpace()
