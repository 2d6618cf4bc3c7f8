"""Speed and memory of `Benchmark` on a 1,000,000-curve-row table, against pandas.

    python benchmarks/table_speed.py [--archs 100000] [--epochs 10] [--queries 100000]

Generates a synthetic schema-v1 table (ARCHS archs x 1 seed x EPOCHS epochs) with
``write_table`` in a temp dir, then measures in a FRESH subprocess (so RSS is honest):

* open + index: ``Benchmark.open`` wall time (read both Parquet files, build the index);
* memory: peak RSS increase during open (VmHWM after - VmRSS before, peak reset via
  /proc/self/clear_refs) over the Arrow in-memory size (``pa.Table.nbytes``), after a
  warm-up open of a 10-arch table so that one-off costs (shared-library code pages of the
  Parquet reader, allocator arenas) are not charged to the table;
* point queries: ``query(arch_hash, seed, epoch)`` latency p50/p99 over QUERIES random
  (arch, epoch) pairs, each timed alone;
* pandas: the same lookup as a boolean filter on the curves DataFrame, timed on a sample
  (default 200) and extrapolated to QUERIES -- a full pandas run would take minutes;
* arch-string overhead: ``Cell.parse`` + canonical form + hash of real 5-block cells, the
  extra cost of querying by arch string instead of arch_hash;
* ``Oracle.evaluate(arch)`` (seed mean, full epochs), each call timed alone: the fast path
  (a stored string: one dict lookup) over QUERIES calls, its one-off index build (the first
  call), and the slow path (``fast=False``, by arch_hash, which skips the parse) on a sample
  (default 2,000); ratios against the slow path and the pandas filter of the same run.

The arch strings are random op/input strings of 5 blocks with arch_hash = sha256(arch)[:16]
(valid schema-v1 rows, but not canonical cells: canonicalizing 100k real cells would
dominate the run and does not change lookup cost, which depends only on the hashes).
Targets: open+index <= ~1 s, RSS <= 2x Arrow size, point query >= 100x faster than pandas,
Oracle.evaluate of a stored string < 20 us.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time

import numpy as np

OPS = ("identity", "avg_pool_3x3", "max_pool_3x3", "dil_conv_3x3", "sep_conv_3x3",
       "sep_conv_5x5", "sep_conv_7x7", "conv_1x7_7x1")


def _proc_status() -> dict[str, float]:
    """VmRSS and VmHWM of this process in bytes (psutil is not required)."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = float(value.split()[0]) * 1024
    return out


def generate(out_dir: str, n_archs: int, epochs: int, seed: int = 0) -> None:
    """Write a synthetic table of ``n_archs`` runs and ``n_archs * epochs`` curve rows."""
    import pyarrow as pa

    from nasbench.tables.io import write_table
    from nasbench.tables.schema import protocol_hash

    rng = np.random.default_rng(seed)
    b = 5
    op = rng.integers(len(OPS), size=(n_archs, 2 * b))
    inp = np.concatenate([rng.integers(k + 1, size=(n_archs, 2)) for k in range(1, b + 1)], axis=1)
    archs = [",".join(f"{OPS[o[2 * k]]}@{i[2 * k]}+{OPS[o[2 * k + 1]]}@{i[2 * k + 1]}"
                      for k in range(b)) for o, i in zip(op.tolist(), inp.tolist())]
    hashes = [hashlib.sha256(a.encode()).hexdigest()[:16] for a in archs]
    protocol = {"dataset": "synthetic", "epochs": epochs}
    ph = protocol_hash(protocol)
    n = n_archs
    acc = rng.uniform(0.1, 0.95, size=(n, epochs))
    secs = rng.uniform(1.0, 5.0, size=(n, epochs))
    runs = pa.table({
        "arch": archs, "arch_hash": hashes, "space": ["pnas"] * n, "num_blocks": np.full(n, b),
        "dataset": ["synthetic"] * n, "protocol_hash": [ph] * n, "seed": np.zeros(n, np.int32),
        "epochs": np.full(n, epochs), "params": rng.integers(10_000, 1_000_000, n),
        "flops": rng.integers(10**6, 10**8, n), "train_acc": acc[:, -1], "val_acc": acc[:, -1],
        "test_acc": acc[:, -1], "train_loss": 1 - acc[:, -1], "val_loss": 1 - acc[:, -1],
        "test_loss": 1 - acc[:, -1], "best_val_acc": acc.max(1),
        "best_val_epoch": acc.argmax(1) + 1, "train_seconds": secs.sum(1),
        "eval_seconds": np.full(n, 0.5), "device": ["cpu"] * n, "status": ["ok"] * n,
    })
    flat = acc.reshape(-1)
    curves = pa.table({
        "arch_hash": np.repeat(np.array(hashes), epochs), "seed": np.zeros(n * epochs, np.int32),
        "epoch": np.tile(np.arange(1, epochs + 1, dtype=np.int32), n),
        "lr": np.tile(np.linspace(0.1, 0.0, epochs), n), "train_loss": 1 - flat,
        "train_acc": flat, "val_loss": 1 - flat, "val_acc": flat, "test_loss": 1 - flat,
        "test_acc": flat, "epoch_seconds": secs.reshape(-1),
    })
    write_table(out_dir, runs, curves, protocol, {"command": "benchmarks/table_speed.py"},
                datasheet=False)


