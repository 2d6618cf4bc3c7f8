"""The PNAS cell space: enumerate, expand, sample and count canonical cells of B blocks.

Facts (Liu et al., ECCV 2018): block k has k+1 possible inputs and 8 ops, hence
(k+1)^2 * 64 ordered choices (|B_1| = 256, |B_2| = 576 per added block). Canonical cells
are equivalence classes under operand swaps and dependency-respecting block orders.

* ``enumerate(b)`` streams canonical cells by orderly generation: a child is yielded from
  the parent obtained by deleting its last canonical block, so no global set is kept.
* ``count(b)`` is exact by Burnside's lemma over block relabelings x operand swaps (see
  :func:`_burnside_count`), cross-checked by brute force in the tests.
* ``sample(b, n, seed)`` is uniform over canonical cells: it proposes a uniform
  operand-sorted ordered cell and accepts it with probability 1/d, where d is the number of
  operand-sorted ordered cells of the same class.
"""
from __future__ import annotations

import builtins
import itertools
import math
from fractions import Fraction
from functools import lru_cache
from typing import Iterator

import numpy as np

from nasbench.space.cell import Block, Cell, canonical_blocks, reorder, topological_orders, _sorted_block

NUM_OPS = 8
NAME = "pnas"
MAX_B = 5


def block_choices(k: int) -> int:
    """Ordered choices for block number k (1-based): (k+1)^2 * 64 (the paper's |B_k|)."""
    return (k + 1) ** 2 * NUM_OPS**2


def ordered_count(b: int) -> int:
    """Number of ordered (not canonicalized) cells with exactly b blocks."""
    return math.prod(block_choices(k) for k in range(1, b + 1))


def _appendable_blocks(k: int) -> Iterator[Block]:
    """Every sorted-operand block that can stand at position k (1-based)."""
    operands = [(op, inp) for op in range(NUM_OPS) for inp in range(k + 1)]
    for a, b in itertools.combinations_with_replacement(operands, 2):
        yield (a, b)


def _check_b(b: int) -> None:
    if isinstance(b, bool) or not isinstance(b, int) or b < 1:
        raise ValueError(f"number of blocks must be a positive integer, got {b!r}")


def _children_blocks(parent: tuple[Block, ...]) -> dict[tuple[Block, ...], None]:
    children: dict[tuple[Block, ...], None] = {}
    for block in _appendable_blocks(len(parent) + 1):
        children.setdefault(canonical_blocks(parent + (block,)), None)
    return children


def expand(cell: Cell | str) -> list[Cell]:
    """All distinct canonical children of ``cell`` with one more block, in canonical order."""
    cell = Cell.parse(cell)
    return sorted(Cell(c) for c in _children_blocks(cell.canonical_blocks))


def enumerate(b: int) -> Iterator[Cell]:  # noqa: A001 - the DESIGN.md name
    """Stream every canonical cell with exactly ``b`` blocks, each once."""
    _check_b(b)
    for blocks in _enumerate_blocks(b):
        yield Cell(blocks)


def _enumerate_blocks(b: int) -> Iterator[tuple[Block, ...]]:
    if b == 1:
        seen = {}
        for block in _appendable_blocks(1):
            seen.setdefault(canonical_blocks((block,)), None)
        yield from sorted(seen)
        return
    for parent in _enumerate_blocks(b - 1):
        for child in _children_blocks(parent):
            if canonical_blocks(child[:-1]) == parent:
                yield child


def count(b: int) -> int:
    """Exact number of canonical cells with exactly b blocks."""
    _check_b(b)
    return _burnside_count(b)


def orbit_size(cell: Cell | str) -> int:
    """Number of distinct operand-sorted ordered cells that canonicalize to ``cell``."""
    blocks = Cell.parse(cell).blocks
    return len({tuple(_sorted_block(*blk) for blk in reorder(blocks, order))
                for order in topological_orders(blocks)})


