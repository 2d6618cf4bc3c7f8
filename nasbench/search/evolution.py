"""``evolution``: regularized (aging) evolution (Real et al., AAAI 2019, Algorithm 1).

The population starts as ``population`` uniform random cells (the ``random`` sampler:
B or B range, restricted to the table's cells in restricted replay). Each cycle draws
``sample`` members uniformly WITH replacement (as in the paper), mutates the one with the
best val_acc by one edit, evaluates the child, appends it and removes the OLDEST member.

One edit (:func:`mutate`): pick a block and one of its two operands uniformly, then with
probability 1/2 change its op to one of the 7 others, else change its input to another
legal one -- a cell input or any block that does not depend on this block (in some block
order the new input comes first, so the cell stays acyclic; blocks are then renumbered
into a valid order). B is kept. A mutation that lands on a cell equal to the parent is
re-drawn. In restricted replay the child is drawn uniformly from the parent's one-edit
neighbours that the table holds; when none is, a uniform table cell of the run's space
is used instead (a restart; counted in ``ctx.trajectory.meta['restarts']``).
"""
from __future__ import annotations

import collections

import numpy as np

from nasbench.search.base import SearchContext, register
from nasbench.search.random_search import Sampler
from nasbench.space import Cell
from nasbench.space.cell import Block, dependencies, topological_orders, reorder
from nasbench.space.ops import OPS_SORTED

NUM_OPS = len(OPS_SORTED)


def _descendants(blocks) -> list[set[int]]:
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


def edits(cell: Cell) -> list[tuple[int, int, str, int]]:
    """Every one-edit change of the canonical blocks: (block, operand, 'op'|'in', value)."""
    blocks = cell.canonical_blocks
    desc = _descendants(blocks)
    out = []
    for i, block in enumerate(blocks):
        legal = [0, 1] + [m + 2 for m in range(len(blocks)) if m != i and m not in desc[i]]
        for j, (op, inp) in enumerate(block):
            out += [(i, j, "op", o) for o in range(NUM_OPS) if o != op]
            out += [(i, j, "in", x) for x in legal if x != inp]
    return out


def apply_edit(cell: Cell, edit) -> Cell:
    """The canonical cell after one edit (inputs may point to later blocks: reordered)."""
    i, j, kind, value = edit
    blocks = [list(map(list, b)) for b in cell.canonical_blocks]
    blocks[i][j][0 if kind == "op" else 1] = value
    raw: list[Block] = [tuple(tuple(o) for o in b) for b in blocks]
    order = next(iter(topological_orders(raw)))  # inputs may now point to a later block
    return Cell(reorder(raw, order)).canonical()


def mutate(cell, rng: np.random.Generator, max_tries: int = 100) -> Cell:
    """One random edit of ``cell`` giving a different canonical cell."""
    cell = Cell.parse(cell)
    options = edits(cell)
    for _ in range(max_tries):
        child = apply_edit(cell, options[rng.integers(len(options))])
        if child != cell:
            return child
    raise ValueError(f"no mutation of {cell.canonical_string} changes it")


def neighbours(cell) -> list[Cell]:
    """All distinct one-edit neighbours of ``cell`` (excluding the cell), sorted."""
    cell = Cell.parse(cell)
    return sorted({apply_edit(cell, e) for e in edits(cell)} - {cell})


@register("evolution")
def evolution_search(ctx: SearchContext, rng: np.random.Generator, *, blocks=None,
                     population: int = 100, sample: int = 25) -> None:
    """Regularized evolution; see the module docstring."""
    if int(population) < 2 or not 1 <= int(sample) <= int(population):
        raise ValueError(f"need population >= 2 and 1 <= sample <= population, "
                         f"got population={population}, sample={sample}")
    sampler = Sampler(ctx, blocks)
    restricted = sampler.pool is not None
    pop: collections.deque = collections.deque()
    ctx.trajectory.meta["restarts"] = 0
    while len(pop) < population:
        r = ctx.evaluate(sampler.draw(rng))
        pop.append((r.arch, r.val_acc))
    near_cache: dict[str, list[str]] = {}
    while True:
        picks = rng.integers(len(pop), size=int(sample))
        vals = np.array([pop[i][1] for i in picks], dtype=float)
        parent = pop[picks[int(np.argmax(np.where(np.isfinite(vals), vals, -np.inf)))]][0]
        if restricted:
            if parent not in near_cache:
                near_cache[parent] = [c.canonical_string for c in neighbours(parent)
                                      if ctx.contains(c)]
            near = near_cache[parent]
            if near:
                child = near[rng.integers(len(near))]
            else:
                child = sampler.draw(rng)
                ctx.trajectory.meta["restarts"] += 1
        else:
            child = mutate(parent, rng)
        r = ctx.evaluate(child)
        pop.append((r.arch, r.val_acc))
        pop.popleft()
