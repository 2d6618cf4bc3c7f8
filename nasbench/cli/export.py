"""`nasbench export syne-tune -t TABLE -o OUT`: a table in another library's format.

Heavy imports happen inside the commands so ``nasbench --help`` stays fast.
"""
from __future__ import annotations

import click

from nasbench.cli.common import Group, block_list, blocks_option, examples, out_option, table_option


@click.group("export", cls=Group, epilog=examples(
    "nasbench export syne-tune -t tables/digits-pnas -o runs/st-digits"))
def export() -> None:
    """Write a table in another library's format (syne-tune blackbox)."""


@export.command("syne-tune", epilog=examples(
    "nasbench export syne-tune -t tables/digits-pnas -o runs/st-digits",
    "nasbench export syne-tune -t tables/digits-pnas -o runs/st-b1 -b 1 --encoding blocks"))
@table_option()
@out_option(folder=True, help="Blackbox folder to write.")
@click.option("--encoding", type=click.Choice(["auto", "blocks", "cell"]), default="auto",
              show_default=True,
              help="Config space: per-block ops/inputs ('blocks'), one categorical over the "
                   "table's cells ('cell'); auto = blocks on a closed table, else cell.")
@blocks_option("Only these block counts.")
@click.option("--missing-seeds", type=click.Choice(["repeat", "nan"]), default="repeat",
              show_default=True,
              help="Seed slots a cell was not trained with: its recorded seeds repeated, or NaN.")
@click.option("--task", default=None, help="Task name in the blackbox (default: the dataset).")
def synetune(table, out, encoding, blocks, missing_seeds, task) -> None:
    """Write the table as a syne-tune tabular blackbox in folder OUT (fidelity = epoch)."""
    from nasbench.integrations import synetune as st

    try:
        st.require_synetune()
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None
    blocks = block_list(blocks) or None
    path = st.export(table, out, encoding=encoding, blocks=blocks, missing_seeds=missing_seeds,
                     task=task)
    bb = st.load(path)
    nb = bb.metadata["nasbench"]
    click.echo(f"{len(bb.archs)} cells x {len(nb['seeds'])} seed slots x {bb.max_epochs} epochs, "
               f"encoding {bb.encoding.kind} ({'closed' if nb['closed'] else 'sampled'} table), "
               f"elapsed_time measured on {nb['elapsed_time_device']}")
    click.echo(f"wrote {path} (read it with syne_tune.blackbox_repository.blackbox_tabular."
               f"deserialize or nasbench.integrations.synetune.load)")
