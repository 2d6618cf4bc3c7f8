"""Figures for the analysis (matplotlib, no display): each saved as PNG and SVG.

Figures are built with ``matplotlib.figure.Figure`` directly, so no pyplot state or global
backend is touched. Errors are shown in %, on a log axis where they span a decade or more
(as on the shipped table: 1.6-85 %), so the good models that matter are not squeezed into
a corner. Legends carry the number of models per curve.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from nasbench.analysis.edf import EDF
from nasbench.analysis.pareto import pareto_front
from nasbench.figures import new_figure, save_figure


def with_n(label: str, n: int) -> str:
    """Legend label with the model count, e.g. 'B=2 (n=200)'."""
    return f"{label} (n={n})"


def error_axis(ax, which: str, errors_pct) -> None:
    """Log scale with plain-% ticks (1, 2, 5, 10, 20, 50) on ``ax``'s ``which`` axis ('x'
    or 'y') when the positive errors span at least a factor of 10; else left linear."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    e = np.asarray(errors_pct, dtype=float)
    e = e[np.isfinite(e)]
    if not len(e) or e.min() <= 0 or e.max() / e.min() < 10:
        return
    getattr(ax, f"set_{which}scale")("log")
    axis = getattr(ax, f"{which}axis")
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def plot_edfs(edfs: Mapping[str, EDF], stem, title: str = "Error EDF") -> list[Path]:
    """Step plot of each EDF: error (%) on x, cumulative probability on y."""
    fig, (ax,) = new_figure()
    shown = []
    for label, d in edfs.items():
        x, y = d.steps()
        ax.step(np.append(x, x[-1]) * 100, np.append(y, 1.0), where="post",
                label=with_n(label, d.n))
        shown.append(np.asarray(x, float) * 100)
    error_axis(ax, "x", np.concatenate(shown) if shown else [])
    ax.set(xlabel="error (%)", ylabel="cumulative probability", title=title, ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return save_figure(fig, stem)


def plot_random_search(curves: Mapping[str, object], stem,
                       title: str = "Random-search efficiency") -> list[Path]:
    """Min error (%) vs models drawn: exact mean (line) and simulated mean +- 2 std (band).

    ``curves`` maps a legend label to a :func:`random_search_curve` DataFrame.
    """
    fig, (ax,) = new_figure()
    for label, df in curves.items():
        (line,) = ax.plot(df["n"], df["exact_mean"] * 100, marker="o", ms=3, label=label)
        if "lo" in df:
            ax.fill_between(df["n"], df["lo"] * 100, df["hi"] * 100, color=line.get_color(),
                            alpha=0.2, linewidth=0)
    ax.set_xscale("log", base=2)
    ax.set(xlabel="models sampled (n)", ylabel="min error of n models (%)", title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    return save_figure(fig, stem)


def plot_sample_size(curves: Mapping[str, object], stem,
                     title: str = "KS distance of a subsample to the full set") -> list[Path]:
    """Mean KS D (+- 1 std) of size-n subsamples vs n; ``curves``: :func:`sample_size_curve`."""
    fig, (ax,) = new_figure()
    for label, df in curves.items():
        ax.errorbar(df["n"], df["mean"], yerr=df["std"], marker="o", ms=3, capsize=2,
                    label=label)
    ax.axhline(0.1, color="gray", ls="--", lw=1, label="D = 0.1")
    ax.set_xscale("log")
    ax.set(xlabel="subsample size (n)", ylabel="KS statistic D", title=title, ylim=(0, None))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    return save_figure(fig, stem)


def plot_trap(results: Mapping[str, object], stem) -> list[Path]:
    """Point-estimate trap, one row per group: the histogram of min-error differences
    (bars at the differences that occur: test errors are discrete) and of KS p-values.

    ``results`` maps a label to a :class:`~nasbench.analysis.sampling.TrapResult`.
    """
    from matplotlib.figure import Figure

    n = max(len(results), 1)
    fig = Figure(figsize=(10.0, 1.3 + 1.6 * n), layout="constrained")
    axes = fig.subplots(n, 2, squeeze=False, sharex="col")
    diffs = {k: (r.min_small - r.min_large) * 100 for k, r in results.items()}
    every = np.concatenate(list(diffs.values())) if diffs else np.zeros(1)
    step = _resolution(every)
    edges = np.arange(np.floor(every.min() / step) - 0.5, np.ceil(every.max() / step) + 1.5) * step
    for (ax1, ax2), (label, r), color in zip(axes, results.items(), _colors()):
        d = diffs[label]
        ax1.hist(d, bins=edges, color=color, edgecolor="white", linewidth=0.5)
        ax1.axvline(0, color="black", lw=1)
        ax1.set_title(f"{label}: {r.large} vs {r.small} models -- larger sample lower "
                      f"{r.large_wins:.0%}, tie {r.ties:.0%}", fontsize="small", loc="left")
        ax2.hist(r.pvalues, bins=np.linspace(0, 1, 21), color=color, edgecolor="white",
                 linewidth=0.5)
        ax2.set_title(f"{label}: KS p-value, median {np.median(r.pvalues):.2f} "
                      f"({r.n_trials} trials)", fontsize="small", loc="left")
        for ax in (ax1, ax2):
            ax.set_ylabel("trials")
            ax.grid(alpha=0.3)
    axes[-1][0].set_xlabel("min error(smaller sample) - min error(larger) (%)")
    axes[-1][1].set_xlabel("KS p-value, smaller vs larger sample")
    fig.suptitle("Point-estimate trap: the larger sample wins on its best model, "
                 "yet KS finds the samples alike")
    return save_figure(fig, stem)


def _resolution(values: np.ndarray) -> float:
    """The grid the values lie on (e.g. 0.25 % for a 400-image test set), else a 1/30 span."""
    v = np.unique(np.round(values[np.isfinite(values)], 9))
    gaps = np.diff(v)
    gaps = gaps[gaps > 1e-9]
    span = float(v.max() - v.min()) if len(v) else 1.0
    if len(gaps) and len(v) <= 60:
        return float(gaps.min())
    return span / 30 if span > 0 else 1.0


def _colors():
    from matplotlib import rcParams

    return itertools.cycle(rcParams["axes.prop_cycle"].by_key()["color"])


def plot_pareto(points: Mapping[str, tuple], stem, xlabel: str = "params",
                title: str = "Error vs complexity") -> list[Path]:
    """Scatter of error (%) vs complexity per group, with each group's Pareto front.

    ``points`` maps a legend label to (complexity, errors) arrays.
    """
    fig, (ax,) = new_figure()
    for label, (c, e) in points.items():
        c, e = np.asarray(c, float), np.asarray(e, float)
        pts = ax.scatter(c, e * 100, s=8, alpha=0.4, label=with_n(label, c.size))
        f = pareto_front(c, e)
        ax.step(c[f], e[f] * 100, where="post", color=pts.get_facecolor()[0][:3], lw=1.5)
    if all(np.all(np.asarray(c) > 0) for c, _ in points.values()):
        ax.set_xscale("log")
    error_axis(ax, "y", np.concatenate([np.asarray(e, float) * 100
                                         for _, e in points.values()]) if points else [])
    ax.set(xlabel=xlabel, ylabel="error (%)", title=f"{title} (lines: Pareto fronts)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    return save_figure(fig, stem)


def plot_transfer(a, b, name_a: str, name_b: str, metric: str, stem, top: int = 10,
                  title: str = "Rank transfer") -> list[Path]:
    """Scatter of one metric (%) on two tables, one point per common cell; each table's
    top-``top`` cells are coloured so their overlap can be seen."""
    a, b = np.asarray(a, float) * 100, np.asarray(b, float) * 100
    in_a, in_b = np.zeros(a.size, bool), np.zeros(b.size, bool)
    in_a[np.argsort(-a, kind="stable")[:top]] = True
    in_b[np.argsort(-b, kind="stable")[:top]] = True
    fig, (ax,) = new_figure(width=5.2, height=5.0)
    rest = ~(in_a | in_b)
    ax.scatter(a[rest], b[rest], s=12, alpha=0.6, color="tab:gray", label=f"other cells ({int(rest.sum())})")
    for mask, label, color in ((in_a & ~in_b, f"top-{top} on {name_a} only", "tab:blue"),
                               (in_b & ~in_a, f"top-{top} on {name_b} only", "tab:orange"),
                               (in_a & in_b, f"top-{top} on both", "tab:red")):
        ax.scatter(a[mask], b[mask], s=22, color=color, label=f"{label} ({int(mask.sum())})")
    ax.set(xlabel=f"{name_a}: {metric} (%)", ylabel=f"{name_b}: {metric} (%)", title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return save_figure(fig, stem)
