"""Write and read nasbench tables: conform rows to schema v1, dedupe, sort, write atomically.

A table is a folder with ``runs.parquet`` and ``curves.parquet`` (plain Parquet, zstd, one
row group so a loaded column is one contiguous Arrow buffer) and ``TABLE.md``.

Rows are deduplicated by (arch_hash, seed) for runs and (arch_hash, seed, epoch) for
curves -- the LAST occurrence in the input wins, so appending re-run results and
rewriting keeps the newest -- and sorted by those keys, so every arch (and every run's
curve) is one contiguous, binary-searchable row range. Each file is replaced atomically
(temp file + fsync + ``os.replace``); a reader sees either the old or the new file.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nasbench.tables import schema as S
from nasbench.tables.schema import TableError


@dataclass(frozen=True)
class TableMetadata:
    """The nasbench key-value metadata of one Parquet file."""

    schema_version: int
    protocol: dict
    provenance: dict
    protocol_hash: str | None


@dataclass(frozen=True)
class LoadedTable:
    """Both files of a table as Arrow tables, plus their metadata (not yet validated)."""

    path: Path
    runs: pa.Table
    curves: pa.Table
    metadata: TableMetadata
    curves_metadata: TableMetadata


# ---------------------------------------------------------------------- conform
def conform(data: Any, schema: pa.Schema, name: str) -> pa.Table:
    """``data`` (list of dicts, DataFrame or Arrow table) as a table of exactly ``schema``.

    A missing nullable column is filled with nulls; a null float becomes NaN (DataFrames
    carry NaN as null); any other missing or extra column, a value that does not convert,
    or a null in a required column is a ValueError.
    """
    table = _as_arrow(data, name)
    if table is None:
        return schema.empty_table()
    cols = table.column_names
    missing = [f.name for f in schema if f.name not in cols and not f.nullable]
    extra = [c for c in cols if c not in schema.names]
    if missing or extra:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"unexpected column(s) {', '.join(extra)}"] if extra else [])
        raise ValueError(f"{name}: {'; '.join(parts)}")
    arrays = []
    for field in schema:
        if field.name not in cols:
            arrays.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table.column(field.name)
        try:
            column = column.cast(field.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise ValueError(f"{name}: column {field.name!r} does not convert to {field.type}: "
                             f"{_first_line(exc)}") from None
        if pa.types.is_floating(field.type) and column.null_count:
            column = pc.fill_null(column, math.nan)  # pandas turns NaN into null
        if not field.nullable and column.null_count:
            raise ValueError(f"{name}: column {field.name!r} has {column.null_count} null value(s)")
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=schema)


def _as_arrow(data: Any, name: str) -> pa.Table | None:
    if data is None:
        return None
    if isinstance(data, pa.Table):
        return data
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # a pandas DataFrame
        return pa.Table.from_pandas(data, preserve_index=False)
    if isinstance(data, (list, tuple)):
        return pa.Table.from_pylist(list(data)) if data else None
    raise ValueError(f"{name}: expected a list of dicts, a DataFrame or an Arrow table, "
                     f"got {type(data).__name__}")


def dedupe_sorted(table: pa.Table, keys: tuple[str, ...]) -> pa.Table:
    """Sorted by ``keys`` with one row per key: the last occurrence in input order wins."""
    n = table.num_rows
    if n < 2:
        return table
    order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys])  # stable
    ordered = table.take(order)
    last = np.ones(n, dtype=bool)
    differs = np.zeros(n - 1, dtype=bool)
    for key in keys:
        col = ordered.column(key)
        differs |= pc.not_equal(col.slice(0, n - 1), col.slice(1)).to_numpy(zero_copy_only=False)
    last[:-1] = differs
    return ordered if last.all() else ordered.filter(pa.array(last))


# ---------------------------------------------------------------------- write
def write_table(out_dir: str | os.PathLike, runs: Any, curves: Any, protocol: dict,
                provenance: dict, *, protocol_hash: str | None = None, check: bool = True,
                datasheet: bool = False) -> Path:
    """Write a schema-v1 table folder (runs.parquet, curves.parquet) and return its path.

    Pure I/O: TABLE.md is its callers' job (:func:`nasbench.tables.datasheet.write_datasheet`;
    ``datasheet=True`` is refused with that advice). ``protocol_hash`` defaults to the rows'
    single protocol_hash (or, for an empty table, :func:`schema.protocol_hash` of
    ``protocol``). With ``check`` the rows must pass :func:`checks.table_problems` (a
    TableError names the first problem). ``provenance`` gains ``created`` and
    ``nasbench_version`` if absent.
    """
    if datasheet:
        raise ValueError("write_table writes no TABLE.md; call nasbench.tables.write_datasheet(out) after it")
    from nasbench.version import __version__
    from nasbench.tables.checks import table_problems

    runs_t = dedupe_sorted(conform(runs, S.RUNS_SCHEMA, S.RUNS_FILE), S.RUNS_KEY)
    curves_t = dedupe_sorted(conform(curves, S.CURVES_SCHEMA, S.CURVES_FILE), S.CURVES_KEY)
    hashes = pc.unique(runs_t.column("protocol_hash")).to_pylist()
    if len(hashes) > 1:
        raise ValueError(f"runs mix {len(hashes)} protocols ({', '.join(hashes[:3])}); "
                         "one table holds one protocol")
    if protocol_hash is None:
        protocol_hash = hashes[0] if hashes else S.protocol_hash(protocol)
    elif hashes and hashes[0] != protocol_hash:
        raise ValueError(f"runs have protocol_hash {hashes[0]}, not the given {protocol_hash}")
    provenance = dict(provenance)
    provenance.setdefault("created", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    provenance.setdefault("nasbench_version", __version__)
    meta = S.encode_metadata(protocol, provenance, protocol_hash)
    runs_t = runs_t.replace_schema_metadata(meta)
    curves_t = curves_t.replace_schema_metadata(meta)
    if check:
        problems = table_problems(runs_t, curves_t, decode_metadata(meta, Path(out_dir)))
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise TableError(f"refusing to write an invalid table: {problems[0]}{more}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_parquet(curves_t, out / S.CURVES_FILE)
    atomic_write_parquet(runs_t, out / S.RUNS_FILE)
    return out


#: Low-cardinality columns worth dictionary encoding (arch strings and hashes are unique).
_DICTIONARY = ("space", "dataset", "protocol_hash", "device", "status", "error")


def atomic_write(path: Path, write) -> None:
    """Call ``write(fh)`` on a temp file beside ``path``, fsync it, then ``os.replace``: a crash
    leaves the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)


