"""The one progress bar of long library loops (search compare, predictor eval, reports)."""
from __future__ import annotations

import sys


def progress_bar(iterable=None, total: int | None = None, desc: str | None = None,
                 enabled: bool | None = False, unit: str = "it"):
    """A tqdm bar on stderr. ``enabled``: True shows it, False hides it, None shows it only
    when stderr is a terminal (so logs and pipes stay clean)."""
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                disable=None if enabled is None else not enabled)
