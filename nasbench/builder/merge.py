"""Carry shards between machines: pack a build's shards into a few gzip bundles, and merge
returned bundles into a growing table with the same validation as any build.

A bundle ``<prefix>-NNN.jsonl.gz`` holds one shard document (see shards.py, checksum
included) per line. A GPU machine returns only a few files of bounded size, so
:func:`pack_shards` starts a new bundle once one passes ``max_bytes`` compressed.
:func:`merge_shards` verifies every document, checks that its rows were trained under the
table's protocol and that they form a valid table on their own, then adds them to the table's
shard store and compacts it (later results of the same task win, finished over failed).
"""
from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path

from nasbench.builder.build import build_lock, compact, latest_results, prepare_out
from nasbench.builder.protocol import Protocol
from nasbench.builder.shards import ShardStore, decode_shard
from nasbench.builder.train import TrainResult

BUNDLE_GLOB = "*.jsonl.gz"
MAX_BUNDLE_BYTES = 12 << 20  # below the device machine's 16 MiB per returned file


def pack_shards(out: str | Path, dest: str | Path, prefix: str = "shards",
                max_bytes: int = MAX_BUNDLE_BYTES) -> list[Path]:
    """(Re)write every valid shard of build folder ``out`` into bundles in ``dest``, in shard
    name order; each bundle is replaced atomically. Returns the bundle paths."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    folder = ShardStore(out).folder
    shards = sorted(folder.glob("shard-*.json")) if folder.is_dir() else []
    paths: list[Path] = []
    raw = gz = tmp = None
    for shard in shards:
        text = shard.read_text()
        decode_shard(text)  # never ship a document that does not verify
        if gz is None:
            paths.append(dest / f"{prefix}-{len(paths):03d}.jsonl.gz")
            tmp = paths[-1].with_name(f".{paths[-1].name}.tmp")
            raw = open(tmp, "wb")
            gz = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0)
        gz.write((text.replace("\n", " ") + "\n").encode())
        if raw.tell() >= max_bytes:  # compressed bytes written so far
            gz.close()
            raw.close()
            os.replace(tmp, paths[-1])
            raw = gz = None
    if gz is not None:
        gz.close()
        raw.close()
        os.replace(tmp, paths[-1])
    return paths


def read_bundles(src: str | Path) -> list[TrainResult]:
    """Every result of the bundles (and plain ``shard-*.json`` files) in folder ``src``."""
    src = Path(src)
    if not src.is_dir():
        raise FileNotFoundError(f"no shard folder at {src}")
    files = sorted(src.glob(BUNDLE_GLOB)) + sorted(src.glob("shard-*.json"))
    if not files:
        raise ValueError(f"{src} holds no {BUNDLE_GLOB} bundles or shard-*.json files")
    results: list[TrainResult] = []
    for path in files:
        try:
            if path.name.endswith(".gz"):
                with gzip.open(path, "rt") as fh:
                    lines = [line for line in fh if line.strip()]
            else:
                lines = [path.read_text()]
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: unreadable bundle ({exc})") from None
        for number, line in enumerate(lines, start=1):
            try:
                results.extend(decode_shard(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
    return results


def merge_shards(src: str | Path, out: str | Path, protocol: Protocol, command: str | None = None,
                 report=print) -> tuple[int, Path]:
    """Add the results in ``src`` to table folder ``out`` (created if new) and compact it.
    Returns (results added, table path); refuses rows of another protocol or an invalid table."""
    from nasbench.tables.io import write_table

    results = read_bundles(src)
    wrong = {r.run.get("protocol_hash") for r in results} - {protocol.protocol_hash}
    if wrong:
        raise ValueError(f"{src} holds rows of protocol {', '.join(sorted(map(str, wrong)))}, not "
                         f"{protocol.protocol_hash}; merge them with their own --protocol")
    out = prepare_out(out, protocol)
    with build_lock(out):
        with tempfile.TemporaryDirectory(dir=out, prefix=".merge-check-") as scratch:
            # the incoming rows alone must already be a valid table (canonical archs, statuses, ranges)
            write_table(scratch, [r.run for r in results], [c for r in results for c in r.curves],
                        protocol.to_dict(), {}, datasheet=False)
        store = ShardStore(out)
        store.write_all(results)
        devices = sorted({str(r.setup.get("device", "unrecorded")) for r in results})
        table = compact(out, protocol, command, ", ".join(devices), report=report)
        report(f"merged {len(results)} results from {src}: {len(latest_results(store, report=report))} "
               f"runs in {out}")
    return len(results), table
