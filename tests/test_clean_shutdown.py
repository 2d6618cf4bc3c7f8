"""Every way a build or a live search can end leaves no worker behind and loses nothing:
real builds and searches in subprocesses, stopped with real signals (issue 19, bug 1)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from builder_helpers import (PLAN_ARCHS, PLAN_SEEDS, PYTHON, assert_same_results, cmdline, descendants,
                             group_alive, kill_group, python_env, reference_build, shard_count, start_build,
                             table_keys, tiny_protocol, write_plan)
from nasbench.builder.build import build
from nasbench.builder.plan import from_file
from nasbench.builder.runners import RunnerConfig
from nasbench.builder.shards import ShardStore


def wait_for_shards(proc: subprocess.Popen, out: Path, n: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while shard_count(out) < n:
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the build made no progress"
        time.sleep(0.02)


def assert_group_ends(pgid: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while group_alive(pgid):
        assert time.monotonic() < deadline, f"processes of the build are still alive {timeout}s after it ended"
        time.sleep(0.05)


def shard_keys(out: Path) -> set:
    return {(r.run["arch_hash"], int(r.run["seed"])) for r in ShardStore(out).read(report=lambda m: None)}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signalled_build_stops_its_workers_flushes_and_compacts(tmp_path, signum):
    proc, out, plan_file = start_build(tmp_path)
    try:
        wait_for_shards(proc, out, 2)
        assert descendants(proc.pid), "the build has no workers to stop"
        os.kill(proc.pid, signum)  # the builder only, as `kill PID` does
        output, _ = proc.communicate(timeout=60)
        assert_group_ends(proc.pid)
    finally:
        if proc.poll() is None or group_alive(proc.pid):
            kill_group(proc)
    assert "Traceback" not in output, output
    assert f"interrupted (stopped by {signal.Signals(signum).name})" in output, output
    # every finished result reached a shard and the compacted table
    assert proc.returncode == 0 and "SUMMARY" in output, output  # build() returned: it was not killed
    finished = table_keys(out)
    assert finished == shard_keys(out) and len(finished) >= 2
    if signum == signal.SIGTERM:  # the next build resumes with nothing lost
        summary = build(from_file(plan_file, list(PLAN_SEEDS)), tiny_protocol(), out,
                        RunnerConfig(workers=2), progress=False)
        assert summary.skipped == len(finished) and summary.trained == len(PLAN_ARCHS) * len(PLAN_SEEDS) - len(finished)
        assert summary.failed == 0 and not summary.interrupted
        assert_same_results(out, reference_build(PLAN_ARCHS, PLAN_SEEDS))


def test_a_build_killed_outright_takes_its_workers_with_it(tmp_path):
    """SIGKILL the builder alone: its pool workers notice the lost parent and exit."""
    proc, out, _ = start_build(tmp_path)
    try:
        wait_for_shards(proc, out, 1)
        assert descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert_group_ends(proc.pid)
    finally:
        if group_alive(proc.pid):
            kill_group(proc)


class Broken:
    """A plan whose task stream raises half-way: the build ends by an exception."""

    def __init__(self, plan, after: int):
        self.plan, self.after = plan, after
        self.description, self.num_cells = plan.description, plan.num_cells

    def __len__(self):
        return len(self.plan)

    def tasks(self):
        for i, task in enumerate(self.plan.tasks()):
            if i == self.after:
                raise RuntimeError("the plan broke")
            yield task


def test_a_build_ended_by_an_exception_stops_its_workers_and_keeps_the_results(tmp_path):
    plan = from_file(write_plan(tmp_path / "plan.txt", PLAN_ARCHS), list(PLAN_SEEDS))
    half = from_file(write_plan(tmp_path / "half.txt", PLAN_ARCHS[:4]), list(PLAN_SEEDS))
    out, protocol = tmp_path / "out", tiny_protocol()
    build(half, protocol, out, RunnerConfig(workers=2), progress=False)
    before = shard_keys(out)
    with pytest.raises(RuntimeError, match="the plan broke"):
        build(Broken(plan, 9), protocol, out, RunnerConfig(workers=2), shard_size=1, progress=False)
    assert not [p for p in descendants(os.getpid()) if "spawn_main" in cmdline(p)]
    assert shard_keys(out) == before == {t.key for t in half.tasks()}
    summary = build(plan, protocol, out, RunnerConfig(workers=2), progress=False)
    assert summary.skipped == len(before)
    assert_same_results(out, reference_build(PLAN_ARCHS, PLAN_SEEDS))


def test_a_signalled_live_search_saves_its_models_and_compacts(tmp_path):
    out_table, traj = tmp_path / "live", tmp_path / "t.parquet"
    proc = subprocess.Popen(
        [PYTHON, "-c", "from nasbench.cli import main; main()", "search", "run", "--algorithm", "random",
         "--live", "--protocol", "digits-quick", "--epochs", "1", "--out-table", str(out_table),
         "--budget-models", "500", "--seed", "0", "-p", "blocks=1", "--out", str(traj)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=python_env(), start_new_session=True)
    try:
        wait_for_shards(proc, out_table, 2)
        os.kill(proc.pid, signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            kill_group(proc)
    assert proc.returncode == 128 + signal.SIGTERM, output
    assert "Traceback" not in output and "interrupted" in output, output
    saved = pd.read_parquet(traj)
    assert len(saved) >= 1 and table_keys(out_table) == shard_keys(out_table)
    assert set(saved.arch) <= set(pd.read_parquet(out_table / "runs.parquet").arch)
