"""Live search: real training (digits-quick, 1 epoch, B1 cells, CPU) cached through a builder
folder that replay then reads; a repeated run trains nothing; Ctrl-C loses no finished model."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from nasbench.builder.protocol import get_protocol
from nasbench.builder.shards import ShardStore
from nasbench.search import Budget, LiveEvaluator, ReplayEvaluator, get_algorithm

torch.set_num_threads(1)

PROTOCOL = get_protocol("digits-quick").replace(epochs=1)
N = 3


def shard_count(out) -> int:
    return len(list(ShardStore(out).folder.glob("shard-*.json")))


def live_run(out, seed=0):
    with LiveEvaluator(PROTOCOL, out, seed=0) as ev:
        traj = get_algorithm("random").run(ev, Budget(models=N), seed, blocks=1)
    return ev, traj


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    out = tmp_path_factory.mktemp("live") / "table"
    ev, traj = live_run(out)
    return out, ev, traj


def test_live_run_trains_and_writes_every_model_through(first):
    out, ev, traj = first
    distinct = len(set(traj.archs))
    assert ev.n_trained == distinct == shard_count(out) and ev.n_trained + ev.n_cached == N
    f = traj.to_frame()
    assert f.val_acc.between(0, 1).all() and (f.elapsed > 0).all() and f.elapsed.is_monotonic_increasing
    # compacted on close: replay sees exactly these results
    replay = ReplayEvaluator(out)
    for row in f.itertuples():
        got = replay.evaluate(row.arch)
        assert got.val_acc == row.val_acc and got.test_acc == row.test_acc
    assert len(replay.bench) == distinct
    runs = pd.read_parquet(out / "runs.parquet")
    assert (runs.protocol_hash == PROTOCOL.protocol_hash).all() and (runs.epochs == 1).all()


def test_a_second_identical_run_trains_nothing(first):
    out, _, traj = first
    before = shard_count(out)
    ev, again = live_run(out)
    assert ev.n_trained == 0 and ev.n_cached == N and shard_count(out) == before
    assert again.archs == traj.archs
    np.testing.assert_array_equal(again.to_frame().val_acc, traj.to_frame().val_acc)


def test_cli_live_run_reuses_the_cache(first, tmp_path):
    from nasbench.cli.search import search

    out, _, traj = first
    res = CliRunner().invoke(search, [
        "run", "--algorithm", "random", "--live", "--protocol", "digits-quick", "--epochs", "1",
        "--out-table", str(out), "--budget-models", str(N), "--seed", "0", "-p", "blocks=1",
        "--out", str(tmp_path / "t.parquet")])
    assert res.exit_code == 0, res.output
    assert "trained 0, reused 3" in res.output
    assert pd.read_parquet(tmp_path / "t.parquet").arch.tolist() == traj.archs


def test_lock_and_protocol_pinning(first, tmp_path):
    out, _, _ = first
    with LiveEvaluator(PROTOCOL, out):
        with pytest.raises(FileExistsError, match="another nasbench build"):
            LiveEvaluator(PROTOCOL, out)
    with pytest.raises(ValueError, match="one table = one protocol"):
        LiveEvaluator(PROTOCOL.replace(epochs=2), out)


def test_ctrl_c_loses_no_finished_model(tmp_path, monkeypatch):
    import nasbench.builder.runners as runners

    real = runners.run_task
    calls = []

    def interrupted_third(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C while the third model trains
        return real(*args, **kw)

    monkeypatch.setattr(runners, "run_task", interrupted_third)
    out = tmp_path / "t"
    ev = LiveEvaluator(PROTOCOL, out)
    with pytest.raises(KeyboardInterrupt) as info:
        with ev:
            get_algorithm("random").run(ev, Budget(models=10), 3, blocks=1)
    traj = info.value.trajectory
    assert traj.interrupted and len(traj) == 2 and ev.n_trained == 2 and ev.closed
    assert shard_count(out) == 2
    runs = pd.read_parquet(out / "runs.parquet")  # compacted on the way out
    assert sorted(runs.arch) == sorted(traj.archs)
