"""`nasbench space ...`: count, enumerate, sample and canonicalize cells."""
from __future__ import annotations

import itertools

import click

from nasbench.cli.common import Group


def _space(name: str):
    from nasbench.space import get_space

    return get_space(name)


@click.group(cls=Group)
def space() -> None:
    """Inspect a search space (counts, enumeration, samples, canonical forms)."""


@space.command("count")
@click.option("--space", "space_name", default="pnas", show_default=True)
@click.option("--blocks", "-b", type=click.IntRange(1, 12), multiple=True, help="Block counts (default 1..5).")
def count_cmd(space_name: str, blocks: tuple[int, ...]) -> None:
    """Exact number of canonical cells (and ordered cells) per block count."""
    mod = _space(space_name)
    click.echo(f"{'B':>2}  {'canonical cells':>20}  {'ordered cells':>22}")
    for b in blocks or range(1, 6):
        click.echo(f"{b:>2}  {mod.count(b):>20,}  {mod.ordered_count(b):>22,}")


@space.command("enumerate")
@click.option("--space", "space_name", default="pnas", show_default=True)
@click.option("--blocks", "-b", type=click.IntRange(1, 12), required=True)
@click.option("--limit", type=click.IntRange(0), default=None, help="Stop after this many cells.")
@click.option("--short", is_flag=True, help="Print op aliases (sep3, max3, ...).")
def enumerate_cmd(space_name: str, blocks: int, limit: int | None, short: bool) -> None:
    """Stream every canonical cell with exactly B blocks, one per line."""
    for cell in itertools.islice(_space(space_name).enumerate(blocks), limit):
        click.echo(cell.canonical().format(short=short))


@space.command("sample")
@click.option("--space", "space_name", default="pnas", show_default=True)
@click.option("--blocks", "-b", type=click.IntRange(1, 12), required=True)
@click.option("-n", type=click.IntRange(0), default=10, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--hash", "show_hash", is_flag=True, help="Also print each arch_hash.")
def sample_cmd(space_name: str, blocks: int, n: int, seed: int, show_hash: bool) -> None:
    """Draw N cells uniformly over canonical cells with B blocks."""
    for cell in _space(space_name).sample(blocks, n, seed):
        click.echo(f"{cell.arch_hash}  {cell}" if show_hash else str(cell))


@space.command("canonical")
@click.argument("arch")
def canonical_cmd(arch: str) -> None:
    """Print the canonical form and arch_hash of ARCH (string or genotype list)."""
    from nasbench.space import Cell

    cell = Cell.parse(arch)
    click.echo(f"canonical: {cell.canonical_string}")
    click.echo(f"arch_hash: {cell.arch_hash}")
    click.echo(f"blocks:    {cell.num_blocks}")
