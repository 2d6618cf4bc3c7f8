"""The default miss policy of a replay comparison: ``error`` on a closed table, else ``restrict``.

A table closed up to B (:mod:`nasbench.tables.closure`: every cell of its space with at most B
blocks present) answers every cell an algorithm that searches at most B blocks can ask for, so
a miss there is a bug, not a reason to restrict the search. What an algorithm searches:
``pnas`` up to its ``Bmax``; an algorithm with a ``blocks`` option up to ``max(blocks)``
(``blocks=None`` unrestricted: the space's default sizes); anything else the space's largest
default size.
"""
from __future__ import annotations


def searched_b(arm: str, options: dict, default_max: int) -> int:
    """The largest block count the arm ``arm`` (e.g. ``pnas[Bmax=2]``) with extra ``options``
    can ask for."""
    from nasbench.search import get_algorithm
    from nasbench.search.arms import arm_options
    from nasbench.search.base import parse_blocks

    name, options = arm_options(arm, {arm: options})
    if name == "pnas":
        return int(options.get("Bmax", get_algorithm("pnas").defaults["Bmax"]))
    blocks = options.get("blocks")
    return max(parse_blocks(blocks)) if blocks is not None else int(default_max)


def closed_up_to(bench) -> int:
    """The largest B up to which the Benchmark ``bench`` holds every cell of its space (0: none)."""
    from nasbench.tables.closure import summary

    return summary(bench.runs, bench.space)["closed_up_to"] or 0


def default_miss(table, algorithms, options: dict | None = None) -> str:
    """'error' when ``table`` is closed up to the largest B any of ``algorithms`` searches."""
    from nasbench.space import get_space
    from nasbench.tables import Benchmark

    bench = Benchmark.open(table)
    closed = closed_up_to(bench)
    if not closed:
        return "restrict"
    top = max(get_space(bench.space).default_sizes)
    searched = max(searched_b(a, dict((options or {}).get(a, {})), top) for a in algorithms)
    return "error" if searched <= closed else "restrict"
