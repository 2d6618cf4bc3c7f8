"""Table schema v1 (DESIGN.md "Table schema"): column types, metadata keys, the errors.

Numbers: every metric and time is float64 (runs and curves alike), so a value read back
from the table is bit-for-bit the value the builder recorded and the final curve epoch
equals the run's final metrics exactly. Integers are int32 except ``params``/``flops``
(int64). Only ``error`` may be null; failed or diverged runs record NaN metrics instead.

Metadata (Parquet key-value metadata, identical on both files): ``nasbench.schema_version``
(decimal string), ``nasbench.protocol`` and ``nasbench.provenance`` (JSON objects) and
``nasbench.protocol_hash`` (the single protocol_hash of the rows, so "one protocol per
table" can be checked without re-deriving the builder's hash).
"""
from __future__ import annotations

import json
import re

import pyarrow as pa

from nasbench.space.base import hash_string

SCHEMA_VERSION = 1

RUNS_FILE = "runs.parquet"
CURVES_FILE = "curves.parquet"
DATASHEET_FILE = "TABLE.md"

KEY_VERSION = "nasbench.schema_version"
KEY_PROTOCOL = "nasbench.protocol"
KEY_PROVENANCE = "nasbench.provenance"
KEY_PROTOCOL_HASH = "nasbench.protocol_hash"

#: ``collapsed``: finished with finite metrics but exploded in epoch 1 or ended near chance
#: (rule in :mod:`nasbench.tables.signal`); queries average ``ok`` runs only.
STATUSES = ("ok", "collapsed", "diverged", "failed")
#: Statuses of a run that is a measurement (``failed`` is a crash: a build re-runs it).
FINISHED_STATUSES = ("ok", "collapsed", "diverged")
HASH_PATTERN = re.compile(r"^[0-9a-f]{16}$")

#: Metrics recorded per run (final epoch) and per curve row; accuracies are in [0, 1].
ACC_COLUMNS = ("train_acc", "val_acc", "test_acc")
LOSS_COLUMNS = ("train_loss", "val_loss", "test_loss")
CURVE_METRICS = ("lr", "train_loss", "train_acc", "val_loss", "val_acc", "test_loss",
                 "test_acc", "epoch_seconds")
#: Run columns averaged over seeds by ``Benchmark.query(seed=None)``.
RUN_METRICS = ("train_acc", "val_acc", "test_acc", "train_loss", "val_loss", "test_loss",
               "best_val_acc", "best_val_epoch", "train_seconds", "eval_seconds")
#: Run columns that describe the arch and the protocol, not one training run.
IDENTITY_COLUMNS = ("arch", "arch_hash", "space", "num_blocks", "dataset", "protocol_hash",
                    "epochs", "params", "flops")


def _field(name: str, type_: pa.DataType, nullable: bool = False) -> pa.Field:
    return pa.field(name, type_, nullable=nullable)


RUNS_SCHEMA = pa.schema([
    _field("arch", pa.string()),
    _field("arch_hash", pa.string()),
    _field("space", pa.string()),
    _field("num_blocks", pa.int32()),
    _field("dataset", pa.string()),
    _field("protocol_hash", pa.string()),
    _field("seed", pa.int32()),
    _field("epochs", pa.int32()),
    _field("params", pa.int64()),
    _field("flops", pa.int64()),
    *(_field(name, pa.float64()) for name in ("train_acc", "val_acc", "test_acc",
                                              "train_loss", "val_loss", "test_loss",
                                              "best_val_acc")),
    _field("best_val_epoch", pa.int32()),
    _field("train_seconds", pa.float64()),
    _field("eval_seconds", pa.float64()),
    _field("device", pa.string()),
    _field("status", pa.string()),
    _field("error", pa.string(), nullable=True),
])

CURVES_SCHEMA = pa.schema([
    _field("arch_hash", pa.string()),
    _field("seed", pa.int32()),
    _field("epoch", pa.int32()),
    *(_field(name, pa.float64()) for name in CURVE_METRICS),
])

RUNS_KEY = ("arch_hash", "seed")
CURVES_KEY = ("arch_hash", "seed", "epoch")


class TableError(ValueError):
    """A table that is not a valid nasbench table; the message is one line."""


class NotInTableError(KeyError):
    """An arch or seed that the table does not hold; ``str()`` is the plain message."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not in table"


def protocol_hash(protocol: dict) -> str:
    """sha256 of the protocol's canonical JSON (sorted keys, compact), first 16 hex."""
    text = json.dumps(protocol, sort_keys=True, separators=(",", ":"), default=str)
    return hash_string(text)


def encode_metadata(protocol: dict, provenance: dict, protocol_hash_: str) -> dict[bytes, bytes]:
    """The key-value metadata written on both Parquet files."""
    return {
        KEY_VERSION.encode(): str(SCHEMA_VERSION).encode(),
        KEY_PROTOCOL.encode(): json.dumps(protocol, sort_keys=True, default=str).encode(),
        KEY_PROVENANCE.encode(): json.dumps(provenance, sort_keys=True, default=str).encode(),
        KEY_PROTOCOL_HASH.encode(): protocol_hash_.encode(),
    }
