"""Validate a table folder and merge tables of one protocol.

A path that is not a nasbench table at all (no folder, a missing file, a file that is not
Parquet, a Parquet without our metadata, a newer schema_version) raises one line
(FileNotFoundError or :class:`TableError`) -- never a pyarrow traceback. Everything else
is returned as a list of one-line problems.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import pyarrow as pa

from nasbench.tables import schema as S
from nasbench.tables.checks import table_problems
from nasbench.tables.closure import DEFAULT_SEEDS, closure_problems
from nasbench.tables.datasheet import write_datasheet
from nasbench.tables.io import read_tables, write_table
from nasbench.tables.schema import TableError


def validate(path: str | os.PathLike, deep: bool = False, closed: bool = False,
             bmax: int | None = None, seeds: Mapping[int, int] | None = None) -> list[str]:
    """Problems of the table at ``path`` (empty when valid); see :mod:`checks` for the rules.

    ``closed``: a valid table must also hold every cell of its space up to ``bmax`` (default: its
    largest B) with the seeds ``seeds`` asks for (default :data:`closure.DEFAULT_SEEDS`).
    """
    loaded = read_tables(path)
    problems = []
    if loaded.metadata != loaded.curves_metadata:
        problems.append(f"{S.CURVES_FILE}: metadata differs from {S.RUNS_FILE}'s")
    problems += table_problems(loaded.runs, loaded.curves, loaded.metadata, deep=deep)
    if closed and not problems:
        runs = loaded.runs.select(["arch_hash", "space", "num_blocks", "seed", "status"]).to_pandas()
        space = str(runs["space"].iloc[0]) if len(runs) else "pnas"
        problems += closure_problems(runs, space, bmax, DEFAULT_SEEDS if seeds is None else seeds)
    return problems


def assert_valid(path: str | os.PathLike, deep: bool = False) -> None:
    """Raise a one-line TableError naming the first problem (and how many more)."""
    problems = validate(path, deep=deep)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise TableError(f"table {path} is invalid: {problems[0]}{more}")


def merge_tables(out: str | os.PathLike, *paths: str | os.PathLike,
                 command: str | None = None) -> Path:
    """Merge valid tables of ONE protocol into ``out``; on a repeated (arch_hash, seed) the
    table listed later wins. Mixed protocols are refused with one line."""
    if not paths:
        raise ValueError("merge needs at least one table")
    loaded = []
    for path in paths:
        assert_valid(path)
        loaded.append(read_tables(path))
    first = loaded[0]
    for other in loaded[1:]:
        if other.metadata.protocol_hash != first.metadata.protocol_hash:
            raise TableError(f"cannot merge: {first.path} has protocol "
                             f"{first.metadata.protocol_hash} but {other.path} has "
                             f"{other.metadata.protocol_hash}; one table holds one protocol")
    provenance = {"merged_from": [{"path": str(t.path), "provenance": t.metadata.provenance}
                                  for t in loaded]}
    if command is not None:
        provenance["command"] = command
    out = write_table(out, pa.concat_tables([t.runs for t in loaded]),
                      pa.concat_tables([t.curves for t in loaded]), first.metadata.protocol,
                      provenance, protocol_hash=first.metadata.protocol_hash)
    write_datasheet(out)
    return out
