"""The one way every report draws and saves a figure: matplotlib's object API (a bare
``Figure``, saved through the Agg canvas), so no pyplot state, display or global backend
switch is ever touched and the caller's matplotlib settings stay as they were."""
from __future__ import annotations

from pathlib import Path


def new_figure(ncols: int = 1, width: float = 6.0, height: float = 4.2, layout: str = "constrained"):
    """(figure, axes) with ``ncols`` panels of ``width`` x ``height`` inches in one row."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout=layout)
    return fig, fig.subplots(1, ncols, squeeze=False)[0]


def save_png(fig, path, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (PNG), creating its folder; returns the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=dpi)
    return path


def save_figure(fig, stem) -> list[Path]:
    """Write ``stem.png`` (150 dpi) and ``stem.svg``; returns both paths."""
    stem = Path(stem)
    paths = [save_png(fig, stem.with_suffix(".png"), dpi=150), stem.with_suffix(".svg")]
    fig.savefig(paths[1])
    return paths
