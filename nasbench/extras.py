"""Which optional extra of ``pip install nasbench[...]`` provides each optional module.

The light install (numpy, pandas, pyarrow, scipy, click, tqdm, matplotlib) opens, queries,
replays and analyses tables; training, neural predictors and Ray need an extra. One table
here so every missing-module message names the same extra.
"""
from __future__ import annotations

#: top-level module -> the extra that installs it.
EXTRAS = {"torch": "train", "torchvision": "train", "sklearn": "train",
          "xgboost": "predictors", "ray": "ray", "syne_tune": "synetune"}


def missing_extra(exc: ImportError) -> str | None:
    """One line naming the extra to install for ``exc``, or None if no extra provides it."""
    module = (getattr(exc, "name", None) or "").partition(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return None
    return f"this needs {module}, which is not installed: pip install 'nasbench[{extra}]'"
