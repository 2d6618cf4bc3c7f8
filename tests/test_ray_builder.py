"""The Ray backend: a local Ray cluster builds a small plan while one of its busy workers
is SIGKILLed; Ray retries the task and the table equals the local backend's results."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from builder_helpers import (PLAN_ARCHS, PLAN_SEEDS, assert_same_results, cmdline, descendants, read_table,
                             reference_build, restrict, shard_count, table_keys, tiny_protocol, write_plan)
from nasbench.builder.build import build
from nasbench.builder.plan import from_file
from nasbench.builder.runners import RunnerConfig
from nasbench.tables.validation import validate

ray = pytest.importorskip("ray")

ARCHS = PLAN_ARCHS[:8]  # x 2 seeds = 16 tiny models on 2 workers


class WorkerKiller(threading.Thread):
    """Once the first result is stored, SIGKILL one Ray worker that is running a task
    (a descendant of this process whose title is ``ray::run_task``)."""

    def __init__(self, out, total):
        super().__init__(daemon=True)
        self.out, self.total = out, total
        self.killed: list[tuple[int, str, int]] = []  # (pid, title, shards stored at the kill)
        self.stop = threading.Event()
        self.note = ""

    def run(self):
        deadline = time.monotonic() + 300
        while shard_count(self.out) < 1:
            if self.stop.is_set() or time.monotonic() > deadline:
                self.note = "no result appeared"
                return
            time.sleep(0.01)
        deadline = time.monotonic() + 30  # retry for a while: a worker may be between tasks
        while time.monotonic() < deadline and not self.stop.is_set():
            stored = shard_count(self.out)
            if stored >= self.total:
                self.note = f"all {stored} tasks finished before a busy worker was found"
                return
            busy = [pid for pid in descendants(os.getpid()) if cmdline(pid).startswith("ray::run_task")]
            if busy:
                pid = busy[0]
                title = cmdline(pid).strip()
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                self.killed.append((pid, title, stored))
                return
            time.sleep(0.005)
        self.note = "no busy Ray worker found"


def test_ray_build_survives_a_killed_worker(tmp_path):
    if ray.is_initialized():  # the runner must start (and own) its local cluster
        ray.shutdown()
    protocol = tiny_protocol()
    plan = from_file(write_plan(tmp_path / "plan.txt", ARCHS), list(PLAN_SEEDS))
    out = tmp_path / "out"
    killer = WorkerKiller(out, len(plan))
    killer.start()
    try:
        summary = build(plan, protocol, out, RunnerConfig(backend="ray", workers=2, max_retries=3),
                        shard_size=1, progress=False)
    finally:
        killer.stop.set()
        killer.join(timeout=60)
    assert killer.killed, f"no Ray worker was killed: {killer.note}"
    pid, title, stored = killer.killed[0]
    assert stored < len(plan)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert summary.trained == len(plan) and summary.failed == 0, summary
    assert not ray.is_initialized()  # the runner shut down the cluster it started

    keys = {t.key for t in plan.tasks()}
    assert table_keys(out) == keys
    assert validate(out) == []
    runs, _ = read_table(out)
    assert (runs.status == "ok").all()
    reference = reference_build(PLAN_ARCHS, PLAN_SEEDS)  # the local backend, same protocol
    assert_same_results(out, restrict(*read_table(reference), keys))