def measure(table: str, warmup: str, n_queries: int, pandas_sample: int, seed: int,
            oracle_sample: int = 2000) -> dict:
    """Run in a fresh process: open + index, RSS, query latency, pandas baseline."""
    import pandas as pd  # noqa: F401  (imported before the RSS baseline, like pyarrow)
    import pyarrow  # noqa: F401

    from nasbench.space import pnas
    from nasbench.tables.benchmark import Benchmark

    small = Benchmark.open(warmup)
    small.query(small.arrow_runs.column("arch_hash")[0].as_py(), seed=0, epoch=1)
    del small

    with open("/proc/self/clear_refs", "w") as fh:  # reset VmHWM to the current RSS
        fh.write("5")
    before = _proc_status()["VmRSS"]
    t0 = time.perf_counter()
    bench = Benchmark.open(table)
    open_s = time.perf_counter() - t0
    after = _proc_status()
    arrow = bench.arrow_runs.nbytes + bench.arrow_curves.nbytes

    rng = np.random.default_rng(seed)
    hashes = bench.arrow_runs.column("arch_hash").to_pylist()
    picks = rng.integers(len(hashes), size=n_queries)
    epochs = rng.integers(1, bench.epochs + 1, size=n_queries)
    lat = np.empty(n_queries)
    for j in range(n_queries):
        h, e = hashes[picks[j]], int(epochs[j])
        t = time.perf_counter()
        bench.query(h, seed=0, epoch=e)
        lat[j] = time.perf_counter() - t

    df = bench.curves_df
    pd_lat = np.empty(min(pandas_sample, n_queries))
    for j in range(len(pd_lat)):
        h, e = hashes[picks[j]], int(epochs[j])
        t = time.perf_counter()
        row = df[(df["arch_hash"] == h) & (df["seed"] == 0) & (df["epoch"] == e)]
        row.iloc[0].to_dict()
        pd_lat[j] = time.perf_counter() - t

    archs = bench.arrow_runs.column("arch").to_pylist()  # one run per arch: aligned with hashes
    m_oracle = _oracle_latency(bench, [archs[i] for i in picks.tolist()], hashes, picks,
                               oracle_sample)

    cells = [c.canonical_string for c in pnas.sample(5, 1000, seed)]
    t = time.perf_counter()
    for c in cells:
        bench.resolve(c)
    parse_s = (time.perf_counter() - t) / len(cells)
    return {"open_s": open_s, "arrow_bytes": arrow, "rss_peak_increase": after["VmHWM"] - before,
            "rss_increase": after["VmRSS"] - before, "runs": bench.arrow_runs.num_rows,
            "curve_rows": bench.arrow_curves.num_rows, "p50": float(np.percentile(lat, 50)),
            "p99": float(np.percentile(lat, 99)), "mean": float(lat.mean()),
            "queries": n_queries, "pandas_p50": float(np.percentile(pd_lat, 50)),
            "pandas_mean": float(pd_lat.mean()), "pandas_sample": len(pd_lat),
            "arch_string_resolve": parse_s, **m_oracle}


