"""The GPU builder in one call: facts, assertions, throughput, then B2 cells into --out.

    PYTHONPATH=. python3 benchmarks/gpu_check.py --out "$OUT" --minutes 8      # on a GPU machine
    PYTHONPATH=. python benchmarks/gpu_check.py --device cpu --minutes 1 --out /tmp/check

It budgets itself to ``--minutes`` and writes as it goes, so a run cut short still returns
what it measured: ``gpu_check.json`` (every figure, rewritten after each step),
``gpu_check.log`` (everything printed) and ``b2-NNN.jsonl.gz`` shard bundles (at most 5 of
at most 12 MiB: the device machine returns 8 files of 16 MiB, 64 MiB in all). The last line
printed is the ``SUMMARY``. Steps:

1. facts: python, torch, CUDA, device name, memory, CPU count;
2. assertions: device selection, bf16 vs fp32 metrics of one cell, CUDA-graph step vs the eager
   step (relative error of the per-epoch train loss), a SIGKILLed worker's task retried;
3. throughput: models/hour on B1 and B2 for 1/4/8/16 workers per GPU, graphs off and on,
   against the naive loop (one eager model after another in this process); the rate is the
   steady state between first and last result, start-up excluded (reported apart);
4. build: the rest of the time trains cells of ``benchmarks/plans/pnas-b2.txt`` (every canonical
   8-op B2 cell in arch_hash order, so any prefix is a uniform sample) under the ``digits``
   protocol with the fastest configuration, skipping cells already in ``--skip`` (default
   ``tables/digits-pnas-b2``); ``nasbench build --merge-shards DIR --out tables/digits-pnas-b2``
   adds the returned bundles.

Only the builder, the digits data and the table writer are imported: no xgboost, no ray.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch

from nasbench.builder.build import build
from nasbench.builder.merge import pack_shards, read_bundles
from nasbench.builder.plan import Plan, Task
from nasbench.builder.protocol import get_protocol
from nasbench.builder.runners import LocalRunner, RunnerConfig
from nasbench.builder.train import train
from nasbench.space import parse_arch, pnas

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "benchmarks" / "plans" / "pnas-b2.txt"
B2_CELLS = 31_620
BF16_VAL_TOL = 0.05  # bf16 vs fp32: final val accuracy within 5 points (20 of 397 images)
GRAPH_LOSS_TOL = 1e-3  # graph vs eager: first-epoch train loss, relative (fp32)
GRAPH_VAL_TOL = 0.03  # graph vs eager: final val accuracy, absolute
MAX_BUNDLES = 5


class Check:
    """The run's clock, its printed log and its JSON record (rewritten atomically)."""

    def __init__(self, out: Path, minutes: float):
        self.out, self.start = out, time.monotonic()
        self.end = self.start + 60 * minutes
        self.record: dict = {"assertions": [], "throughput": [], "build": {}}
        self.log = open(out / "gpu_check.log", "a", buffering=1)

    def left(self) -> float:
        return self.end - time.monotonic()

    def say(self, msg: str) -> None:
        line = f"[{time.monotonic() - self.start:7.1f}s] {msg}"
        print(line, flush=True)
        self.log.write(line + "\n")

    def save(self) -> None:
        tmp = self.out / ".gpu_check.json.tmp"
        tmp.write_text(json.dumps(self.record, indent=1, sort_keys=True, default=str))
        os.replace(tmp, self.out / "gpu_check.json")


def facts(device: str) -> dict:
    info = {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
            "cuda_available": torch.cuda.is_available(), "cpus": os.cpu_count(), "device": device}
    if device.startswith("cuda"):
        props = torch.cuda.get_device_properties(0)
        info.update(gpus=torch.cuda.device_count(), name=props.name, memory_gib=props.total_memory / 2**30,
                    capability=f"{props.major}.{props.minor}", multiprocessors=props.multi_processor_count,
                    cudnn=torch.backends.cudnn.version())
    return info


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


def b1_cells() -> list:
    return list(pnas.enumerate(1))