def atomic_write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` as Parquet to ``path`` atomically."""
    atomic_write(path, lambda fh: pq.write_table(
        table, fh, compression="zstd", row_group_size=max(1, table.num_rows),
        use_dictionary=[c for c in _DICTIONARY if c in table.column_names]))


def atomic_write_text(text: str, path: Path) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (TABLE.md, builder shards)."""
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- read
def table_dir(path: str | os.PathLike) -> Path:
    """The table folder for ``path`` (the folder, or one of its two Parquet files)."""
    p = Path(path)
    if p.is_file() and p.name in (S.RUNS_FILE, S.CURVES_FILE):
        p = p.parent
    if not p.exists():
        raise FileNotFoundError(f"no table at {p}")
    if not p.is_dir():
        raise TableError(f"{p} is not a nasbench table (a table is a folder with "
                         f"{S.RUNS_FILE} and {S.CURVES_FILE})")
    for name in (S.RUNS_FILE, S.CURVES_FILE):
        if not (p / name).is_file():
            raise TableError(f"{p} is not a nasbench table: {name} is missing")
    return p


def read_metadata(path: str | os.PathLike) -> TableMetadata:
    """Metadata of a table folder (read from runs.parquet) or of one of its Parquet files."""
    p = Path(path)
    file = p if p.is_file() and p.suffix == ".parquet" else table_dir(p) / S.RUNS_FILE
    return decode_metadata(_read_schema(file).metadata, file)


def _read_schema(file: Path) -> pa.Schema:
    try:
        return pq.read_schema(file)
    except (pa.ArrowException, OSError) as exc:
        raise TableError(f"{file} is not a readable Parquet file ({_first_line(exc)})") from None


def decode_metadata(meta: dict | None, where: Path) -> TableMetadata:
    """Parse the nasbench keys; a missing key, bad JSON or a newer version is a TableError."""
    meta = meta or {}
    raw = meta.get(S.KEY_VERSION.encode())
    if raw is None:
        raise TableError(f"{where} is not a nasbench table: no {S.KEY_VERSION} metadata")
    try:
        version = int(raw.decode())
    except ValueError:
        raise TableError(f"{where}: bad {S.KEY_VERSION} {raw[:20]!r}") from None
    if version > S.SCHEMA_VERSION:
        folder = where.parent if where.suffix == ".parquet" else where
        raise TableError(f"table {folder} has schema_version {version}; this nasbench reads "
                         f"up to {S.SCHEMA_VERSION} — upgrade nasbench")
    decoded = {}
    for key in (S.KEY_PROTOCOL, S.KEY_PROVENANCE):
        try:
            decoded[key] = json.loads(meta.get(key.encode(), b"{}").decode())
        except (ValueError, UnicodeDecodeError):
            raise TableError(f"{where}: {key} metadata is not valid JSON") from None
        if not isinstance(decoded[key], dict):
            raise TableError(f"{where}: {key} metadata is not a JSON object")
    ph = meta.get(S.KEY_PROTOCOL_HASH.encode())
    return TableMetadata(version, decoded[S.KEY_PROTOCOL], decoded[S.KEY_PROVENANCE],
                         ph.decode() if ph is not None else None)


def read_tables(path: str | os.PathLike) -> LoadedTable:
    """Read both files of a table. Raises FileNotFoundError / TableError (one line) for a
    path that is not a readable nasbench table of a supported version; no schema checks."""
    folder = table_dir(path)
    parts = []
    for name in (S.RUNS_FILE, S.CURVES_FILE):
        file = folder / name
        meta = decode_metadata(_read_schema(file).metadata, file)
        try:
            # Buffered, single-threaded reads, not a memory map: Parquet decodes into memory
            # anyway, the map only adds the file's pages to RSS, and reader threads keep
            # allocator caches (measured with benchmarks/table_speed.py).
            table = pq.ParquetFile(file, pre_buffer=False, buffer_size=1 << 20).read(
                use_threads=False)
        except (pa.ArrowException, OSError) as exc:
            raise TableError(f"{file} cannot be read ({_first_line(exc)})") from None
        parts.append((table, meta))
    pa.default_memory_pool().release_unused()
    (runs, meta), (curves, curves_meta) = parts
    return LoadedTable(folder, runs, curves, meta, curves_meta)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
