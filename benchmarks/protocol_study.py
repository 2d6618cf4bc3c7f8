"""Protocol trade-off study: which protocol measures architectures, not seeds, where it matters?

For each candidate protocol it trains the same cells (``--b1`` B1 and ``--b3`` B3 cells x
``--seeds`` seeds, plus ``--b2`` B2 cells x 1 seed for the cost column) through the real
builder into ``<out>/<name>/`` (resumable: rerun the same command to finish) and prints one
Markdown row per candidate: CPU-seconds per model by block count, seed-to-seed Spearman of
val accuracy over all cells and in the top quartile (nasbench.tables.signal), val-test
Spearman in the top quartile, seed SD against the binomial SD of the val set at the top,
rank agreement with the candidate's 2x-longer reference (when built) and of its own half-way
val with its final val, collapse rate, and the
best and median seed-mean val accuracy. The table is the one in docs/protocol-tradeoffs.md.

CPU-seconds are process CPU time of the build's worker processes (``RUSAGE_CHILDREN`` around
each block count's build, divided by the models it trained), not wall time: other jobs
share the cores. They are stored in ``<out>/<name>/cpu.json`` so a resumed study keeps them.

    python benchmarks/protocol_study.py --out /root/nasbench-work/protocol-study \\
        --only "fm7 2k 10ep;fm7 2k 20ep (2x)"
"""
from __future__ import annotations

import argparse
import json
import resource
from pathlib import Path

import numpy as np
import pandas as pd

from nasbench.builder.build import build
from nasbench.builder.plan import Plan
from nasbench.builder.protocol import PRESETS
from nasbench.builder.runners import RunnerConfig
from nasbench.data import get_spec
from nasbench.space import pnas
from nasbench.tables.signal import (FINISHED, collapsed_mask, held_out_top_quartile, seed_correlation,
                                    spearman, top_quartile)

DIGITS, FM = PRESETS["digits"], PRESETS["fmnist"]
#: name -> protocol; "<name> (2x)" entries are the 2x-longer references of "<name>".
CANDIDATES = {
    "fm7 2k 10ep": FM,
    "fm7 2k 10ep (2x)": FM.replace(epochs=20, val_every=10),
    "fm7 4k 10ep": FM.replace(train_size=4000),
    "fm7 2k 10ep no warmup": FM.replace(warmup_epochs=0),
    "fm14 2k 10ep": FM.replace(resolution=14),
    "fm7 2k 10ep F8": FM.replace(F=8),
    "fm7 2k 6ep": FM.replace(epochs=6, val_every=3),
    "fm28 2k 10ep": FM.replace(resolution=None),
    "digits": DIGITS,
    "digits warmup 1": DIGITS.replace(warmup_epochs=1),
}


def distinct(blocks: int, n: int) -> list:
    """The first ``n`` distinct cells of a seeded uniform sample (a prefix of any larger one)."""
    return list(dict.fromkeys(pnas.sample(blocks, 4 * n, seed=123)))[:n]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_candidate(name: str, out: Path, cells: dict[int, list], seeds: dict[int, tuple], workers: int) -> Path:
    """Build each block count in turn, accumulating worker CPU-seconds per model in cpu.json."""
    protocol = CANDIDATES[name]
    folder = out / name.replace(" ", "_")
    cpu_file = folder / "cpu.json"
    for blocks, chosen in cells.items():
        if not chosen:
            continue
        plan = Plan(f"{name} B{blocks}", lambda chosen=chosen: iter(chosen), {blocks: len(chosen)},
                    {0: seeds[blocks]})
        before = _children_cpu()
        summary = build(plan, protocol, folder, RunnerConfig(workers=workers), progress=False)
        spent = _children_cpu() - before
        if summary.trained:
            cpu = json.loads(cpu_file.read_text()) if cpu_file.exists() else {}
            seconds, models = cpu.get(str(blocks), (0.0, 0))
            cpu[str(blocks)] = (seconds + spent, models + summary.trained)
            cpu_file.write_text(json.dumps(cpu))
    return folder


