"""TABLE.md, the datasheet of a table, and the same figures as a dict (``nasbench info``).

Figures: protocol, rebuild command, counts per num_blocks and seed, status counts,
val/test accuracy summary per num_blocks over ok runs, the best cells by mean val
accuracy with their mean test accuracy, seed-to-seed rank correlation (for every pair of
seeds, Spearman's rho of ``val_acc`` and ``val_loss`` over the archs with a finished run for
both seeds, at least 3, averaged over the pairs), the signal figures of
:mod:`nasbench.tables.signal` (top-quartile seed agreement, collapsed runs) and closure
(:mod:`closure`: up to which B the table holds every cell of its space, and the missing counts).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from nasbench.tables import closure
from nasbench.tables import schema as S
from nasbench.tables.signal import describe, seed_correlation, signal_figures


def _bench(table):
    from nasbench.tables.benchmark import Benchmark

    return Benchmark.open(table)


def _stats(values: np.ndarray) -> dict:
    if not len(values):
        return {"n": 0, "mean": None, "std": None, "min": None, "max": None}
    return {"n": int(len(values)), "mean": float(np.mean(values)),
            "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
            "min": float(np.min(values)), "max": float(np.max(values))}


def _signal(bench) -> dict:
    """Seed-to-seed Spearman (all, top quartile) and collapsed runs: see nasbench.tables.signal."""
    import pyarrow.compute as pc

    from nasbench.data import get_spec

    try:
        classes = get_spec(bench.protocol.get("dataset", "")).num_classes
    except ValueError:
        classes = 10
    curves = bench.arrow_curves
    first = curves.filter(pc.equal(curves.column("epoch"), 1)).select(["arch_hash", "seed", "epoch", "train_loss"])
    return signal_figures(bench.runs, first.to_pandas(), classes)


def table_summary(table, command: str | None = None, top: int = 10) -> dict:
    """The datasheet figures of a table (a path or an open Benchmark) as plain data."""
    bench = _bench(table)
    runs = bench.runs
    ok = runs[runs["status"] == "ok"]
    counts, accuracy = {}, {}
    for b in bench.num_blocks:
        part = runs[runs["num_blocks"] == b]
        counts[b] = {"archs": int(part["arch_hash"].nunique()),
                     "of": _space_count(bench.space, b),
                     "runs_per_seed": {int(s): int(n) for s, n in
                                       part.groupby("seed").size().items()}}
        okb = ok[ok["num_blocks"] == b]
        accuracy[b] = {m: _stats(okb[m].to_numpy(dtype=float)) for m in ("val_acc", "test_acc")}
    return {
        "path": str(bench.path),
        "schema_version": bench.metadata.schema_version,
        "space": bench.space,
        "protocol_hash": bench.metadata.protocol_hash,
        "protocol": bench.protocol,
        "provenance": bench.provenance,
        "command": command or bench.provenance.get("command"),
        "archs": len(bench), "runs": int(len(runs)),
        "curve_rows": int(bench.arrow_curves.num_rows),
        "epochs": bench.epochs, "seeds": bench.seeds,
        "counts": counts,
        "status": {s: int((runs["status"] == s).sum()) for s in S.STATUSES},
        "accuracy": accuracy,
        "best": bench.best(top, by="val_acc", report="test_acc"),
        "seed_correlation": {m: seed_correlation(runs, m) for m in ("val_acc", "val_loss")},
        "closure": closure.summary(runs, bench.space),
        "signal": _signal(bench),
    }


def _space_count(space: str, num_blocks: int) -> int | None:
    """How many canonical cells the space has at ``num_blocks`` (None where uncounted)."""
    from nasbench.space import get_space

    try:
        return int(get_space(space).count(num_blocks))
    except (NotImplementedError, ValueError, KeyError):
        return None


def _coverage(c: dict) -> str:
    return "" if c.get("of") is None else f" of {c['of']:,} ({100 * c['archs'] / c['of']:.2f}%)"


def training_lines(provenance: dict) -> list[str]:
    """The "Trained on" section: how many runs each device / torch / precision / graphs
    setup trained (builds record it since the GPU builder)."""
    rows = provenance.get("training") or []
    lines = ["## Trained on", "",
             "CPU rows are bit-for-bit reproducible with the same torch build on a CPU of the same "
             "kernel level (the CPU / kernels column). GPU rows (bf16 autocast, cuDNN "
             "kernels, CUDA graphs) are not bit-identical to CPU rows of the same cell and seed, "
             "nor across GPU models or torch versions: compare them statistically.", ""]
    if not rows:
        return lines + ["(not recorded: built before the training setup was recorded)", ""]
    lines += ["| device | CPU / kernels | torch | precision | CUDA graphs | runs |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['device']} | {r.get('cpu', 'unrecorded')} | {r['torch_version']} | {r['precision']} "
              f"| {r['graphs']} | {r['runs']} |" for r in rows]
    return lines + [""]


def _num(x) -> str:
    return "-" if x is None else f"{x:.4f}"


def render(summary: dict, see_also: tuple[tuple[str, str], ...] = ()) -> str:
    """The datasheet as Markdown; ``see_also`` adds (title, link) pairs, e.g. its reports."""
    lines = [f"# nasbench table `{Path(summary['path']).name}`", "",
             f"space `{summary.get('space', 'pnas')}`, schema_version {summary['schema_version']}, protocol_hash "
             f"`{summary['protocol_hash']}`: {summary['archs']} archs, {summary['runs']} runs, "
             f"{summary['curve_rows']} curve rows, {summary['epochs']} epochs, "
             f"seeds {summary['seeds']}.", "",
             "## Protocol", "", "```json", json.dumps(summary["protocol"], indent=2,
                                                       sort_keys=True), "```", "",
             "## Rebuild", "", "```", summary["command"] or "(command not recorded)", "```", "",
             "Provenance:", "", "```json",
             json.dumps(summary["provenance"], indent=2, sort_keys=True), "```", "",
             *training_lines(summary["provenance"]),
             "## Counts", "", "| blocks | archs (of the space's cells) | runs per seed |", "|---|---|---|"]
    for b, c in summary["counts"].items():
        per = ", ".join(f"seed {s}: {n}" for s, n in c["runs_per_seed"].items())
        lines.append(f"| {b} | {c['archs']}{_coverage(c)} | {per} |")
    lines += ["", "Status: " + ", ".join(f"{s} {n}" for s, n in summary["status"].items()), "",
              "## Accuracy (ok runs)", "",
              "| blocks | metric | n | mean | std | min | max |", "|---|---|---|---|---|---|---|"]
    for b, per in summary["accuracy"].items():
        for m, st in per.items():
            lines.append(f"| {b} | {m} | {st['n']} | {_num(st['mean'])} | {_num(st['std'])} "
                         f"| {_num(st['min'])} | {_num(st['max'])} |")
    lines += ["", "## Best cells (selected by mean val_acc, reporting mean test_acc)", "",
              "| rank | blocks | val_acc | test_acc | seeds | arch |", "|---|---|---|---|---|---|"]
    for r in summary["best"]:
        lines.append(f"| {r['rank']} | {r['num_blocks']} | {_num(r['val_acc'])} | "
                     f"{_num(r['test_acc'])} | {r['seeds']} | `{r['arch']}` |")
    lines += ["", "## Seed-to-seed rank correlation", "",
              "Mean pairwise Spearman rho between seeds over archs with an ok run for both.", ""]
    for m, c in summary["seed_correlation"].items():
        lines.append(f"- {m}: rho {_num(c['rho'])} ({c['pairs']} seed pair(s), "
                     f"{c['archs']} archs with >= 2 seeds)")
    if "signal" in summary:
        lines += ["", "## Signal", "", "Where searches compete: seed agreement among the top quartile "
                  "of archs by seed-mean val_acc, and runs that collapsed (rule in "
                  "nasbench/tables/signal.py).", ""] + [f"- {line}" for line in describe(summary["signal"])]
    if "closure" in summary:
        lines += ["", "## Closure", "", "Cells of the space held with at least one run that did not "
                  "fail (`nasbench table validate --closed` checks a seed rule too).", ""]
        lines += closure.render(summary["closure"])
    lines += reference_lines(summary)
    if see_also:
        lines += ["", "## See also", ""] + [f"- [{title}]({link})" for title, link in see_also]
    return "\n".join(lines) + "\n"


def reference_lines(summary: dict) -> list[str]:
    """The column dictionary, the dataset's licence and how to cite the table."""
    from nasbench.tables.columns import render_columns
    from nasbench.tables.sources import CITE_BENCHMARK, CITE_PAPERS, source_of

    dataset = summary["protocol"].get("dataset")
    source = source_of(dataset)
    prov = summary["provenance"]
    lines = ["", "## Columns", "",
             "Plain Parquet (`pandas.read_parquet` needs nothing of nasbench). Failed and "
             "diverged runs keep their rows with NaN metrics.", "", render_columns(), "",
             "## Dataset and licence", ""]
    if source is None:
        lines.append(f"Dataset `{dataset}`: no source recorded in nasbench.")
    else:
        lines += [f"Dataset `{dataset}`: {source.title} ({source.url}).", "",
                  f"Licence of the data: {source.licence}. The table's own figures are "
                  "released with nasbench under the Apache License 2.0."]
    lines += ["", "## How to cite", "",
              "- " + CITE_BENCHMARK.format(version=prov.get("nasbench_version", "?"),
                                           git_commit=prov.get("git_commit", "?"),
                                           table=Path(summary["path"]).name,
                                           protocol_hash=summary["protocol_hash"])]
    lines += [f"- {paper}" for paper in CITE_PAPERS]
    if source is not None:
        lines.append(f"- {source.citation}")
    return lines


def existing_see_also(datasheet: Path) -> tuple[tuple[str, str], ...]:
    """The (title, link) pairs of an existing TABLE.md's "See also" section, so rewriting a
    datasheet keeps the links to its reports."""
    import re

    if not datasheet.exists():
        return ()
    text = datasheet.read_text()
    section = text.partition("\n## See also\n")[2].split("\n## ")[0]
    return tuple(re.findall(r"^- \[(.+)\]\((.+)\)$", section, re.M))


def write_datasheet(path: str | os.PathLike, command: str | None = None,
                    see_also: tuple[tuple[str, str], ...] | None = None) -> Path:
    """Write ``<table>/TABLE.md`` atomically and return its path; ``see_also=None`` keeps the
    existing datasheet's "See also" links."""
    from nasbench.tables.io import atomic_write_text, table_dir

    folder = table_dir(path)
    out = folder / S.DATASHEET_FILE
    if see_also is None:
        see_also = existing_see_also(out)
    atomic_write_text(render(table_summary(folder, command), see_also), out)
    return out
