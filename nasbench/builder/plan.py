"""Build plans: which (cell, seed) tasks a build trains.

A plan streams tasks (never materialising a whole B3 enumeration) and knows its size for the
progress bar. Kinds: exhaustive per block count, uniform samples per block count (reproducible
from a build seed), a file of arch strings, or every canonical b+1 child of the K best cells
of a table (the prefix structure that PNAS replay needs).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from nasbench.space import Cell, get_space, parse_arch, space_of


@dataclass(frozen=True)
class Task:
    """One unit of work: train ``arch`` (canonical string) with ``seed``."""

    arch: str
    arch_hash: str
    num_blocks: int
    seed: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.arch_hash, self.seed)

    @property
    def space(self) -> str:
        return space_of(self.arch) or "pnas"


@dataclass(frozen=True)
class Plan:
    """A stream of cells times seeds; ``cells`` is a zero-argument generator factory.

    ``seeds`` maps a block count to its seeds (key 0 = every other block count), so one plan
    can train B1 with three seeds and larger cells with one.
    """

    description: str
    cells: Callable[[], Iterable[Cell]]
    cells_per_block: dict[int, int]
    seeds: dict[int, tuple[int, ...]]

    @property
    def num_cells(self) -> int:
        return sum(self.cells_per_block.values())

    def seeds_for(self, num_blocks: int) -> tuple[int, ...]:
        return self.seeds.get(num_blocks, self.seeds[0])

    def __len__(self) -> int:
        return sum(n * len(self.seeds_for(b)) for b, n in self.cells_per_block.items())

    def tasks(self) -> Iterator[Task]:
        for cell in self.cells():
            for seed in self.seeds_for(cell.num_blocks):
                yield Task(cell.canonical_string, cell.arch_hash, cell.num_blocks, seed)


def seed_map(seeds) -> dict[int, tuple[int, ...]]:
    """Normalise seeds (a list, or a {num_blocks: seeds} dict with key 0 as default)."""
    mapping = dict(seeds) if isinstance(seeds, dict) else {0: seeds}
    if 0 not in mapping:
        raise ValueError("per-block seeds need a default (give plain --seeds too)")
    out = {}
    for b, values in mapping.items():
        values = tuple(sorted(set(values)))
        if not values or values[0] < 0:
            raise ValueError(f"seeds must be >= 0 and non-empty, got {list(values) or 'none'}")
        out[int(b)] = values
    return out


def _per_block(cells: list[Cell]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for cell in cells:
        counts[cell.num_blocks] = counts.get(cell.num_blocks, 0) + 1
    return counts


def _check(blocks: Iterable[int], seeds) -> tuple[list[int], dict[int, tuple[int, ...]]]:
    blocks = sorted(set(blocks))
    if not blocks or blocks[0] < 1:
        raise ValueError(f"block counts must be >= 1, got {blocks or 'none'}")
    return blocks, seed_map(seeds)


def exhaustive(blocks: Iterable[int], seeds: Iterable[int], space: str = "pnas") -> Plan:
    """Every canonical cell of each block count."""
    blocks, seeds = _check(blocks, seeds)
    mod = get_space(space)
    for b in blocks:
        mod.check_size(b)
    return Plan(f"exhaustive {space} B={blocks}", lambda: itertools.chain.from_iterable(
        mod.enumerate(b) for b in blocks), {b: mod.count(b) for b in blocks}, seeds)


def sampled(blocks: Iterable[int], n: int, seeds: Iterable[int], build_seed: int = 0,
            space: str = "pnas", accept: Callable | None = None, window: str = "") -> Plan:
    """``n`` distinct uniform cells per block count (all of them where fewer exist).

    ``accept(genotype) -> bool`` restricts the draws (e.g. :func:`params_window`, the NDS way of
    comparing spaces at one complexity); ``window`` describes it in the plan's description.
    """
    blocks, seeds = _check(blocks, seeds)
    if n < 1:
        raise ValueError(f"--sample must be >= 1, got {n}")
    mod = get_space(space)
    for b in blocks:
        mod.check_size(b)
    per_block = {b: min(n, _count_or_inf(mod, b)) for b in blocks}

    def cells() -> Iterator[Cell]:
        for b in blocks:
            if accept is None and per_block[b] == _count_or_inf(mod, b):
                yield from mod.enumerate(b)
                continue
            chosen: dict[Cell, None] = {}
            draw = 0
            while len(chosen) < per_block[b]:
                for cell in mod.sample(b, per_block[b], [build_seed, b, draw]):
                    if len(chosen) < per_block[b] and (accept is None or accept(cell)):
                        chosen.setdefault(cell, None)
                draw += 1
                if draw > 1000:
                    raise ValueError(f"only {len(chosen)} of {per_block[b]} {space} genotypes with "
                                     f"{b} blocks fit {window or 'the filter'} after {draw * per_block[b]} draws")
            yield from chosen

    prefix = "" if space == "pnas" else f"{space}: "
    suffix = f", {window}" if window else ""
    return Plan(f"{prefix}sample {n} per B={blocks} (build seed {build_seed}{suffix})", cells, per_block, seeds)


def params_window(protocol, max_params: int | None = None, min_params: int | None = None,
                  data_dir: str | None = None) -> Callable:
    """``accept(genotype)``: its network under ``protocol`` has ``min_params <= params <=
    max_params`` (counted without allocating: :func:`nasbench.model.network_params`)."""
    from nasbench.builder.train import data_for
    from nasbench.model import network_params

    data = data_for(protocol, data_dir)
    config = protocol.macro_config(num_classes=data.num_classes, in_channels=data.input_shape[0])
    low, high = min_params or 0, max_params if max_params is not None else float("inf")

    def accept(genotype) -> bool:
        return low <= network_params(genotype, config) <= high

    return accept


def _count_or_inf(space, b: int):
    try:
        return space.count(b)
    except NotImplementedError:
        return float("inf")


def from_file(path: str | Path, seeds: Iterable[int], space: str | None = None) -> Plan:
    """Arch strings, one per line (blank lines and ``#`` comments skipped), deduplicated; all
    of one space (``space``, else the first line's)."""
    _, seeds = _check([1], seeds)
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise FileNotFoundError(f"cannot read plan file {path}: {exc.strerror}") from None
    unique: dict[Cell, None] = {}
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            arch = parse_arch(text, space).canonical()
            space = arch.space
            unique.setdefault(arch, None)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
    if not unique:
        raise ValueError(f"plan file {path} names no architecture")
    cells = list(unique)
    return Plan(f"file {path}", lambda: iter(cells), _per_block(cells), seeds)


def children_of(table: str | Path, top: int, seeds: Iterable[int], by: str = "val_acc") -> Plan:
    """Every canonical b+1 child of the ``top`` best cells (by mean ``by``) of each block count
    of ``table`` (only the largest block count present is expanded)."""
    import pandas as pd

    _, seeds = _check([1], seeds)
    if top < 1:
        raise ValueError(f"--top must be >= 1, got {top}")
    import pyarrow.parquet as pq

    path = Path(table) / "runs.parquet"
    names = pq.read_schema(path).names
    runs = pd.read_parquet(path, columns=[c for c in ("arch", "space", "num_blocks", "status", by) if c in names])
    runs = runs[runs.status == "ok"]
    if runs.empty:
        raise ValueError(f"table {table} has no finished runs to expand")
    b = int(runs.num_blocks.max())
    means = runs[runs.num_blocks == b].groupby("arch")[by].mean().sort_values(ascending=False, kind="stable")
    space = get_space(str(runs.space.iloc[0]) if "space" in runs else "pnas")
    parents = [space.parse(a) for a in means.index[:top]]
    children: dict = {}
    for parent in parents:
        for child in space.expand(parent):
            children.setdefault(child, None)
    cells = list(children)
    return Plan(f"children of top {top} B={b} cells of {table}", lambda: iter(cells), _per_block(cells), seeds)