def tasks_of(cells: list, start_seed: int = 0):
    """An endless stream of tasks cycling over ``cells`` with fresh seeds."""
    seed = start_seed
    while True:
        for cell in cells:
            yield Task(cell.canonical_string, cell.arch_hash, cell.num_blocks, seed)
        seed += 1


# ---------------------------------------------------------------- assertions
def assertions(check: Check, device: str, protocol) -> None:
    cell = "sep_conv_3x3@0+max_pool_3x3@1"
    on_cuda = device.startswith("cuda")

    def record(name: str, ok: bool, **detail) -> None:
        check.record["assertions"].append({"name": name, "ok": bool(ok), **detail})
        check.say(f"assert {name}: {'ok' if ok else 'FAILED'} {json.dumps(detail, default=str)}")
        check.save()

    def attempt(name: str, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a failed assertion is recorded, the check goes on
            record(name, False, error=f"{type(exc).__name__}: {exc}"[:500])

    def selection():
        gpus = None if on_cuda else ["cpu"]
        runner = LocalRunner(RunnerConfig(device="cuda" if on_cuda else "cpu", models_per_gpu=2), gpus=gpus)
        row = train(cell, protocol, 0, device=device)
        want = torch.cuda.get_device_name(torch.device(device)) if on_cuda else "cpu"
        record("device_selection", row.run["device"] == want and row.setup["device"] == want
               and len(runner.devices) == 2 * (torch.cuda.device_count() if on_cuda else 1),
               slots=runner.devices, row_device=row.run["device"], setup=row.setup)

    def precision():
        fp32 = train(cell, protocol.replace(precision="fp32"), 0, device=device)
        bf16 = train(cell, protocol.replace(precision="bf16"), 0, device=device)
        diff = abs(bf16.run["val_acc"] - fp32.run["val_acc"])
        ok = diff <= BF16_VAL_TOL if on_cuda else bf16.run == fp32.run or diff == 0
        record("bf16_vs_fp32", ok, val_acc_fp32=fp32.run["val_acc"], val_acc_bf16=bf16.run["val_acc"],
               val_acc_abs_diff=diff, train_loss_rel_err=rel(bf16.run["train_loss"], fp32.run["train_loss"]),
               tolerance=BF16_VAL_TOL, bf16_applies=on_cuda, precisions=[fp32.setup["precision"], bf16.setup["precision"]])

    def graphs():
        for precision in ("fp32", "bf16"):
            proto = protocol.replace(precision=precision)
            eager = train(cell, proto, 0, device=device)
            graph = train(cell, proto, 0, device=device, graphs=True)
            errs = [rel(g["train_loss"], e["train_loss"]) for g, e in zip(graph.curves, eager.curves)]
            diff = abs(graph.run["val_acc"] - eager.run["val_acc"])
            ok = graph.setup["graphs"] == on_cuda and diff <= GRAPH_VAL_TOL
            if precision == "fp32":
                ok = ok and errs[0] <= GRAPH_LOSS_TOL
            record(f"graph_vs_eager_{precision}", ok, captured=graph.setup["graphs"],
                   train_loss_rel_err_per_epoch=errs, val_acc_abs_diff=diff,
                   tolerance={"first_epoch_loss_rel": GRAPH_LOSS_TOL if precision == "fp32" else None,
                              "val_acc_abs": GRAPH_VAL_TOL})

    def killed_worker():
        runner = LocalRunner(RunnerConfig(device=device if on_cuda else "cpu", workers=2, models_per_gpu=2,
                                          max_retries=2))
        tasks = list(itertools.islice(tasks_of(b1_cells()[:4]), 4))
        results, killed = [], None
        for result in runner.run(tasks, protocol):
            results.append(result)
            if killed is None:
                killed = next(iter(runner.executor._processes))  # noqa: SLF001 - no public API
                os.kill(killed, signal.SIGKILL)
        statuses = sorted(r.run["status"] for r in results)
        record("killed_worker_retried", killed is not None and statuses == ["ok"] * len(tasks),
               killed_pid=killed, statuses=statuses)

    for name, fn in (("device_selection", selection), ("bf16_vs_fp32", precision),
                     ("graph_vs_eager", graphs), ("killed_worker_retried", killed_worker)):
        attempt(name, fn)


# ---------------------------------------------------------------- throughput
def naive(check: Check, device: str, protocol, level: int, cells: list, seconds: float) -> dict:
    """One eager model after another in this process; the first (warm-up) is not counted."""
    times = []
    for task in tasks_of(cells, 1000):
        begin = time.perf_counter()
        train(task.arch, protocol, task.seed, device=device)
        times.append(time.perf_counter() - begin)
        if sum(times) > seconds and len(times) >= 3:
            break
    steady = times[1:]
    return {"level": level, "mode": "naive", "workers": 1, "graphs": False, "models": len(steady),
            "seconds": sum(steady), "models_per_hour": 3600 * len(steady) / sum(steady),
            "startup_seconds": times[0] - (sum(steady) / len(steady))}


def pooled(check: Check, device: str, protocol, workers: int, graphs: bool, cells: dict, seconds: float) -> list[dict]:
    """One pool: B2 tasks for ``seconds`` after the first B2 result, then B1 likewise.

    B2's window runs from its first result to the switch; B1's from the last B2 result (every
    worker is on B1 by then) to the last B1 result. Results inside a window count."""
    on_cuda = device.startswith("cuda")
    config = RunnerConfig(device=device if on_cuda else "cpu", workers=workers, models_per_gpu=workers, graphs=graphs)
    runner = LocalRunner(config, gpus=None if on_cuda else ["cpu"])  # CPU: the GPU path, device swapped
    stamps: list[tuple[float, int]] = []
    first: dict[int, float] = {}
    switch: dict[int, float] = {}
    begin = time.monotonic()
    levels = sorted(cells, reverse=True)

    def stream():
        for level in levels:
            for task in tasks_of(cells[level], 2000):
                if level in first and time.monotonic() - first[level] > seconds:
                    break
                if check.left() < 5:
                    return
                yield task
            switch[level] = time.monotonic()

    for result in runner.run(stream(), protocol):
        level = int(result.run["num_blocks"])
        stamps.append((time.monotonic(), level))
        first.setdefault(level, stamps[-1][0])
    n_devices = len(set(runner.devices)) if on_cuda else workers
    rows, previous_last = [], None
    for level in levels:
        mine = [t for t, lv in stamps if lv == level]
        a = first.get(level) if previous_last is None else previous_last
        b = switch.get(level) if level != levels[-1] else (max(mine) if mine else None)
        n = sum(1 for t in mine if a is not None and b is not None and a < t <= b)
        span = (b - a) if a is not None and b is not None else 0.0
        previous_last = max(mine) if mine else None
        rows.append({"level": level, "mode": "pool", "workers": workers, "graphs": graphs, "models": n,
                     "seconds": span, "models_per_hour": 3600 * n / span if n and span > 0 else 0.0,
                     "startup_seconds": (stamps[0][0] - begin) if stamps else None,
                     "device_seconds_per_model_epoch": (span * n_devices / (n * protocol.epochs)) if n else None})
    return rows


def throughput(check: Check, device: str, protocol, workers: list[int], budget: float) -> None:
    b2 = pnas.sample(2, 64, 0)
    cells = {1: b1_cells(), 2: b2}
    # most informative first (a pool that no longer fits is skipped and reported so)
    configs = [(w, g) for w in sorted(workers, reverse=True) for g in (True, False)]
    slice_s = max(2.0, budget / (4 + 4 * len(configs)))  # naive: 2 slices; a pool: start-up + 2 slices
    check.say(f"throughput: {len(configs)} pools, {slice_s:.1f}s per level each")
    naive_rate = {}
    for level in (2, 1):
        row = naive(check, device, protocol, level, cells[level], slice_s)
        naive_rate[level] = row["models_per_hour"]
        row["device_seconds_per_model_epoch"] = 3600 / row["models_per_hour"] / protocol.epochs
        check.record["throughput"].append(row)
        check.say(f"throughput naive B{level}: {row['models_per_hour']:.0f} models/h")
        check.save()
    stop_at = time.monotonic() + budget
    for w, g in configs:
        if stop_at - time.monotonic() < 2.5 * slice_s:
            check.say(f"throughput {w} workers graphs={g}: skipped (budget)")
            check.record["throughput"].append({"workers": w, "graphs": g, "skipped": "budget"})
            continue
        for row in pooled(check, device, protocol, w, g, cells, slice_s):
            row["ratio_to_naive"] = row["models_per_hour"] / naive_rate[row["level"]] if naive_rate[row["level"]] else None
            check.record["throughput"].append(row)
            check.say(f"throughput B{row['level']} {w} workers graphs={g}: {row['models_per_hour']:.0f} models/h "
                      f"({row['ratio_to_naive'] or 0:.2f}x naive), {row['device_seconds_per_model_epoch'] or 0:.4f} "
                      f"device-s/model-epoch, start-up {row['startup_seconds'] or 0:.1f}s")
        check.save()


def best_config(check: Check, device: str) -> tuple[int, bool]:
    rows = [r for r in check.record["throughput"] if r.get("mode") == "pool" and r["level"] == 2 and r["models"]]
    if rows:
        best = max(rows, key=lambda r: r["models_per_hour"])
        return best["workers"], best["graphs"]
    return (16, True) if device.startswith("cuda") else (os.cpu_count() or 1, False)


# ---------------------------------------------------------------- build
def done_keys(skip: list[Path]) -> set[str]:
    """arch_hashes already built (ok or diverged) in these tables / bundle folders."""
    import pandas as pd

    done: set[str] = set()
    for folder in skip:
        runs = folder / "runs.parquet"
        if runs.is_file():
            df = pd.read_parquet(runs, columns=["arch_hash", "status"])
            done.update(df.arch_hash[df.status.isin(["ok", "diverged"])])
        if any(folder.glob("*.jsonl.gz")):
            done.update(r.run["arch_hash"] for r in read_bundles(folder) if r.run["status"] in ("ok", "diverged"))
    return done


def build_b2(check: Check, device: str, skip: list[Path], workers: int, graphs: bool, work: Path) -> None:
    protocol = get_protocol("digits")
    done = done_keys(skip)
    stop_at = check.end - max(15.0, 0.1 * (check.end - check.start))  # drain, compact, pack

    def cells():  # the plan file's order; at least one round of `workers` cells, then until stop_at
        issued = 0
        with open(PLAN) as fh:
            for line in fh:
                if issued >= workers and time.monotonic() > stop_at:
                    return
                text = line.split("#", 1)[0].strip()
                cell = parse_arch(text) if text else None
                if cell is not None and cell.arch_hash not in done:
                    issued += 1
                    yield cell

    plan = Plan(f"file {PLAN.name} (fixed order, time-boxed)", cells, {2: B2_CELLS - len(done)}, {0: (0,)})
    on_cuda = device.startswith("cuda")
    config = RunnerConfig(device=device if on_cuda else "cpu", workers=workers, models_per_gpu=workers, graphs=graphs)
    scratch = work / "b2"
    stats = check.record["build"]
    stats.update(protocol_hash=protocol.protocol_hash, workers=workers, graphs=graphs, already_done=len(done))
    check.say(f"build: B2 cells of {PLAN.name}, {len(done)} already done, {workers} workers graphs={graphs}, "
              f"until {stop_at - check.start:.0f}s")
    stopped = threading.Event()

    def packer():
        while not stopped.wait(20):
            stats["bundles"] = [p.name for p in pack_shards(scratch, check.out, "b2")]
            check.save()

    thread = threading.Thread(target=packer, daemon=True)
    thread.start()
    try:
        summary = build(plan, protocol, scratch, config, shard_size=64, shard_seconds=15, progress=False,
                        command="benchmarks/gpu_check.py", window=1)  # each task pulled when a worker frees
    finally:
        stopped.set()
        thread.join()
    bundles = pack_shards(scratch, check.out, "b2")
    results = read_bundles(check.out) if bundles else []
    ok_hashes = {r.run["arch_hash"] for r in results if r.run["status"] in ("ok", "diverged")}
    ok = sum(r.run["status"] == "ok" for r in results)
    stats.update(bundles=[p.name for p in bundles], trained=summary.trained, failed=summary.failed,
                 ok=ok, seconds=summary.seconds, models_per_hour=3600 * summary.trained / max(summary.seconds, 1e-9),
                 bundle_bytes=sum(p.stat().st_size for p in bundles),
                 coverage=len(done | ok_hashes) / B2_CELLS)
    if len(bundles) > MAX_BUNDLES:
        raise RuntimeError(f"{len(bundles)} bundles: more than the {MAX_BUNDLES} the device machine returns")
    check.save()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--protocol", default=None, help="assertions and throughput (default: digits on "
                        "CUDA, digits-quick on CPU); the build always uses digits")
    parser.add_argument("--workers", default=None, help="workers per GPU to measure (default 1,4,8,16; CPU 2)")
    parser.add_argument("--skip", type=Path, action="append", default=None,
                        help="tables or bundle folders whose B2 cells are done (default tables/digits-pnas-b2)")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir)")
    args = parser.parse_args(argv)
    on_cuda = args.device.startswith("cuda")
    args.out.mkdir(parents=True, exist_ok=True)
    check = Check(args.out, args.minutes)
    protocol = get_protocol(args.protocol or ("digits" if on_cuda else "digits-quick"))
    workers = [int(w) for w in (args.workers or ("1,4,8,16" if on_cuda else "2")).split(",")]
    skip = args.skip if args.skip is not None else [p for p in [ROOT / "tables" / "digits-pnas-b2"] if p.exists()]
    check.record.update(facts=facts(args.device), protocol=protocol.to_dict(), minutes=args.minutes)
    check.say("facts: " + json.dumps(check.record["facts"], default=str))
    check.save()
    total = check.left()
    assertions(check, args.device, protocol)
    throughput(check, args.device, protocol, workers, min(0.4 * total, check.left() - 0.35 * total))
    work = Path(args.work or tempfile.mkdtemp(prefix="gpu_check-"))
    w, g = best_config(check, args.device)
    try:
        build_b2(check, args.device, skip, w, g, work)
    except Exception as exc:  # noqa: BLE001 - still print the summary of what was measured
        check.record["build"]["error"] = f"{type(exc).__name__}: {exc}"[:500]
        check.save()
    return summary(check)


