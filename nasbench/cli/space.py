"""`nasbench space ...`: list spaces; count, enumerate, sample and canonicalize genotypes."""
from __future__ import annotations

import itertools

import click

from nasbench.cli.common import Group, block_list, blocks_option, examples


def _checked(mod, b: int) -> int:
    mod.check_size(b)
    return b


def _space(name: str):
    from nasbench.space import get_space

    return get_space(name)


@click.group(cls=Group, epilog=examples("nasbench space list", "nasbench space count --space darts"))
def space() -> None:
    """Inspect a search space (counts, enumeration, samples, canonical forms)."""


@space.command("list", epilog=examples("nasbench space list"))
def list_cmd() -> None:
    """The registered design spaces, their sizes and one line each."""
    from nasbench.space import all_spaces

    for name, obj in all_spaces().items():
        sizes = ",".join(map(str, obj.default_sizes))
        click.echo(f"{name:<10} blocks {sizes:<10} {obj.description}")


@space.command("count", epilog=examples("nasbench space count -b 1-3", "nasbench space count --space amoeba"))
@click.option("--space", "space_name", default="pnas", show_default=True)
@blocks_option("Block counts (default: 1..5 for pnas, the space's own size otherwise).")
def count_cmd(space_name: str, blocks: tuple[int, ...]) -> None:
    """Exact number of canonical genotypes (and, for pnas, ordered cells) per block count."""
    mod = _space(space_name)
    ordered = getattr(mod, "ordered_count", None)
    click.echo(f"{'B':>2}  {'canonical genotypes':>28}" + (f"  {'ordered cells':>22}" if ordered else ""))
    for b in block_list(blocks) or mod.default_sizes:
        mod.check_size(b)
        line = f"{b:>2}  {mod.count(b):>28,}"
        click.echo(line + (f"  {ordered(b):>22,}" if ordered else ""))


@space.command("enumerate", epilog=examples("nasbench space enumerate -b 1 --limit 5",
                                            "nasbench space enumerate -b 1-2 --short"))
@click.option("--space", "space_name", default="pnas", show_default=True)
@blocks_option("Block counts.", required=True)
@click.option("--limit", type=click.IntRange(0), default=None, help="Stop after this many cells.")
@click.option("--short", is_flag=True, help="Print op aliases (sep3, max3, ...).")
def enumerate_cmd(space_name: str, blocks: int, limit: int | None, short: bool) -> None:
    """Stream every canonical genotype with exactly B blocks (each B in turn), one per line."""
    mod = _space(space_name)
    cells = itertools.chain.from_iterable(mod.enumerate(_checked(mod, b)) for b in block_list(blocks))
    for cell in itertools.islice(cells, limit):
        click.echo(cell.canonical().format(short=short) if space_name == "pnas" else cell.canonical_string)


@space.command("sample", epilog=examples("nasbench space sample -b 3 -n 5 --seed 1",
                                         "nasbench space sample --space darts -b 4 -n 2 --hash"))
@click.option("--space", "space_name", default="pnas", show_default=True)
@blocks_option("Block counts.", required=True)
@click.option("-n", type=click.IntRange(0), default=10, show_default=True, help="Genotypes per block count.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--hash", "show_hash", is_flag=True, help="Also print each arch_hash.")
def sample_cmd(space_name: str, blocks: int, n: int, seed: int, show_hash: bool) -> None:
    """Draw N genotypes (pnas and cell spaces: uniform over canonical cells) of each size B."""
    mod = _space(space_name)
    for cell in itertools.chain.from_iterable(mod.sample(_checked(mod, b), n, seed) for b in block_list(blocks)):
        click.echo(f"{cell.arch_hash}  {cell}" if show_hash else str(cell))


@space.command("canonical", epilog=examples('nasbench space canonical "sep5@0+max3@0"'))
@click.argument("arch")
def canonical_cmd(arch: str) -> None:
    """Print the canonical form and arch_hash of ARCH (any space; string or genotype list)."""
    from nasbench.space import parse_arch

    cell = parse_arch(arch)
    click.echo(f"canonical: {cell.canonical_string}")
    click.echo(f"arch_hash: {cell.arch_hash}")
    click.echo(f"blocks:    {cell.num_blocks}")
