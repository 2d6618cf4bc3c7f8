"""Figures for the analysis (matplotlib, no display): each saved as PNG and SVG.

Figures are built with ``matplotlib.figure.Figure`` directly, so no pyplot state or global
backend is touched. Errors are shown in %. Legends carry the number of models per curve.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from nasbench.analysis.edf import EDF
from nasbench.analysis.pareto import pareto_front


def with_n(label: str, n: int) -> str:
    """Legend label with the model count, e.g. 'B=2 (n=200)'."""
    return f"{label} (n={n})"


def _figure(ncols: int = 1, width: float = 6.0, height: float = 4.2):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def save_figure(fig, stem) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg``; returns both paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=150)
    fig.savefig(paths[1])
    return paths


def plot_edfs(edfs: Mapping[str, EDF], stem, title: str = "Error EDF") -> list[Path]:
    """Step plot of each EDF: error (%) on x, cumulative probability on y."""
    fig, (ax,) = _figure()
    for label, d in edfs.items():
        x, y = d.steps()
        ax.step(np.append(x, x[-1]) * 100, np.append(y, 1.0), where="post",
                label=with_n(label, d.n))
    ax.set(xlabel="error (%)", ylabel="cumulative probability", title=title, ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return save_figure(fig, stem)


def plot_random_search(curves: Mapping[str, object], stem,
                       title: str = "Random-search efficiency") -> list[Path]:
    """Min error (%) vs models drawn: exact mean (line) and simulated mean +- 2 std (band).

    ``curves`` maps a legend label to a :func:`random_search_curve` DataFrame.
    """
    fig, (ax,) = _figure()
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
    fig, (ax,) = _figure()
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
    """Point-estimate trap: min-error differences and KS p-values over trials.

    ``results`` maps a label to a :class:`~nasbench.analysis.sampling.TrapResult`.
    """
    fig, (ax1, ax2) = _figure(ncols=2, width=5.0)
    bins_p = np.linspace(0, 1, 21)
    for label, r in results.items():
        diff = (r.min_small - r.min_large) * 100
        name = (f"{label}: {r.large} vs {r.small}, larger wins {r.large_wins:.0%} "
                f"({r.n_trials} trials)")
        ax1.hist(diff, bins=30, alpha=0.5, label=name)
        ax2.hist(r.pvalues, bins=bins_p, alpha=0.5,
                 label=f"{label}: median p = {np.median(r.pvalues):.2f}")
    ax1.axvline(0, color="black", lw=1)
    ax1.set(xlabel="min error(small) - min error(large) (%)", ylabel="trials",
            title="Minimum error: larger sample vs smaller")
    ax2.set(xlabel="KS p-value (small vs large sample)", ylabel="trials",
            title="Same distribution by KS")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize="small")
    return save_figure(fig, stem)


def plot_pareto(points: Mapping[str, tuple], stem, xlabel: str = "params",
                title: str = "Error vs complexity") -> list[Path]:
    """Scatter of error (%) vs complexity per group, with each group's Pareto front.

    ``points`` maps a legend label to (complexity, errors) arrays.
    """
    fig, (ax,) = _figure()
    for label, (c, e) in points.items():
        c, e = np.asarray(c, float), np.asarray(e, float)
        pts = ax.scatter(c, e * 100, s=8, alpha=0.4, label=with_n(label, c.size))
        f = pareto_front(c, e)
        ax.step(c[f], e[f] * 100, where="post", color=pts.get_facecolor()[0][:3], lw=1.5)
    if all(np.all(np.asarray(c) > 0) for c, _ in points.values()):
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel="error (%)", title=f"{title} (lines: Pareto fronts)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    return save_figure(fig, stem)
