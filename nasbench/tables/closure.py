"""Closure of a table: does it hold every cell of its space up to some B, with enough seeds?

Why: replay is a measurement only when every cell an algorithm can ask for was trained (a
*closed* table); anything else needs a surrogate or restricts the algorithms. A cell counts as
present with a seed when the table holds a run of it with that seed whose status is not
``failed`` (``diverged`` is a measurement: the cell did diverge; ``failed`` is a crash that the
next build re-runs).

The check counts, it does not enumerate: a valid table holds only distinct canonical cells of
its space (:mod:`nasbench.tables.checks`), so B is complete iff it holds ``space.count(B)``
cells. Seed rules map a block count to the seeds every cell needs (key 0: every other B), in
the builder's ``--seeds`` spelling: ``("2", "1=3")`` = three seeds for B1, two for the rest.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

import numpy as np

#: The closed table's rule (issue 16): three seeds for B1 (PNAS's first level), two for the rest.
DEFAULT_SEEDS: Mapping[int, int] = {1: 3, 0: 2}


@dataclass(frozen=True)
class Level:
    """How much of one block count of the space a table holds."""

    num_blocks: int
    cells: int        # canonical cells of the space with this B
    present: int      # of them, in the table with at least one counted run
    min_seeds: int    # fewest counted seeds over the space's cells (0 when any is missing)
    required: int     # seeds each cell needs (0: no rule)
    short: int        # present cells with fewer than ``required`` seeds

    @property
    def missing(self) -> int:
        return self.cells - self.present

    @property
    def closed(self) -> bool:
        return self.missing == 0 and self.short == 0

    def problem(self) -> str | None:
        """One line when the level is not closed."""
        if self.closed:
            return None
        parts = [f"B{self.num_blocks} holds {self.present:,} of the space's {self.cells:,} cells "
                 f"({self.missing:,} missing)"]
        if self.short:
            parts.append(f"{self.short:,} present cell(s) with fewer than {self.required} seeds")
        return "not closed: " + ", ".join(parts)


def parse_seed_rule(items: Iterable[str]) -> dict[int, int]:
    """``("2", "1=3")`` -> ``{0: 2, 1: 3}`` (key 0: every other block count); one-line errors."""
    rule: dict[int, int] = {}
    for item in items:
        block, sep, count = str(item).rpartition("=")
        try:
            key = int(block) if sep else 0
            value = int(count)
        except ValueError:
            raise ValueError(f"seed rule {item!r}: expected N or B=N (e.g. 2 or 1=3)") from None
        if key < 0 or value < 1 or (sep and key < 1):
            raise ValueError(f"seed rule {item!r}: B must be >= 1 and N >= 1")
        rule[key] = value
    return rule


def required_seeds(rule: Mapping[int, int] | None, num_blocks: int) -> int:
    if not rule:
        return 0
    return int(rule.get(num_blocks, rule.get(0, 0)))


def levels(runs, space_name: str, bmax: int | None = None,
           seeds: Mapping[int, int] | None = None) -> list[Level]:
    """Closure of a runs DataFrame per B = 1..``bmax`` (default: the table's largest B; sizes
    the space does not have are skipped).

    Raises ValueError (one line) when the space cannot count its genotypes.
    """
    from nasbench.space import get_space

    space = get_space(space_name)
    counted = runs[runs["status"] != "failed"]
    per_cell = counted.groupby(["num_blocks", "arch_hash"])["seed"].nunique()
    top = int(runs["num_blocks"].max()) if bmax is None and len(runs) else int(bmax or 1)
    out = []
    for b in range(1, top + 1):
        if b not in space.sizes:  # no genotypes of this size (a family's 3 stages)
            continue
        try:
            total = int(space.count(b))
        except NotImplementedError:
            raise ValueError(f"space {space_name!r} cannot count its genotypes, so closure is undefined") from None
        have = per_cell.loc[b].to_numpy() if b in per_cell.index.get_level_values(0) else np.zeros(0, int)
        need = required_seeds(seeds, b)
        present = int(len(have))
        floor = int(have.min()) if present == total and present else 0
        out.append(Level(b, total, present, floor, need, int((have < need).sum())))
    return out


def closure_problems(runs, space_name: str, bmax: int | None = None,
                     seeds: Mapping[int, int] | None = None) -> list[str]:
    """One line per block count that is not closed (empty: closed up to ``bmax``)."""
    return [p for p in (lv.problem() for lv in levels(runs, space_name, bmax, seeds)) if p]


def summary(runs, space_name: str) -> dict:
    """The datasheet's closure figures: per B up to the table's largest, and the largest B up to
    which the table is closed (0: not even B1); ``None`` figures when the space cannot count."""
    try:
        found = levels(runs, space_name)
    except ValueError as exc:
        return {"closed_up_to": None, "levels": [], "note": str(exc)}
    closed = 0
    for lv in found:
        if not lv.closed:
            break
        closed = lv.num_blocks
    return {"closed_up_to": closed,
            "levels": [{**asdict(lv), "missing": lv.missing} for lv in found]}


def render(figures: dict) -> list[str]:
    """Markdown lines for the datasheet."""
    if figures.get("closed_up_to") is None or not figures["levels"]:
        return [f"Closure unknown: {figures.get('note', 'no runs')}."]
    b = figures["closed_up_to"]
    head = (f"**Closed up to B{b}**: every cell of the space with B <= {b} is in the table."
            if b else f"**Not closed**: the table lacks cells of the space at B{figures['levels'][0]['num_blocks']}.")
    lines = [head, "", "| blocks | cells in space | in table | missing | fewest seeds per cell |",
             "|---|---|---|---|---|"]
    for lv in figures["levels"]:
        lines.append(f"| {lv['num_blocks']} | {lv['cells']:,} | {lv['present']:,} | {lv['missing']:,} | "
                     f"{lv['min_seeds'] if lv['missing'] == 0 else '-'} |")
    return lines