def row(name: str, folder: Path, reference: pd.DataFrame | None, archs=None) -> dict:
    """The study's figures for one built candidate, or for any table (``name`` not a
    candidate: its own protocol; cost = mean wall train+eval seconds, as no cpu.json exists),
    restricted to ``archs`` (arch hashes) when given."""
    from nasbench.builder.protocol import Protocol
    from nasbench.tables.io import read_metadata

    runs = pd.read_parquet(folder / "runs.parquet")
    curves = pd.read_parquet(folder / "curves.parquet")
    if archs is not None:
        runs, curves = runs[runs["arch_hash"].isin(archs)], curves[curves["arch_hash"].isin(archs)]
    protocol = CANDIDATES.get(name) or Protocol.from_dict(read_metadata(folder).protocol)
    cpu = json.loads((folder / "cpu.json").read_text()) if (folder / "cpu.json").exists() else {
        str(b): ((part.train_seconds + part.eval_seconds).sum(), len(part)) for b, part in runs.groupby("num_blocks")}
    done = runs[runs["status"].isin(FINISHED)]
    per = done.groupby("arch_hash").agg(val=("val_acc", "mean"), test=("test_acc", "mean"),
                                        sd=("val_acc", "std"), n=("seed", "count"))
    per = per[per["n"] >= 2]
    top = top_quartile(runs)
    at_top = per.loc[per.index.isin(top)]
    p = at_top["val"].mean()
    binomial = float(np.sqrt(p * (1 - p) / protocol.val_size))
    agreement = float("nan")
    if reference is not None:
        ref = reference[reference["status"].isin(FINISHED)].groupby("arch_hash")["val_acc"].mean()
        shared = per.index.intersection(ref.index)
        agreement = spearman(per.loc[shared, "val"], ref.loc[shared]) if len(shared) >= 3 else agreement
    collapsed = collapsed_mask(runs, curves, get_spec(protocol.dataset).num_classes)
    figures = {"protocol": name, "cells B1/B3": "/".join(str(int((runs.groupby("arch_hash").num_blocks.first()
                                                                  == b).sum())) for b in (1, 3))}
    for b in (1, 2, 3):
        seconds, models = cpu.get(str(b), (float("nan"), 0))
        figures[f"cpu s B{b}"] = seconds / models if models else float("nan")
    figures.update({
        "seed rho": seed_correlation(runs, "val_acc")["rho"],
        "seed rho top25%": seed_correlation(runs, "val_acc", top)["rho"],
        **{f"top25% B{b}": seed_correlation(part, "val_acc", top_quartile(part))["rho"]
           for b, part in ((b, runs[runs["num_blocks"] == b]) for b in (1, 3))},
        "top25% B1, held-out pick": held_out_top_quartile(runs[runs["num_blocks"] == 1]),
        "val-test rho top25%": spearman(at_top["val"], at_top["test"]) if len(at_top) >= 3 else float("nan"),
        "seed SD top": float(at_top["sd"].mean()),
        "binomial SD top": binomial,
        "rho vs 2x": agreement,
        "rho half vs final": _half_vs_final(curves, per.index, protocol.epochs),
        "collapsed": float(collapsed.mean()),
        "best val": float(per["val"].max()),
        "median val": float(per["val"].median()),
    })
    return figures


def _half_vs_final(curves: pd.DataFrame, archs, epochs: int) -> float:
    """Spearman of seed-mean val_acc at epoch epochs/2 against the final epoch (is the ranking
    still moving?); NaN when val was not evaluated half-way."""
    mid = curves[curves["arch_hash"].isin(archs)].pivot_table(index="arch_hash", columns="epoch", values="val_acc")
    if epochs // 2 not in mid.columns or epochs not in mid.columns:
        return float("nan")
    pair = mid[[epochs // 2, epochs]].dropna()
    return spearman(pair[epochs // 2], pair[epochs]) if len(pair) >= 3 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--b1", type=int, default=40)
    parser.add_argument("--b3", type=int, default=20)
    parser.add_argument("--b2", type=int, default=10, help="B2 cells x 1 seed, for the cost column only")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default="out/protocol-study")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default=";".join(CANDIDATES), help="Semicolon-separated candidates, in order.")
    parser.add_argument("--report-only", action="store_true", help="Print the table from what is built.")
    parser.add_argument("--tables", default="", help="Semicolon-separated table folders to add as rows "
                        "(e.g. tables/digits-pnas; cost from their wall-time fields).")
    parser.add_argument("--same-cells", action="store_true", help="Also each --tables row restricted "
                        "to the study's cells.")
    args = parser.parse_args()
    names = [n for n in args.only.split(";") if n]
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        parser.error(f"unknown candidate(s) {', '.join(unknown)}; known: {'; '.join(CANDIDATES)}")
    cells = {1: distinct(1, args.b1), 3: distinct(3, args.b3), 2: distinct(2, args.b2)}
    seeds = {1: tuple(range(args.seeds)), 3: tuple(range(args.seeds)), 2: (0,)}
    out = Path(args.out)
    for name in names:
        if not args.report_only:
            study_cells = cells if "(2x)" not in name else {b: c for b, c in cells.items() if b != 2}
            build_candidate(name, out, study_cells, seeds, args.workers)
    rows = []
    for name in CANDIDATES:
        folder = out / name.replace(" ", "_")
        if (folder / "runs.parquet").exists() and "(2x)" not in name:
            ref = out / f"{name} (2x)".replace(" ", "_") / "runs.parquet"
            rows.append(row(name, folder, pd.read_parquet(ref) if ref.exists() else None))
    for path in filter(None, args.tables.split(";")):
        cost = "CPU s" if (Path(path) / "cpu.json").exists() else "wall s"
        rows.append(row(f"table {Path(path).name} ({cost})", Path(path), None))
        if args.same_cells:  # the same cells as the candidates, where the table has them
            study = {c.arch_hash for chosen in cells.values() for c in chosen}
            rows.append(row(f"table {Path(path).name}, study cells ({cost})", Path(path), None, study))
    if not rows:
        return
    frame = pd.DataFrame(rows)
    print(f"{args.b1} B1 + {args.b3} B3 cells x {args.seeds} seeds per candidate "
          f"(+ {args.b2} B2 cells x 1 seed for cost); CPU-seconds = worker process CPU time per model")
    print("| " + " | ".join(frame.columns) + " |")
    print("|" + "---|" * len(frame.columns))
    for values in frame.itertuples(index=False):
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in values) + " |")


if __name__ == "__main__":
    main()