def _oracle_latency(bench, archs: list, hashes: list, picks, sample: int) -> dict:
    """Per-call latency of Oracle.evaluate: fast path by stored string, slow path by hash."""
    from nasbench.tables import Oracle

    fast = Oracle(bench)
    t = time.perf_counter()
    fast.evaluate(archs[0])
    build_s = time.perf_counter() - t
    fast.reset()
    lat = np.empty(len(archs))
    for j, arch in enumerate(archs):
        t = time.perf_counter()
        fast.evaluate(arch)
        lat[j] = time.perf_counter() - t
    slow = Oracle(bench, fast=False)
    slow_lat = np.empty(min(sample, len(archs)))
    for j in range(len(slow_lat)):
        h = hashes[picks[j]]
        t = time.perf_counter()
        slow.evaluate(h)
        slow_lat[j] = time.perf_counter() - t
    return {"oracle_build_s": build_s, "oracle_p50": float(np.percentile(lat, 50)),
            "oracle_p99": float(np.percentile(lat, 99)), "oracle_mean": float(lat.mean()),
            "oracle_slow_p50": float(np.percentile(slow_lat, 50)),
            "oracle_slow_sample": len(slow_lat)}


def report(m: dict) -> None:
    mib = 2**20
    rss_ratio = m["rss_peak_increase"] / m["arrow_bytes"]
    speedup = m["pandas_p50"] / m["p50"]
    print(f"table: {m['runs']:,} runs, {m['curve_rows']:,} curve rows")
    print(f"open + index:          {m['open_s']:.3f} s   (target <= ~1 s)")
    print(f"Arrow in-memory size:  {m['arrow_bytes'] / mib:.1f} MiB")
    print(f"peak RSS increase:     {m['rss_peak_increase'] / mib:.1f} MiB -> {rss_ratio:.2f}x Arrow "
          f"(target <= 2x); after open {m['rss_increase'] / mib:.1f} MiB "
          f"({m['rss_increase'] / m['arrow_bytes']:.2f}x)")
    print(f"point query (hash, seed, epoch) over {m['queries']:,}: p50 {m['p50'] * 1e6:.1f} us, "
          f"p99 {m['p99'] * 1e6:.1f} us, mean {m['mean'] * 1e6:.1f} us, "
          f"total {m['mean'] * m['queries']:.2f} s")
    print(f"pandas boolean filter (timed on {m['pandas_sample']}, extrapolated): p50 "
          f"{m['pandas_p50'] * 1e3:.2f} ms, {m['queries']:,} queries ~ "
          f"{m['pandas_mean'] * m['queries']:.0f} s")
    print(f"speedup over pandas:   {speedup:,.0f}x at p50, "
          f"{m['pandas_mean'] / m['mean']:,.0f}x in mean (target >= 100x)")
    print(f"arch string -> hash (parse + canonical + sha256, 5 blocks): "
          f"{m['arch_string_resolve'] * 1e6:.1f} us extra per query by arch string")
    print(f"Oracle.evaluate (seed mean) over {m['queries']:,} calls, fast path: p50 "
          f"{m['oracle_p50'] * 1e6:.1f} us, p99 {m['oracle_p99'] * 1e6:.1f} us, mean "
          f"{m['oracle_mean'] * 1e6:.1f} us (target < 20 us); index built once on the first "
          f"call in {m['oracle_build_s']:.2f} s")
    print(f"Oracle.evaluate slow path (fast=False, by hash; timed on {m['oracle_slow_sample']:,}): "
          f"p50 {m['oracle_slow_p50'] * 1e6:.1f} us -> fast path "
          f"{m['oracle_slow_p50'] / m['oracle_p50']:,.0f}x faster at p50, "
          f"{m['pandas_p50'] / m['oracle_p50']:,.0f}x faster than the pandas filter; by arch "
          f"string the slow path also parses (+{m['arch_string_resolve'] * 1e6:.0f} us): "
          f"{(m['oracle_slow_p50'] + m['arch_string_resolve']) / m['oracle_p50']:,.0f}x")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archs", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--pandas-sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--oracle-sample", type=int, default=2000)
    parser.add_argument("--measure", nargs=2, metavar=("TABLE", "WARMUP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure, args.queries, args.pandas_sample, args.seed,
                                 args.oracle_sample)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        table, warmup = f"{tmp}/table", f"{tmp}/warmup"
        generate(table, args.archs, args.epochs, args.seed)
        print(f"generated and wrote the table in {time.perf_counter() - t:.1f} s")
        generate(warmup, 10, args.epochs, args.seed + 1)
        out = subprocess.run([sys.executable, __file__, "--measure", table, warmup, "--queries",
                              str(args.queries), "--pandas-sample", str(args.pandas_sample),
                              "--seed", str(args.seed), "--oracle-sample",
                              str(args.oracle_sample)], capture_output=True, text=True)
        if out.returncode:
            sys.exit(out.stderr)
        report(json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
