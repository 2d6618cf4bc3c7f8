"""One-edit mutations of canonical block DAGs (any op vocabulary): the moves of regularized
evolution and the neighbourhoods of local search.

One edit changes one operand of one block: its op (to any other op of the vocabulary) or its
input (to a cell input or any block that does not depend on this block; in some block order
the new input comes first, so the cell stays acyclic and is renumbered into a valid order).
The block count is kept. ``distinct`` spaces never get a block reading one input twice.
"""
from __future__ import annotations

import numpy as np

from nasbench.space.cell import Block, canonical_blocks, dependencies, reorder, topological_orders

Edit = tuple[int, int, str, int]  # (block, operand, 'op' | 'in', new value)


def descendants(blocks) -> list[set[int]]:
    """For each block (0-based) the blocks that read it, directly or transitively."""
    deps = dependencies(blocks)
    n = len(blocks)
    out: list[set[int]] = [set() for _ in range(n)]
    for i in range(n):
        frontier = [j for j in range(n) if i in deps[j]]
        while frontier:
            j = frontier.pop()
            if j not in out[i]:
                out[i].add(j)
                frontier += [m for m in range(n) if j in deps[m]]
    return out


def edits(blocks: tuple[Block, ...], num_ops: int, distinct: bool = False) -> list[Edit]:
    """Every one-edit change of (canonical) ``blocks``."""
    desc = descendants(blocks)
    out: list[Edit] = []
    for i, block in enumerate(blocks):
        legal = [0, 1] + [m + 2 for m in range(len(blocks)) if m != i and m not in desc[i]]
        for j, (op, inp) in enumerate(block):
            other = block[1 - j][1]
            out += [(i, j, "op", o) for o in range(num_ops) if o != op]
            out += [(i, j, "in", x) for x in legal if x != inp and not (distinct and x == other)]
    return out


def apply_edit(blocks: tuple[Block, ...], edit: Edit) -> tuple[Block, ...]:
    """The canonical blocks after one edit (inputs may point to later blocks: reordered)."""
    i, j, kind, value = edit
    mutable = [list(map(list, b)) for b in blocks]
    mutable[i][j][0 if kind == "op" else 1] = value
    raw: list[Block] = [tuple(tuple(o) for o in b) for b in mutable]
    order = next(iter(topological_orders(raw)))
    return canonical_blocks(reorder(raw, order))


def mutate_blocks(blocks: tuple[Block, ...], rng: np.random.Generator, num_ops: int,
                  distinct: bool = False, max_tries: int = 100) -> tuple[Block, ...]:
    """One random edit of ``blocks`` giving a different canonical cell.

    As in Real et al. (AAAI 2019): an op edit or an input edit with probability 1/2 each,
    then a uniform edit of that kind (re-drawn within the kind while it leaves the cell
    unchanged; the other kind is used only when no edit of the drawn kind changes it).
    """
    blocks = canonical_blocks(blocks)
    by_kind: dict[str, list[Edit]] = {"op": [], "in": []}
    for edit in edits(blocks, num_ops, distinct):
        by_kind[edit[2]].append(edit)
    first = ("op", "in")[int(rng.integers(2))]
    for kind in (first, "in" if first == "op" else "op"):
        options = by_kind[kind]
        for _ in range(max_tries if options else 0):
            child = apply_edit(blocks, options[rng.integers(len(options))])
            if child != blocks:
                return child
    raise ValueError("no mutation changes this cell")


def neighbour_blocks(blocks: tuple[Block, ...], num_ops: int, distinct: bool = False) -> set:
    """All distinct canonical one-edit neighbours (excluding ``blocks`` itself)."""
    blocks = canonical_blocks(blocks)
    return {apply_edit(blocks, e) for e in edits(blocks, num_ops, distinct)} - {blocks}
