"""The `nasbench` command line. Thin: each subcommand parses options and calls the library.

Subcommands live one area per module (space, model, build, query, predictor, search,
analyze, export); each is registered in :data:`COMMANDS` below.
"""
from __future__ import annotations

import importlib

import click

from nasbench import __version__
from nasbench.cli.common import Group, examples

#: (module, attribute) of every top-level command or group, in help order.
COMMANDS = [
    ("nasbench.cli.build", "build"),
    ("nasbench.cli.query", "info"),
    ("nasbench.cli.query", "query"),
    ("nasbench.cli.query", "table"),
    ("nasbench.cli.predictor", "predictor"),
    ("nasbench.cli.search", "search"),
    ("nasbench.cli.analyze", "analyze"),
    ("nasbench.cli.space", "space"),
    ("nasbench.cli.model", "model"),
    ("nasbench.cli.export", "export"),
]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]}, epilog=examples(
    "nasbench build --quick --out runs/quick", "nasbench query --top 5"))
@click.version_option(__version__, prog_name="nasbench")
def main() -> None:
    """nasbench: build, query, predict, search and analyze tabular NAS benchmarks."""


for _module, _attr in COMMANDS:
    main.add_command(getattr(importlib.import_module(_module), _attr))
