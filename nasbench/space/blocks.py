"""Canonical block DAGs over any op vocabulary: the machinery shared by every cell space.

A block is ``((op1, in1), (op2, in2))`` with op codes ``0..num_ops-1`` and inputs ``0, 1`` (the
cell inputs) or ``j >= 2`` (block j-1). Two cells are the same when they differ only by operand
swaps and dependency-respecting block orders (see :mod:`nasbench.space.cell`). ``distinct``
spaces (DARTS) require the two inputs of a block to differ.

* ``enumerate_blocks(b, ...)``: orderly generation, a child is yielded only from the parent
  obtained by deleting its last canonical block, so no global set is kept.
* ``burnside_count(b, ...)``: exact count by Burnside's lemma over block relabelings x
  operand swaps; cross-checked by brute force in the tests.
* ``sample_blocks(b, ...)``: uniform over canonical cells, by proposing a uniform
  operand-sorted ordered cell and accepting it with probability 1/d, d = the number of
  operand-sorted ordered cells of the same class.
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction
from functools import lru_cache
from typing import Iterator

import numpy as np

from nasbench.space.cell import Block, _sorted_block, canonical_blocks, reorder, topological_orders


def appendable_blocks(k: int, num_ops: int, distinct: bool = False) -> list[Block]:
    """Every sorted-operand block that can stand at position k (1-based)."""
    operands = [(op, inp) for op in range(num_ops) for inp in range(k + 1)]
    return [(a, b) for a, b in itertools.combinations_with_replacement(operands, 2)
            if not (distinct and a[1] == b[1])]


def children_blocks(parent: tuple[Block, ...], num_ops: int, distinct: bool = False) -> dict[tuple[Block, ...], None]:
    """Canonical block tuples with one block appended to ``parent`` (insertion ordered)."""
    children: dict[tuple[Block, ...], None] = {}
    for block in appendable_blocks(len(parent) + 1, num_ops, distinct):
        children.setdefault(canonical_blocks(parent + (block,)), None)
    return children


def enumerate_blocks(b: int, num_ops: int, distinct: bool = False) -> Iterator[tuple[Block, ...]]:
    """Every canonical block tuple of ``b`` blocks, each once."""
    if b == 1:
        seen: dict = {}
        for block in appendable_blocks(1, num_ops, distinct):
            seen.setdefault(canonical_blocks((block,)), None)
        yield from sorted(seen)
        return
    for parent in enumerate_blocks(b - 1, num_ops, distinct):
        for child in children_blocks(parent, num_ops, distinct):
            if canonical_blocks(child[:-1]) == parent:
                yield child


def orbit_size(blocks: tuple[Block, ...]) -> int:
    """Number of distinct operand-sorted ordered cells with the same canonical form."""
    return len({tuple(_sorted_block(*blk) for blk in reorder(blocks, order))
                for order in topological_orders(blocks)})


def sample_blocks(b: int, n: int, rng: np.random.Generator, num_ops: int,
                  distinct: bool = False) -> list[tuple[Block, ...]]:
    """``n`` canonical block tuples, independent and uniform over canonical cells."""
    pools = [appendable_blocks(k, num_ops, distinct) for k in range(1, b + 1)]
    out: list[tuple[Block, ...]] = []
    while len(out) < n:
        blocks = tuple(pool[rng.integers(len(pool))] for pool in pools)
        d = orbit_size(blocks) if b > 1 else 1
        if d == 1 or rng.random() < 1.0 / d:
            out.append(canonical_blocks(blocks))
    return out


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


def _weights(lengths: list[int], c: int, parity: int, num_ops: int, distinct: bool) -> dict[frozenset, int]:
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
        same = 1 if distinct else 0  # subtract pairs with src1 == src2
        w[frozenset()] = num_ops**2 * (4 - 2 * same)
        for d in allowed:
            w[frozenset([d])] = num_ops**2 * ((2 + lengths[d]) ** 2 - 4 - same * lengths[d])
        for d, e in itertools.combinations(allowed, 2):
            w[frozenset([d, e])] = num_ops**2 * 2 * lengths[d] * lengths[e]
    else:
        allowed = [d for d in others if (2 * length) % lengths[d] == 0]
        # src2 = sigma^L(src1) equals src1 iff sigma^L fixes it (a cell input, or L_d | L)
        w[frozenset()] = 0 if distinct else num_ops * 2
        for d in allowed:
            w[frozenset([d])] = 0 if distinct and length % lengths[d] == 0 else num_ops * lengths[d]
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
def burnside_count(b: int, num_ops: int, distinct: bool = False) -> int:
    """Exact number of canonical cells of ``b`` blocks (Burnside over block relabelings x
    operand swaps)."""
    total = 0
    for perm in itertools.permutations(range(b)):
        cycles = _cycles(perm)
        lengths = [len(c) for c in cycles]
        for parities in itertools.product((0, 1), repeat=len(cycles)):
            ways_s = math.prod(2 ** (length - 1) for length in lengths)
            weights = [_weights(lengths, c, p, num_ops, distinct) for c, p in enumerate(parities)]
            total += ways_s * _count_weighted_dags(weights)
    result = Fraction(total, math.factorial(b) * 2**b)
    assert result.denominator == 1, "Burnside sum must be divisible by |G|"
    return int(result)
