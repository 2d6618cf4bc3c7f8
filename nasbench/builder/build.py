"""Run a plan into a table folder: skip finished tasks, shard results, compact, datasheet.

    <out>/build.json     protocol of this build (a different protocol is refused)
    <out>/.build.lock    held while a builder runs (a second builder gets a clear error)
    <out>/shards/        checksummed result shards (crash-safe, see shards.py)
    <out>/runs.parquet, curves.parquet, TABLE.md   the table, rebuilt from all shards

Re-running the same command resumes: tasks with an ``ok`` or ``diverged`` result are
skipped, ``failed`` ones run again. Ctrl-C, SIGTERM and SIGHUP flush what finished, stop
the workers, compact and stop (:mod:`nasbench.stop`); an exception stops the workers
and flushes before it propagates.
"""
from __future__ import annotations

import fcntl
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from nasbench.builder.plan import Plan, Task
from nasbench.builder.protocol import Protocol
from nasbench.builder.runners import RunnerConfig, make_runner
from nasbench.builder.shards import ShardStore
from nasbench.stop import exit_status, stop_on_signals
from nasbench.builder.train import TrainResult
from nasbench.tables.schema import FINISHED_STATUSES

SCHEDULE_WINDOW = 256  # tasks reordered at a time: bounded, so huge lazy plans still stream


def largest_first(tasks: Iterable[Task], window: int = SCHEDULE_WINDOW) -> Iterator[Task]:
    """``tasks`` in windows of ``window``, each sorted by block count, largest first (stable).

    Longest-processing-time-first scheduling: the small models come last and fill the gaps,
    so workers finish together instead of one training a big model while the others idle.
    Results do not depend on the order (compaction sorts rows by key).
    """
    it = iter(tasks)
    while chunk := list(islice(it, window)):
        yield from sorted(chunk, key=lambda task: -task.num_blocks)


@dataclass(frozen=True)
class BuildSummary:
    out: Path
    planned: int
    skipped: int
    trained: int
    failed: int
    interrupted: bool
    seconds: float
    exit_status: int = 0  # 128 + the stopping signal when interrupted
    reused: int = 0  # runs taken from --reuse tables (also counted in skipped)


