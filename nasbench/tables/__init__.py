"""nasbench.tables: schema v1, write/read/validate, datasheet, Benchmark (query) and Oracle
(replay). Submodules import pyarrow; this package imports them lazily so `import nasbench`
stays light."""
from __future__ import annotations

import importlib

_EXPORTS = {
    "SCHEMA_VERSION": "schema", "RUNS_SCHEMA": "schema", "CURVES_SCHEMA": "schema",
    "TableError": "schema", "NotInTableError": "schema", "protocol_hash": "schema",
    "write_table": "io", "read_metadata": "io", "read_tables": "io",
    "validate": "validation", "assert_valid": "validation", "merge_tables": "validation",
    "write_datasheet": "datasheet", "table_summary": "datasheet",
    "Benchmark": "benchmark", "Oracle": "oracle", "Evaluation": "oracle",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"nasbench.tables.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'nasbench.tables' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
