"""Crash safety: SIGKILL a real local build (its whole process group) at random times,
re-run it, repeat; the finished table must equal an uninterrupted build exactly (timing
columns aside): nothing lost, nothing duplicated, no corrupt shard ever reported.

The kill times are random; the seed is printed on failure and can be pinned with
NASBENCH_KILL_SEED=<int> to replay a failing schedule.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from builder_helpers import (PLAN_ARCHS, PLAN_SEEDS, PYTHON, assert_same_results, b1_archs, cmdline, descendants, kill_group,
                             python_env, reference_build, shard_count, start_build, table_keys, write_build_script,
                             write_plan, write_protocol)
from nasbench.builder.plan import from_file
from nasbench.tables.validation import validate


def nasbench_cli() -> list[str]:
    exe = shutil.which("nasbench")
    return [exe] if exe else [PYTHON, "-c", "from nasbench.cli import main; main()"]


def shard_keys(out: Path) -> Counter:
    """How often each (arch_hash, seed) occurs over all valid shards."""
    counts: Counter = Counter()
    for path in (out / "shards").glob("shard-*.json"):
        payload = json.loads(json.loads(path.read_text())["payload"])
        counts.update((r["run"]["arch_hash"], r["run"]["seed"]) for r in payload["results"])
    return counts


def kill_and_resume(tmp_path: Path, archs: list[str], seeds: tuple[int, ...], kills: int) -> None:
    seed = int(os.environ.get("NASBENCH_KILL_SEED", random.SystemRandom().randrange(2**31)))
    rng = random.Random(seed)
    where = f"(kill schedule seed {seed}; replay with NASBENCH_KILL_SEED={seed})"
    protocol_file = write_protocol(tmp_path / "protocol.json")
    plan_file = write_plan(tmp_path / "plan.txt", archs)
    script = write_build_script(tmp_path)
    out = tmp_path / "out"
    seeds_arg = ",".join(map(str, seeds))
    plan = from_file(plan_file, list(seeds))
    history = []
    for i in range(kills):
        before = shard_count(out)
        log = tmp_path / f"run{i}.log"
        with open(log, "w") as fh:
            proc = subprocess.Popen(
                [PYTHON, str(script), str(plan_file), str(protocol_file), str(out), "2", "1", seeds_arg, "local"],
                stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, env=python_env())
        try:
            if i % 4 == 0:
                # early: during start-up (imports, data, manifest, lock, pool start) or the first tasks
                mode, delay = "early", rng.uniform(0.3, 4.0)
                time.sleep(delay)
            else:
                # mid-build: after 1-3 new shards, at a random point of the following tasks
                mode, wanted = "mid", rng.randint(1, 3)
                deadline = time.monotonic() + 180
                while shard_count(out) < before + wanted and proc.poll() is None:
                    assert time.monotonic() < deadline, f"no progress in run {i} {where}: {log.read_text()[-2000:]}"
                    time.sleep(0.01)
                delay = rng.uniform(0.0, 0.4)
                time.sleep(delay)
            alive = proc.poll() is None
        finally:
            kill_group(proc)
        history.append((i, mode, round(delay, 2), before, shard_count(out)))
        text = log.read_text()
        assert alive, f"run {i} finished before its kill: the plan is too short {where}\n{history}\n{text[-2000:]}"
        assert "Traceback" not in text and "corrupt" not in text.lower(), f"{where}\n{text[-3000:]}"
        if (out / "runs.parquet").exists():  # a table written by an earlier run stays readable
            pd.read_parquet(out / "runs.parquet")
    print(f"kill history {where}: (run, mode, delay, shards before, shards after)", *history, sep="\n  ")
    assert shard_count(out) < len(plan), f"the kills left nothing to do {where}: {history}"

    # finish through the CLI (its default shard size): it must accept the API-built folder
    final = subprocess.run(
        [*nasbench_cli(), "build", "--plan-file", str(plan_file), "--seeds", seeds_arg, "--protocol",
         str(protocol_file), "--out", str(out), "--workers", "2", "--no-progress"],
        capture_output=True, text=True, timeout=600, env=python_env())
    assert final.returncode == 0, f"{where}\n{final.stderr[-3000:]}"
    assert "corrupt" not in final.stderr.lower(), f"{where}\n{final.stderr}"
    assert "Traceback" not in final.stderr

    # nothing lost, nothing duplicated, every value equal to an uninterrupted build
    expected_keys = {t.key for t in plan.tasks()}
    assert table_keys(out) == expected_keys, where
    counts = shard_keys(out)
    assert set(counts) == expected_keys, where
    duplicated = {k: n for k, n in counts.items() if n > 1}
    assert not duplicated, f"tasks trained and stored more than once {where}: {duplicated}"
    assert not list((out / "shards").glob(".*.tmp")), where
    reference = reference_build(archs, seeds)
    assert_same_results(out, reference)
    assert validate(out) == [], where
    runs = pd.read_parquet(out / "runs.parquet")
    assert (runs.status == "ok").all(), where


def test_kill_and_resume(tmp_path):
    # 120 tiny tasks: on a quiet machine 5 kills of the 30-task plan could let the runs finish it
    kill_and_resume(tmp_path, b1_archs(60, offset=2), PLAN_SEEDS, kills=5)


@pytest.mark.slow
def test_kill_and_resume_many_times(tmp_path):
    kill_and_resume(tmp_path, b1_archs(68, offset=1), PLAN_SEEDS, kills=21)


def test_a_killed_worker_is_retried_and_the_build_does_not_hang(tmp_path):
    """SIGKILL one pool worker mid-build (as the OOM killer would): the local runner restarts
    the pool, re-runs the lost tasks, and the build finishes with a complete, equal table."""
    import os
    import signal
    import time

    proc, out, _ = start_build(tmp_path)
    try:
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and proc.poll() is None:
            if shard_count(out) >= 1:
                workers = [p for p in descendants(proc.pid) if "spawn_main" in cmdline(p)]
                if workers:
                    killed = workers[0]
                    os.kill(killed, signal.SIGKILL)
            time.sleep(0.05)
        assert killed is not None, "no busy worker was found to kill"
        output, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            kill_group(proc)
    assert proc.returncode == 0, output
    planned, skipped, trained, failed = map(int, output.split("SUMMARY")[1].split()[:4])
    assert (trained, failed) == (planned, 0), output
    assert_same_results(out, reference_build(PLAN_ARCHS, PLAN_SEEDS))
