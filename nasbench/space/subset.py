"""Op-subset PNAS spaces (``pnas3``, ``pnas4``): the PNAS cell space over a subset of its 8 ops.

Why: a table that holds *every* cell up to some B (a closed table, where replay never needs a
surrogate) is affordable on CPUs only for a few ops (:doc:`docs/closed-replay.md`).

A genotype is a :class:`SubsetCell`: a PNAS :class:`~nasbench.space.cell.Cell` (same blocks,
same global op codes, so the model builder, the encoders and training treat it exactly as the
PNAS cell) whose ops all lie in the subset and whose strings carry the space's prefix:
``pnas4:conv_1x7_7x1@0+identity@1``. The body after the prefix is the PNAS canonical string of
the same cell: op codes rank op names, a subset keeps their order, so canonical forms agree
(:meth:`SubsetCell.to_pnas` / :meth:`SubsetSpace.from_pnas` convert). The arch_hash differs
(the prefix keeps spaces apart); the trained network does not, and training is seeded by the
seed alone, so a pnas4 row and the pnas row of the same body, protocol and seed are the same
measurement (bit-equal on CPU) and may be joined on the body.

Enumeration, counting (Burnside), sampling, expansion and mutation run the shared block
machinery (:mod:`nasbench.space.blocks`) on local op codes 0..k-1 and map them to the global
codes; the map is monotone, so canonical block tuples stay canonical.
"""
from __future__ import annotations

import math
from functools import cached_property
from typing import Iterator, Sequence

import numpy as np

from nasbench.space import blocks as dag
from nasbench.space import mutation
from nasbench.space.base import Decisions, Space, strip_prefix
from nasbench.space.cell import MAX_BLOCKS, Block, Cell, format_blocks
from nasbench.space.encoding import OneCellKind
from nasbench.space.ops import OP_RANK, OPS, OPS_SORTED, resolve_op


class SubsetCell(Cell):
    """A PNAS cell of an op-subset space (global op codes; ``<space>:``-prefixed strings)."""

    __slots__ = ()

    def __init__(self, space: "SubsetSpace", blocks: Sequence[Block]):
        super().__init__(blocks)
        self._space = space
        for k, block in enumerate(self.blocks, start=1):
            for op, _ in block:
                if op not in space.local:
                    raise ValueError(f"block {k}: op {OPS_SORTED[op]!r} is not in space {space.name!r} "
                                     f"(ops: {', '.join(space.ops)})")

    @property
    def space(self) -> str:  # type: ignore[override]
        return self._space.name

    def canonical(self) -> "SubsetCell":
        return SubsetCell(self._space, self.canonical_blocks)

    @cached_property
    def canonical_string(self) -> str:
        return f"{self._space.name}:{format_blocks(self.canonical_blocks)}"

    def format(self, short: bool = False) -> str:
        return f"{self._space.name}:{format_blocks(self.blocks, short=short)}"

    def to_pnas(self) -> Cell:
        """The same cell in the 8-op PNAS space (its canonical string is this one's body)."""
        return Cell(self.blocks)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Cell) and other.space == self.space
                and self.canonical_blocks == other.canonical_blocks)

    def __hash__(self) -> int:
        return hash((self._space.name, self.canonical_blocks))

    def __repr__(self) -> str:
        return f"SubsetCell({self.canonical_string!r})"


