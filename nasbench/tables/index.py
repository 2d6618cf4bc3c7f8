"""The in-memory index of a Benchmark: uint64 arch keys, sorted rows, curve row ranges.

Each 16-hex arch_hash becomes a uint64 whose numeric order equals the string order
(computed from the raw Arrow string buffer, SWAR, in blocks). Runs and curves are sorted by
(arch_hash, seed[, epoch]); every run row gets the [lo, hi) range of its curve rows, so a
point query is one ``searchsorted`` over the distinct archs plus O(1) arithmetic.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from nasbench.tables.schema import TableError

_IS_HEX = np.zeros(256, dtype=bool)
_IS_HEX[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = True


def _pack_hex_words(words: np.ndarray) -> np.ndarray:
    """8 ASCII hex digits per big-endian uint64 word -> their 32-bit value (SWAR)."""
    u = np.uint64
    v = (words & u(0x0F0F0F0F0F0F0F0F)) + u(9) * ((words >> u(6)) & u(0x0101010101010101))
    v = (v | (v >> u(4))) & u(0x00FF00FF00FF00FF)
    v = (v | (v >> u(8))) & u(0x0000FFFF0000FFFF)
    return (v | (v >> u(16))) & u(0x00000000FFFFFFFF)


def hash_keys(column: pa.ChunkedArray, block: int = 1 << 16) -> np.ndarray:
    """uint64 keys of a column of 16-lowercase-hex strings (keys sort like the strings),
    computed from the raw string buffer in blocks so temporaries stay small."""
    keys = np.empty(len(column), dtype=np.uint64)
    at = 0
    for chunk in column.chunks:
        n = len(chunk)
        if n == 0:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + n + 1]
        if offsets[-1] - offsets[0] != 16 * n or not (np.diff(offsets) == 16).all():
            raise TableError("arch_hash values must be 16 lowercase hex digits")
        raw = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
        for lo in range(0, n, block):
            part = raw[16 * lo:16 * min(n, lo + block)]
            if not _IS_HEX[part].all():
                raise TableError("arch_hash values must be 16 lowercase hex digits")
            words = part.view(">u8").reshape(-1, 2).astype(np.uint64)
            keys[at + lo:at + lo + len(words)] = (
                (_pack_hex_words(words[:, 0]) << np.uint64(32)) | _pack_hex_words(words[:, 1]))
        at += n
    return keys


class Columns:
    """Row access without pandas: numeric columns as (zero-copy) numpy, strings as Arrow."""

    def __init__(self, table: pa.Table):
        self.data: dict[str, Any] = {}
        for name in table.column_names:
            col = table.column(name)
            if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
                self.data[name] = column_numpy(col)
            else:
                self.data[name] = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()

    def value(self, name: str, i: int):
        v = self.data[name][i]
        return v.as_py() if isinstance(v, pa.Scalar) else v.item()

    def row(self, i: int, names) -> dict:
        return {name: self.value(name, i) for name in names}


def column_numpy(column: pa.ChunkedArray) -> np.ndarray:
    """A column as numpy, zero-copy when it is one chunk without nulls."""
    arr = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return arr.to_numpy(zero_copy_only=False)


def _adjacent(cols: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(row i+1 > row i, row i+1 == row i), comparing the columns lexicographically."""
    greater = np.zeros(max(len(cols[0]) - 1, 0), dtype=bool)
    equal = np.ones_like(greater)
    for col in cols:
        greater |= equal & (col[1:] > col[:-1])
        equal &= col[1:] == col[:-1]
    return greater, equal


def sort_unique(table: pa.Table, keys: np.ndarray, extra: tuple[str, ...], name: str):
    """The table and its uint64 keys sorted by (arch_hash, *extra); duplicates are an error."""
    cols = [keys] + [column_numpy(table.column(c)) for c in extra]
    greater, equal = _adjacent(cols)
    if not greater.all():  # not written by write_table: sort once here
        order = np.lexsort(cols[::-1])
        cols = [c[order] for c in cols]
        table, keys = table.take(pa.array(order)), cols[0]
        greater, equal = _adjacent(cols)
    if equal.any():
        raise TableError(f"{name} has duplicate ({', '.join(('arch_hash',) + extra)}) rows; "
                         "run `nasbench table validate`")
    return table, keys


def _run_composite(rank: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """One sortable uint64 per (arch rank, int32 seed)."""
    return (rank.astype(np.uint64) << np.uint64(32)) | (seeds.astype(np.int64) + 2**31).astype(np.uint64)


def curve_ranges(arch_keys, run_keys, run_seeds, curve_keys, curve_seeds):
    """[lo, hi) curve rows of every run row (lo == hi: no curve), vectorized.

    Curve rows form one group per (arch_hash, seed); groups and runs are matched through a
    sortable uint64 (arch rank, seed), where arch i ranks 2i+1 and a curve arch_hash with no
    run, between arch i-1 and arch i, ranks 2i -- orphan curves never enter a run's range.
    """
    n = len(curve_keys)
    change = np.ones(n, dtype=bool)
    if n > 1:
        np.not_equal(curve_keys[1:], curve_keys[:-1], out=change[1:])
        change[1:] |= curve_seeds[1:] != curve_seeds[:-1]
    starts = np.flatnonzero(change)
    bounds = np.append(starts, n)
    gkeys = curve_keys[starts]
    pos = np.searchsorted(arch_keys, gkeys)
    exact = np.zeros(len(starts), dtype=bool)
    inside = pos < len(arch_keys)
    exact[inside] = arch_keys[pos[inside]] == gkeys[inside]
    group = _run_composite(2 * pos + exact, curve_seeds[starts])
    run = _run_composite(2 * np.searchsorted(arch_keys, run_keys) + 1, run_seeds)
    g = np.searchsorted(group, run)
    found = g < len(group)
    found[found] = group[g[found]] == run[found]
    lo = bounds[g]
    return lo, np.where(found, bounds[np.minimum(g + 1, len(starts))], lo)
