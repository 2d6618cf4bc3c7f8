"""Fixtures shared by several test modules."""
from __future__ import annotations

import pandas as pd
import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """Torch on one thread for the module (fast and deterministic on a 2-core machine)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def bench(path):
    """The module's table (its own ``path`` fixture) opened as a Benchmark."""
    from nasbench.tables import Benchmark

    return Benchmark.open(path)


@pytest.fixture(scope="module")
def frames(path):
    """The module's table as (runs, curves) DataFrames read by plain pandas."""
    return pd.read_parquet(path / "runs.parquet"), pd.read_parquet(path / "curves.parquet")
