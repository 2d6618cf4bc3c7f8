"""Anytime and reach plots of search runs (drawn and saved by :mod:`nasbench.figures`)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from nasbench.figures import new_figure, save_png


def plot_anytime(curves: pd.DataFrame, x: str, xlabel: str, path, title: str = "",
                 log_x: bool = False) -> Path:
    """One line (mean) and band (lo..hi) per algorithm from :func:`harness.anytime` output
    (more than 10 algorithms: lines only, legend beside the axes)."""
    from matplotlib import colormaps

    groups = list(curves.groupby("algorithm", sort=True))
    many = len(groups) > 10  # e.g. 18 PNAS arms + 9 others: 20 colours x 2 line styles, legend aside
    fig, (ax,) = new_figure(width=10.5 if many else 6.4, height=5.2 if many else 4.2, layout="tight")
    palette = colormaps["tab20"].colors if many else None
    for i, (algo, c) in enumerate(groups):
        style = dict(color=palette[i % 20], ls="-" if i < 20 else "--") if many else {}
        line, = ax.plot(c[x], c["mean"], label=f"{algo} (n={int(c['n'].max())})", lw=1.4, **style)
        if not many:  # with many arms the bands hide the lines; the tables carry the intervals
            ax.fill_between(c[x], c["lo"], c["hi"], color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test acc of val-selected best")
    if log_x:
        ax.set_xscale("log")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if many:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=6)
    else:
        ax.legend(loc="lower right", fontsize=8)
    return save_png(fig, path)


def plot_reach(hits: pd.DataFrame, path, title: str = "") -> Path:
    """Share of runs whose top-M mean has reached target_M after k models, one panel per M,
    one step line per algorithm (:func:`nasbench.search.table1.models_to_target` rows). A
    line ends at the arm's budget; what is below 1 there is the censored share (runs stop
    only at their budget, so this is 1 minus the Kaplan-Meier survival curve)."""
    import numpy as np

    ms = sorted(hits["M"].unique())
    fig, axes = new_figure(len(ms), width=4.2, height=4.0, layout="tight")
    for ax, m in zip(axes, ms):
        for algo, h in hits[hits["M"] == m].groupby("algorithm", sort=True):
            end = int(h["budget"].max())
            k = np.unique(np.r_[1, np.sort(h.loc[h["reached"], "models"].to_numpy()), end])
            share = [(h["reached"] & (h["models"] <= x)).mean() for x in k]
            ax.step(k, share, where="post", lw=1.4, label=f"{algo} ({h['reached'].mean():.0%})")
        ax.set_xscale("log")
        ax.set(xlabel="models trained", ylabel="runs at target", ylim=(-0.02, 1.02),
               title=f"M = {m}: target {h['target'].iloc[0]:.4f}")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=6)
    if title:
        fig.suptitle(title, fontsize=10)
    return save_png(fig, path)
