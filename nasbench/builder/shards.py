"""Crash-safe storage of finished tasks: checksummed shard files written atomically.

A shard is one JSON document ``{"checksum": sha256(payload), "payload": {"results": [...]}}``
named after the hash of its task keys. It is written to a temp file, fsynced and renamed,
so a crash leaves either the whole shard or none of it. A shard whose checksum or JSON does
not verify is reported, moved aside to ``*.corrupt`` and its tasks count as not done.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterator

from nasbench.builder.train import TrainResult
from nasbench.tables.io import atomic_write_text


def _digest(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()


class ShardStore:
    """The ``<out>/shards/`` folder of one build."""

    def __init__(self, out: str | Path):
        self.folder = Path(out) / "shards"

    def write(self, results: list[TrainResult]) -> Path:
        """Atomically persist ``results`` as one shard; returns its path."""
        if not results:
            raise ValueError("refusing to write an empty shard")
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"results": [{"run": r.run, "curves": r.curves, "setup": r.setup}
                                          for r in results]}, sort_keys=True)
        keys = sorted(f"{r.run['arch_hash']}:{r.run['seed']}" for r in results)
        name = f"shard-{_digest(','.join(keys))[:16]}-{len(results)}.json"
        document = json.dumps({"checksum": _digest(payload), "payload": payload})
        target = self.folder / name
        atomic_write_text(document, target)
        return target

    def write_all(self, results: list[TrainResult], per_shard: int = 256) -> None:
        """Persist many results (reused or merged ones) as shards of at most ``per_shard``."""
        for start in range(0, len(results), per_shard):
            self.write(results[start:start + per_shard])

    def read(self, report=print) -> Iterator[TrainResult]:
        """Every result of every valid shard; corrupt shards are reported and moved aside."""
        if not self.folder.is_dir():
            return
        for leftover in self.folder.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)  # an interrupted write: its results were not committed
        for path in sorted(self.folder.glob("shard-*.json")):
            try:
                results = decode_shard(path.read_text())
            except (ValueError, UnicodeDecodeError) as exc:
                report(f"corrupt shard {path.name} ({exc}); its tasks will be re-run")
                os.replace(path, path.with_suffix(".corrupt"))
                continue
            yield from results


def decode_shard(text: str) -> list[TrainResult]:
    """The results of one shard document; ValueError if its JSON or checksum does not verify."""
    try:
        document = json.loads(text)
        payload = document["payload"]
        if _digest(payload) != document["checksum"]:
            raise ValueError("checksum mismatch")
        items = json.loads(payload)["results"]
        return [TrainResult(run=item["run"], curves=item["curves"], setup=item.get("setup") or {})
                for item in items]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a shard document ({type(exc).__name__}: {exc})") from None
