"""``evolution``: regularized (aging) evolution (Real et al., AAAI 2019, Algorithm 1).

Works in every space through its ``mutate`` / ``neighbours`` (for cell spaces the edit below,
in one of the two cells of a two-cell space; for network families one field of one stage moved
to an adjacent value). The population starts as ``population`` uniform random cells (the ``random`` sampler:
B or B range, restricted to the table's cells in restricted replay). Each cycle draws
``sample`` members uniformly WITH replacement (as in the paper), mutates the one with the
best val_acc by one edit, evaluates the child, appends it and removes the OLDEST member.

One edit (:func:`mutate`): with probability 1/2 an op edit, else an input edit (Real et
al.), uniform over the edits of that kind: an op edit moves one operand of one block to one
of the 7 other ops, an input edit moves it to another legal input -- a cell input or any block that does not depend on this block (in some block
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
from nasbench.space import mutation
from nasbench.space.ops import NUM_OPS


def edits(cell: Cell) -> list[tuple[int, int, str, int]]:
    """Every one-edit change of the canonical blocks: (block, operand, 'op'|'in', value)."""
    return mutation.edits(cell.canonical_blocks, NUM_OPS)


def apply_edit(cell: Cell, edit) -> Cell:
    """The canonical cell after one edit (inputs may point to later blocks: reordered)."""
    return Cell(mutation.apply_edit(cell.canonical_blocks, edit))


def mutate(cell, rng: np.random.Generator) -> Cell:
    """One random edit of a PNAS ``cell`` giving a different canonical cell."""
    from nasbench.space.pnas import SPACE

    return SPACE.mutate(cell, rng)


def neighbours(cell) -> list[Cell]:
    """All distinct one-edit neighbours of ``cell`` (excluding the cell), sorted."""
    from nasbench.space.pnas import SPACE

    return SPACE.neighbours(cell)


@register("evolution")
def evolution_search(ctx: SearchContext, rng: np.random.Generator, *, blocks=None,
                     population: int = 100, sample: int = 25) -> None:
    """Regularized evolution; see the module docstring."""
    if int(population) < 2 or not 1 <= int(sample) <= int(population):
        raise ValueError(f"need population >= 2 and 1 <= sample <= population, "
                         f"got population={population}, sample={sample}")
    sampler = Sampler(ctx, blocks)
    space = sampler.space
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
                near_cache[parent] = [c.canonical_string for c in space.neighbours(parent)
                                      if ctx.contains(c)]
            near = near_cache[parent]
            if near:
                child = near[rng.integers(len(near))]
            else:
                child = sampler.draw(rng)
                ctx.trajectory.meta["restarts"] += 1
        else:
            child = space.mutate(parent, rng)
        r = ctx.evaluate(child)
        pop.append((r.arch, r.val_acc))
        pop.popleft()