class SubsetSpace(OneCellKind, Space):
    """The PNAS space restricted to ``ops`` (any 1..8 of the PNAS ops; order is irrelevant)."""

    sizes = tuple(range(1, MAX_BLOCKS + 1))
    #: the closed level (every cell trained) -- B1 and B2; larger B by asking for it
    default_sizes = (1, 2)

    def __init__(self, name: str, ops: Sequence[str]):
        names = {resolve_op(op) for op in ops}
        if not names or len(names) != len(list(ops)):
            raise ValueError(f"space {name!r}: needs distinct PNAS ops, got {list(ops)}")
        self.name = name
        self.ops = tuple(op for op in OPS if op in names)  # in the PNAS order
        self.codes = tuple(sorted(OP_RANK[op] for op in names))  # global codes, increasing
        self.local = {g: i for i, g in enumerate(self.codes)}
        self.description = (f"PNAS over {len(self.ops)} of its ops ({', '.join(self.ops)}): one cell, "
                            "all blocks concatenated")

    # ------------------------------------------------------------------ code maps
    def from_local(self, blocks: Sequence[Block]) -> SubsetCell:
        """A cell from blocks whose op codes index this space's ops in name order (0..k-1)."""
        return SubsetCell(self, tuple(tuple((self.codes[op], inp) for op, inp in block) for block in blocks))

    def to_local(self, cell: SubsetCell) -> tuple[Block, ...]:
        """The canonical blocks of ``cell`` with local op codes 0..k-1."""
        return tuple(tuple((self.local[op], inp) for op, inp in block) for block in cell.canonical_blocks)

    def from_pnas(self, arch) -> SubsetCell:
        """The cell of this space equal to the PNAS cell ``arch`` (ValueError if an op is outside)."""
        from nasbench.space.pnas import SPACE as PNAS

        return SubsetCell(self, PNAS.parse(arch).blocks).canonical()

    # ------------------------------------------------------------------ grammar
    def parse(self, arch) -> SubsetCell:
        self.check_own(arch)
        if isinstance(arch, SubsetCell):
            return arch
        if isinstance(arch, str):
            arch = strip_prefix(arch, self.name)
        return SubsetCell(self, Cell.parse(arch).blocks)

    # ------------------------------------------------------------------ sets of cells
    def count(self, b: int) -> int:
        self.check_size(b)
        return dag.burnside_count(b, len(self.codes))

    def ordered_count(self, b: int) -> int:
        """Ordered (not canonicalized) cells of ``b`` blocks: prod_k (k+1)^2 |ops|^2."""
        self.check_size(b)
        return math.prod((k + 1) ** 2 * len(self.codes) ** 2 for k in range(1, b + 1))

    def enumerate(self, b: int) -> Iterator[SubsetCell]:
        self.check_size(b)
        for blocks in dag.enumerate_blocks(b, len(self.codes)):
            yield self.from_local(blocks)

    def sample(self, b: int, n: int, seed: int | np.random.Generator = 0) -> list[SubsetCell]:
        """``n`` cells, independent and uniform over canonical cells of ``b`` blocks."""
        self.check_size(b)
        if n < 0:
            raise ValueError(f"sample size must be >= 0, got {n}")
        rng = np.random.default_rng(seed)
        return [self.from_local(blocks) for blocks in dag.sample_blocks(b, n, rng, len(self.codes))]

    def draw(self, b: int, rng: np.random.Generator) -> SubsetCell:
        return self.sample(b, 1, rng)[0]

    def expand(self, arch) -> list[SubsetCell]:
        local = self.to_local(self.parse(arch))
        return sorted(self.from_local(c) for c in dag.children_blocks(local, len(self.codes)))

    def neighbours(self, arch) -> list[SubsetCell]:
        local = self.to_local(self.parse(arch))
        return sorted(self.from_local(c) for c in mutation.neighbour_blocks(local, len(self.codes)))

    def mutate(self, arch, rng: np.random.Generator) -> SubsetCell:
        """One random edit (:mod:`nasbench.space.mutation`) giving a different cell."""
        cell = self.parse(arch)
        try:
            return self.from_local(mutation.mutate_blocks(self.to_local(cell), rng, len(self.codes)))
        except ValueError:
            raise ValueError(f"no mutation of {cell.canonical_string} changes it") from None

    def decisions(self, blocks):
        return Decisions(num_ops=len(self.ops))

    def from_decisions(self, decoded) -> SubsetCell:
        """Controller ops index this space's ops (local codes)."""
        return self.from_local(decoded)


#: The 3- and 4-op spaces (docs/closed-replay.md says why these ops); others are one line each.
PNAS3 = SubsetSpace("pnas3", ("identity", "max_pool_3x3", "sep_conv_3x3"))
PNAS4 = SubsetSpace("pnas4", ("identity", "max_pool_3x3", "sep_conv_3x3", "conv_1x7_7x1"))
SPACES = (PNAS3, PNAS4)
