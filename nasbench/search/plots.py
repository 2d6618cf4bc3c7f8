"""Anytime plots of search runs, drawn with matplotlib's object API on the Agg canvas (no
display, no pyplot state, and the caller's matplotlib backend is left as it was)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd


def plot_anytime(curves: pd.DataFrame, x: str, xlabel: str, path, title: str = "",
                 log_x: bool = False) -> Path:
    """One line (mean) and band (lo..hi) per algorithm from :func:`harness.anytime` output."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for algo, c in curves.groupby("algorithm", sort=True):
        line, = ax.plot(c[x], c["mean"], label=f"{algo} (n={int(c['n'].max())})", lw=1.6)
        ax.fill_between(c[x], c["lo"], c["hi"], color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test acc of val-selected best")
    if log_x:
        ax.set_xscale("log")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path
