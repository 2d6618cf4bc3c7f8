"""``random``: uniform random search over canonical cells with a given B or B range.

* Unrestricted evaluators: uniform over the union of the canonical genotypes of the run's space
  with those block counts (a block count b is drawn with probability count(b) / sum of
  counts, then a genotype with ``space.sample``), from the run's rng. ``blocks=None`` means
  the space's default sizes (PNAS: 1..5).
* Restricted replay (``miss='restrict'``): uniform, with replacement, over the table's
  cells with those block counts (``blocks=None``: all of them). Draws come in chunks of
  ``chunk`` indices; when the evaluator supports row batches the chunk is looked up in one
  vectorised step (same draws, same results, ~1 us per evaluation).

Every evaluation counts against the budget, repeats included.
"""
from __future__ import annotations

import numpy as np

from nasbench.search.base import SearchContext, register, resolve_blocks


class Sampler:
    """Uniform cells of the run's space (see the module docstring); ``draw(rng)`` gives a
    canonical string (restricted) or a Cell."""

    def __init__(self, ctx: SearchContext, blocks):
        self.space = ctx.space
        self.blocks = resolve_blocks(ctx, blocks)
        self.pool = ctx.pool(self.blocks)
        if self.pool is None and len(self.blocks) > 1:
            counts = np.array([self.space.count(b) for b in self.blocks], dtype=float)
            self.p = counts / counts.sum()

    def draw(self, rng: np.random.Generator):
        if self.pool is not None:
            return self.pool[rng.integers(len(self.pool))]
        b = self.blocks[0] if len(self.blocks) == 1 else int(rng.choice(self.blocks, p=self.p))
        return self.space.sample(b, 1, rng)[0]


@register("random")
def random_search(ctx: SearchContext, rng: np.random.Generator, *, blocks=None,
                  chunk: int = 1000) -> None:
    """Evaluate uniform random cells until the budget is spent."""
    if int(chunk) < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    sampler = Sampler(ctx, blocks)
    pool = sampler.pool
    if pool is None:
        while True:
            ctx.evaluate(sampler.draw(rng))
    ev = ctx.evaluator
    rows = (np.concatenate([ev.rows(b) for b in sampler.blocks])
            if getattr(ev, "supports_rows", False) else None)
    while True:
        idx = rng.integers(len(pool), size=int(chunk))
        if rows is not None:
            ctx.evaluate_rows(rows[idx])
        else:
            for i in idx:
                ctx.evaluate(pool[i])