def sample(b: int, n: int, seed: int | np.random.Generator = 0) -> list[Cell]:
    """``n`` cells drawn independently and uniformly over canonical cells with b blocks."""
    _check_b(b)
    if n < 0:
        raise ValueError(f"sample size must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    pools = [list(_appendable_blocks(k)) for k in range(1, b + 1)]
    out: list[Cell] = []
    while len(out) < n:
        blocks = tuple(pool[rng.integers(len(pool))] for pool in pools)
        d = orbit_size(Cell(blocks)) if b > 1 else 1
        if d == 1 or rng.random() < 1.0 / d:
            out.append(Cell(blocks).canonical())
    return out


def random_cell(b: int, rng: np.random.Generator) -> Cell:
    """One uniform canonical cell with ``b`` blocks from an explicit generator."""
    return sample(b, 1, rng)[0]


# ---------------------------------------------------------------------- Burnside count
def _cycles(perm: tuple[int, ...]) -> list[list[int]]:
    seen, cycles = set(), []
    for start in range(len(perm)):
        if start in seen:
            continue
        cyc, j = [], start
        while j not in seen:
            seen.add(j)
            cyc.append(j)
            j = perm[j]
        cycles.append(cyc)
    return cycles


def _weights(lengths: list[int], c: int, parity: int) -> dict[frozenset, int]:
    """Fixed choices for the representative block of cycle ``c``, by referenced-cycle set.

    With parity 0 the block must be fixed by sigma^L: each source is a cell input or a
    block of another cycle whose length divides L. With parity 1 the two operands are
    swapped images of each other: one op, and src2 = sigma^L(src1) with sigma^2L fixing it.
    """
    length = lengths[c]
    others = [d for d in range(len(lengths)) if d != c]
    w: dict[frozenset, int] = {}
    if parity == 0:
        allowed = [d for d in others if length % lengths[d] == 0]
        w[frozenset()] = NUM_OPS**2 * 4
        for d in allowed:
            w[frozenset([d])] = NUM_OPS**2 * ((2 + lengths[d]) ** 2 - 4)
        for d, e in itertools.combinations(allowed, 2):
            w[frozenset([d, e])] = NUM_OPS**2 * 2 * lengths[d] * lengths[e]
    else:
        allowed = [d for d in others if (2 * length) % lengths[d] == 0]
        w[frozenset()] = NUM_OPS * 2
        for d in allowed:
            w[frozenset([d])] = NUM_OPS * lengths[d]
    return w


def _count_weighted_dags(weights: list[dict[frozenset, int]]) -> int:
    """Sum over acyclic choices, each node v choosing a referenced set P with weight w_v(P).

    Inclusion-exclusion over the set T of unreferenced nodes (Robinson's recurrence).
    """
    nodes = frozenset(range(len(weights)))

    def closure_weight(v: int, allowed: frozenset) -> int:
        return sum(wt for p, wt in weights[v].items() if p <= allowed)

    @lru_cache(maxsize=None)
    def f(s: frozenset) -> int:
        if not s:
            return 1
        total = 0
        members = sorted(s)
        for r in range(1, len(members) + 1):
            for t in itertools.combinations(members, r):
                rest = s - frozenset(t)
                term = f(rest) * math.prod(closure_weight(v, rest) for v in t)
                total += term if r % 2 else -term
        return total

    return f(nodes)


@lru_cache(maxsize=None)
def _burnside_count(b: int) -> int:
    total = 0
    for perm in itertools.permutations(range(b)):
        cycles = _cycles(perm)
        lengths = [len(c) for c in cycles]
        for parities in itertools.product((0, 1), repeat=len(cycles)):
            ways_s = math.prod(2 ** (length - 1) for length in lengths)
            weights = [_weights(lengths, c, p) for c, p in builtins.enumerate(parities)]
            total += ways_s * _count_weighted_dags(weights)
    result = Fraction(total, math.factorial(b) * 2**b)
    assert result.denominator == 1, "Burnside sum must be divisible by |G|"
    return int(result)