@contextmanager
def build_lock(out: Path):
    """Exclusive lock on ``out``; a second builder fails at once with a clear message."""
    path = out / ".build.lock"
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        owner = fh.read().strip() or "unknown"
        fh.close()
        raise FileExistsError(f"another nasbench build is using {out} (pid {owner}); "
                              "wait for it to finish or use another --out") from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def prepare_out(out: str | Path, protocol: Protocol) -> Path:
    """Create ``out`` (checking it is writable) and pin it to ``protocol``."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise PermissionError(f"cannot write to --out {out}: {exc.strerror or exc}") from None
    manifest = out / "build.json"
    if manifest.exists():
        recorded = json.loads(manifest.read_text())
        if recorded.get("protocol_hash") != protocol.protocol_hash:
            raise ValueError(
                f"{out} holds a build of protocol {recorded.get('protocol_hash')}, not "
                f"{protocol.protocol_hash}; use another --out (one table = one protocol)")
    else:
        manifest.write_text(json.dumps({"protocol_hash": protocol.protocol_hash,
                                        "protocol": protocol.to_dict()}, indent=2, sort_keys=True))
    return out


def latest_results(store: ShardStore, report=print) -> dict[tuple[str, int], TrainResult]:
    """The last result per (arch_hash, seed), preferring finished over failed ones."""
    best: dict[tuple[str, int], TrainResult] = {}
    for result in store.read(report=report):
        key = (result.run["arch_hash"], int(result.run["seed"]))
        old = best.get(key)
        if old is None or old.run["status"] not in FINISHED_STATUSES or result.run["status"] in FINISHED_STATUSES:
            best[key] = result
    return best


def provenance(command: str | None, device: str) -> dict:
    import torch

    from nasbench.version import __version__

    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                                cwd=Path(__file__).parent).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "nasbench_version": __version__, "git_commit": commit, "torch_version": torch.__version__,
        "python_version": platform.python_version(), "device": device, "host": platform.node(),
        "command": command or " ".join(shlex.quote(a) for a in ["python", *sys.argv]),
    }


def training_summary(results: Iterable[TrainResult]) -> list[dict]:
    """How the rows were trained: one entry per distinct (device, torch version, precision,
    graphs) with its run count, most runs first; rows from before this was recorded count as
    ``unrecorded``."""
    counts: dict[tuple, int] = {}
    for result in results:
        setup = result.setup or {}
        key = tuple(setup.get(k, "unrecorded") for k in SETUP_KEYS)
        counts[key] = counts.get(key, 0) + 1
    rows = [{**dict(zip(SETUP_KEYS, key)), "runs": n} for key, n in counts.items()]
    return sorted(rows, key=lambda row: (-row["runs"], str(row["device"])))


SETUP_KEYS = ("device", "cpu", "torch_version", "precision", "graphs")


def compact(out: str | Path, protocol: Protocol, command: str | None = None, device: str = "cpu",
            report=print) -> Path | None:
    """Merge every shard of ``out`` into runs.parquet + curves.parquet + TABLE.md."""
    from nasbench.tables.datasheet import write_datasheet
    from nasbench.tables.io import write_table

    out = Path(out)
    for leftover in out.glob(".*.tmp"):  # a compaction killed half-way; the lock is ours
        leftover.unlink(missing_ok=True)
    results = latest_results(ShardStore(out), report=report)
    if not results:
        return None
    ordered = [results[k] for k in sorted(results)]
    runs = [r.run for r in ordered]
    curves = [row for r in ordered for row in r.curves]
    meta = {**provenance(command, device), "training": training_summary(ordered)}
    write_table(out, runs, curves, protocol.to_dict(), meta)
    write_datasheet(out)
    return out


def build(plan: Plan, protocol: Protocol, out: str | Path, runner: RunnerConfig = RunnerConfig(),
          shard_size: int = 16, shard_seconds: float = 60.0, progress: bool = True,
          command: str | None = None, window: int = SCHEDULE_WINDOW, reuse: tuple = ()) -> BuildSummary:
    """Train every task of ``plan`` not yet in ``out``, then compact ``out`` into a table.
    ``window``: tasks reordered largest-first at a time (1 keeps the plan's order and pulls
    each task only when a worker needs it, as a time-boxed plan wants). ``reuse``: tables
    whose runs of the plan's tasks are added to ``out`` instead of trained
    (:mod:`nasbench.builder.reuse`)."""
    from tqdm import tqdm

    if len(plan) == 0:
        raise ValueError("the plan is empty: nothing to build")
    make_runner(runner)  # validates backend and device before anything is written
    from nasbench.builder.train import data_for

    data_for(protocol, runner.data_dir)  # a missing dataset fails here, before any output
    out = prepare_out(out, protocol)
    started = time.perf_counter()
    report = tqdm.write if progress else (lambda msg: print(msg, file=sys.stderr))
    report(f"plan: {plan.description}: {plan.num_cells} cells -> {len(plan)} models; protocol "
           f"{protocol.protocol_hash} ({protocol.dataset}, {protocol.epochs} epochs) -> {out}")
    with build_lock(out):
        store = ShardStore(out)
        done = {k for k, r in latest_results(store, report=report).items() if r.run["status"] in FINISHED_STATUSES}
        reused = 0
        if reuse:
            from nasbench.builder.reuse import reusable

            for source, results in reusable(reuse, plan, protocol, skip=done).items():
                store.write_all(results)
                done |= {(r.run["arch_hash"], int(r.run["seed"])) for r in results}
                reused += len(results)
                report(f"reused {len(results)} runs of {source}")
        counts = {"skipped": 0, "trained": 0, "failed": 0}
        bar = tqdm(total=len(plan), disable=not progress, unit="model", dynamic_ncols=True,
                   desc=f"build {protocol.dataset}")

        def todo():
            for task in plan.tasks():
                if task.key in done:
                    counts["skipped"] += 1
                    bar.update(1)
                else:
                    yield task

        buffer: list[TrainResult] = []
        last_flush = time.monotonic()
        interrupted, status = False, 0
        with stop_on_signals():  # after the first signal the others wait: the flush finishes
            try:
                with closing(make_runner(runner).run(largest_first(todo(), window), protocol)) as results:
                    for result in results:
                        buffer.append(result)
                        counts["trained"] += 1
                        counts["failed"] += result.run["status"] == "failed"
                        bar.update(1)
                        elapsed = bar.format_dict["elapsed"] or 1e-9
                        bar.set_postfix(models_per_hour=f"{3600 * counts['trained'] / elapsed:.0f}",
                                        failed=counts["failed"], refresh=False)
                        if len(buffer) >= shard_size or time.monotonic() - last_flush > shard_seconds:
                            store.write(buffer)
                            buffer, last_flush = [], time.monotonic()
            except KeyboardInterrupt as exc:
                interrupted, status = True, exit_status(exc)
                report(f"interrupted ({exc or 'KeyboardInterrupt'}): saving finished models; "
                       "run the same command to resume")
            finally:
                if buffer:
                    store.write(buffer)
                bar.close()
        with stop_on_signals(defer=True) as caught:  # the compaction always finishes
            compact(out, protocol, command, runner.device, report=report)
        if caught and not interrupted:
            interrupted, status = True, 128 + caught[0]
    return BuildSummary(out, len(plan), counts["skipped"], counts["trained"], counts["failed"],
                        interrupted, time.perf_counter() - started, status, reused)
