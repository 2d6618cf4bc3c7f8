"""`nasbench export syne-tune TABLE OUT`: a table in another library's format.

Heavy imports happen inside the commands so ``nasbench --help`` stays fast.
"""
from __future__ import annotations

import click

from nasbench.cli.common import Group, parse_int_range


@click.group("export", cls=Group)
def export() -> None:
    """Write a table in another library's format (syne-tune blackbox)."""


@export.command("syne-tune")
@click.argument("table", type=click.Path(exists=True, file_okay=False))
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--encoding", type=click.Choice(["auto", "blocks", "cell"]), default="auto",
              show_default=True,
              help="Config space: per-block ops/inputs ('blocks'), one categorical over the "
                   "table's cells ('cell'); auto = blocks on a closed table, else cell.")
@click.option("--blocks", default=None, help="Only these block counts, e.g. '1' or '1-3'.")
@click.option("--missing-seeds", type=click.Choice(["repeat", "nan"]), default="repeat",
              show_default=True,
              help="Seed slots a cell was not trained with: its recorded seeds repeated, or NaN.")
@click.option("--task", default=None, help="Task name in the blackbox (default: the dataset).")
def synetune(table, out, encoding, blocks, missing_seeds, task) -> None:
    """Write TABLE as a syne-tune tabular blackbox in folder OUT (fidelity = epoch)."""
    from nasbench.integrations import synetune as st

    try:
        st.require_synetune()
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None
    blocks = parse_int_range(blocks, "--blocks") if blocks else None
    path = st.export(table, out, encoding=encoding, blocks=blocks, missing_seeds=missing_seeds,
                     task=task)
    bb = st.load(path)
    nb = bb.metadata["nasbench"]
    click.echo(f"{len(bb.archs)} cells x {len(nb['seeds'])} seed slots x {bb.max_epochs} epochs, "
               f"encoding {bb.encoding.kind} ({'closed' if nb['closed'] else 'sampled'} table), "
               f"elapsed_time measured on {nb['elapsed_time_device']}")
    click.echo(f"wrote {path} (read it with syne_tune.blackbox_repository.blackbox_tabular."
               f"deserialize or nasbench.integrations.synetune.load)")
