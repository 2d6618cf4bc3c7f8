"""Cross-dataset rank transfer: do the cells that win on one dataset win on another?

NAS-Bench-201 (Dong & Yang, ICLR 2020, Fig. 6 and Table 5) reports the rank correlation of its
architectures between CIFAR-10, CIFAR-100 and ImageNet-16-120. :func:`rank_transfer` does the
same for two tables of one space: it pairs the cells both tables hold (by ``arch_hash``, seeds
averaged by the one rule of :mod:`nasbench.tables.seeds`) and gives Spearman and Kendall
correlations (scipy.stats) and the overlap of the two top-k sets, beside the overlap expected
when the rankings are unrelated (k^2 / n).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nasbench import markdown
from nasbench.analysis.data import load_runs, select


@dataclass(frozen=True)
class Transfer:
    """Rank agreement of ``metric`` between table ``a`` and table ``b`` on their common cells.

    ``overlap[k]`` = cells in both top-k sets; ``chance[k]`` = k^2 / n, its expectation under
    unrelated rankings. ``frame``: one row per common cell (arch_hash, arch, num_blocks, a, b).
    """

    a: str
    b: str
    metric: str
    n: int
    spearman: float
    spearman_p: float
    kendall: float
    kendall_p: float
    overlap: dict = field(default_factory=dict)
    chance: dict = field(default_factory=dict)
    frame: object = None

    def to_dict(self) -> dict:
        """JSON-ready figures (without the per-cell frame)."""
        return {"a": self.a, "b": self.b, "metric": self.metric, "n": self.n,
                "spearman": self.spearman, "spearman_p": self.spearman_p,
                "kendall": self.kendall, "kendall_p": self.kendall_p,
                "overlap": {str(k): v for k, v in self.overlap.items()},
                "chance": {str(k): v for k, v in self.chance.items()}}

    def markdown_row(self) -> list:
        """metric, common cells, Spearman, Kendall, then one overlap cell per top-k."""
        return [f"`{self.metric}`", self.n, f"{self.spearman:.3f}", f"{self.kendall:.3f}"] + [
            f"{self.overlap[k]} of {k} (chance {self.chance[k]:.1f})" for k in sorted(self.overlap)]


def _table_name(path) -> str:
    p = Path(path)
    return p.parent.name if p.suffix == ".parquet" else p.name


def rank_transfer(table_a: str | os.PathLike, table_b: str | os.PathLike, metric: str = "val_acc",
                  where: str | None = None, top: tuple[int, ...] = (10, 25)) -> Transfer:
    """Rank agreement of the seed-mean ``metric`` between two tables on the cells both hold.

    ``where`` (a pandas query, e.g. ``"num_blocks == 1"``) selects cells in both tables. Raises
    ValueError when the tables hold different spaces or share fewer than 3 cells, or when a
    top-k exceeds the common cells.
    """
    from scipy import stats

    frames = []
    for path in (table_a, table_b):
        df = select(load_runs(path), where)
        if metric not in df.columns:
            raise ValueError(f"{path}: no column {metric!r}")
        frames.append(df)
    spaces = [set(f["space"].unique()) if "space" in f else set() for f in frames]
    if spaces[0] and spaces[1] and spaces[0] != spaces[1]:
        raise ValueError(f"the tables hold different spaces: {sorted(spaces[0])} vs {sorted(spaces[1])}")
    keep = [c for c in ("arch_hash", "arch", "num_blocks") if c in frames[0] and c in frames[1]]
    both = (frames[0][keep + [metric]].rename(columns={metric: "a"})
            .merge(frames[1][["arch_hash", metric]].rename(columns={metric: "b"}), on="arch_hash"))
    both = both[np.isfinite(both["a"]) & np.isfinite(both["b"])].reset_index(drop=True)
    n = len(both)
    if n < 3:
        raise ValueError(f"{table_a} and {table_b} share {n} cells with a finite {metric}; need >= 3")
    too_big = [k for k in top if k > n]
    if too_big:
        raise ValueError(f"top-{too_big[0]} needs at least {too_big[0]} common cells, the tables share {n}")
    a, b = both["a"].to_numpy(float), both["b"].to_numpy(float)
    rho, rho_p = stats.spearmanr(a, b)
    tau, tau_p = stats.kendalltau(a, b)
    order_a, order_b = np.argsort(-a, kind="stable"), np.argsort(-b, kind="stable")
    overlap = {k: len(set(order_a[:k]) & set(order_b[:k])) for k in top}
    name_a, name_b = _table_name(table_a), _table_name(table_b)
    return Transfer(a=name_a, b=name_b if name_b != name_a else f"{name_b}#2", metric=metric, n=n,
                    spearman=float(rho), spearman_p=float(rho_p), kendall=float(tau),
                    kendall_p=float(tau_p), overlap=overlap,
                    chance={k: k * k / n for k in top}, frame=both)


def write_transfer(table_a, table_b, out_dir=None, metrics=("val_acc", "test_acc"), where: str | None = None,
                   top: tuple[int, ...] = (10, 25), figure: str = "transfer") -> tuple[list[str], list[Transfer]]:
    """:func:`rank_transfer` for each metric; the scatter of the first metric is written to
    ``out_dir/<figure>.png/.svg`` and every metric's per-cell pairs to ``<figure>.parquet``
    (columns ``<metric>:<table>``); ``out_dir=None`` writes nothing. Returns Markdown lines (a
    table, and the figure when written) and the results, for a report section or a README."""
    from nasbench.analysis import plots

    results = [rank_transfer(table_a, table_b, m, where=where, top=top) for m in metrics]
    t = results[0]
    if out_dir is not None:
        cells = t.frame.drop(columns=["a", "b"])
        for r in results:
            cells = cells.merge(r.frame[["arch_hash", "a", "b"]].rename(
                columns={"a": f"{r.metric}:{r.a}", "b": f"{r.metric}:{r.b}"}), on="arch_hash", how="outer")
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        cells.to_parquet(Path(out_dir) / f"{figure}.parquet", index=False)
        plots.plot_transfer(t.frame["a"], t.frame["b"], t.a, t.b, t.metric, stem=Path(out_dir) / figure,
                            top=min(top), title=f"Rank transfer, {t.n} cells: Spearman {t.spearman:.2f}, "
                                                f"Kendall {t.kendall:.2f}")
    header = ["metric", "common cells", "Spearman", "Kendall"] + [f"top-{k} overlap" for k in top]
    rows = [r.markdown_row() for r in results]
    lines = markdown.table_lines(header, rows)
    lines += ["", f"Seed means per cell; `{t.a}` vs `{t.b}`" + (f" where `{where}`" if where else "")
              + ". Chance overlap = k² / n (unrelated rankings).", ""]
    if out_dir is not None:
        lines += [f"![rank transfer]({figure}.png)", "", f"([SVG]({figure}.svg))", ""]
    return lines, results