def summary(check: Check) -> int:
    record = check.record
    passed = sum(a["ok"] for a in record["assertions"])
    pools = [r for r in record["throughput"] if r.get("mode") == "pool" and r.get("models")]
    parts = [f"device={record['facts'].get('name', record['facts']['device'])}",
             f"torch={record['facts']['torch']}", f"assertions={passed}/{len(record['assertions'])} ok"]
    for level in (2, 1):
        rows = [r for r in pools if r["level"] == level]
        if rows:
            best = max(rows, key=lambda r: r["models_per_hour"])
            parts.append(f"B{level} best={best['models_per_hour']:.0f} models/h ({best['workers']} workers, "
                         f"graphs={best['graphs']}, {best['ratio_to_naive'] or 0:.1f}x naive, "
                         f"{best['device_seconds_per_model_epoch']:.4f} device-s/model-epoch)")
    build_stats = record["build"]
    parts.append(f"built={build_stats.get('ok', 0)} B2 ok ({build_stats.get('failed', 0)} failed), coverage "
                 f"{100 * build_stats.get('coverage', 0):.2f}% of {B2_CELLS}, bundles={len(build_stats.get('bundles', []))}"
                 + (f", build error: {build_stats['error']}" if "error" in build_stats else ""))
    record["summary"] = "; ".join(parts)
    check.save()
    check.say("SUMMARY " + record["summary"])
    return 0 if passed == len(record["assertions"]) and "error" not in build_stats else 1


if __name__ == "__main__":
    sys.exit(main())
