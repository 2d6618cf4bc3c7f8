"""`nasbench model summary`: params and FLOPs of the network built from a genotype of any space."""
from __future__ import annotations

import click

from nasbench.cli.common import Group, examples


@click.group(cls=Group, epilog=examples('nasbench model summary "sep3@0+max3@1"'))
def model() -> None:
    """Networks built from cells."""


@model.command("summary", epilog=examples(
    'nasbench model summary "sep3@0+max3@1"',
    'nasbench model summary "sep3@0+max3@1" --macro imagenet --N 4 --F 44'))
@click.argument("arch")
@click.option("--macro", type=click.Choice(["cifar", "imagenet"]), default="cifar", show_default=True)
@click.option("--N", "n_cells", type=click.IntRange(1), default=None, help="Cells per stage (default: 3 cifar, 3 imagenet).")
@click.option("--F", "filters", type=click.IntRange(2), default=None, help="Initial channels (default: 48 cifar, 54 imagenet).")
@click.option("--stem-multiplier", type=float, default=None, help="Default: 3 cifar, 1 imagenet.")
@click.option("--classes", type=click.IntRange(2), default=None, help="Default: 10 cifar, 1000 imagenet.")
@click.option("--size", type=click.IntRange(8), default=None, help="Input size (default: 32 cifar, 224 imagenet).")
@click.option("--channels", type=click.IntRange(1), default=3, show_default=True, help="Input channels.")
def summary(arch, macro, n_cells, filters, stem_multiplier, classes, size, channels) -> None:
    """Build ARCH's network (any space) and print its parameter count and multiply-adds."""
    from nasbench.model import MacroConfig, build_network, complexity
    from nasbench.space import parse_arch

    cell = parse_arch(arch)
    imagenet = macro == "imagenet"
    config = MacroConfig(
        macro=macro,
        N=n_cells or 3,
        F=filters or (54 if imagenet else 48),
        stem_multiplier=stem_multiplier if stem_multiplier is not None else (1.0 if imagenet else 3.0),
        num_classes=classes or (1000 if imagenet else 10),
        in_channels=channels,
    )
    size = size or (224 if imagenet else 32)
    net = build_network(cell, config)
    stats = complexity(net, (channels, size, size))
    click.echo(f"arch:      {cell.canonical_string}")
    click.echo(f"macro:     {macro} N={config.N} F={config.F} stem_multiplier={config.stem_multiplier}"
               f" classes={config.num_classes} input={channels}x{size}x{size}")
    if hasattr(net, "cells"):
        click.echo(f"cells:     {len(net.cells)}")
    click.echo(f"params:    {stats['params']:,} ({stats['params'] / 1e6:.2f}M)")
    click.echo(f"mult-adds: {stats['flops']:,} ({stats['flops'] / 1e6:.1f}M)")
