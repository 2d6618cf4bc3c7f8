"""Where dataset files live, and one-line errors when they are not there.

Root resolution: the explicit ``data_dir`` argument, else ``$NASBENCH_DATA``, else
``~/.cache/nasbench/data``. Dataset ``name`` is read from ``<root>/<name>/``. Nothing is
ever downloaded: a missing file is a :class:`FileNotFoundError` saying what to put where.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

DATA_ENV_VAR = "NASBENCH_DATA"
DEFAULT_DATA_ROOT = "~/.cache/nasbench/data"


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """The data root: ``data_dir``, else ``$NASBENCH_DATA``, else ``~/.cache/nasbench/data``."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    return Path(os.environ.get(DATA_ENV_VAR) or DEFAULT_DATA_ROOT).expanduser()


def dataset_folder(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """``<root>/<name>``: the folder that holds dataset ``name``'s files."""
    return data_root(data_dir) / name


def require_files(
    name: str, folder: Path, filenames: Sequence[str], what: str, suffixes: Sequence[str] = ("",)
) -> list[Path]:
    """Locate each of ``filenames`` in ``folder`` (trying each suffix in order).

    Returns the found paths in the order given; raises a one-line FileNotFoundError listing
    every missing file when any is absent. ``what`` describes the files for that message,
    e.g. ``"the official IDX files"``.
    """
    alternatives = "" if tuple(suffixes) == ("",) else "[" + "|".join(s for s in suffixes if s) + "]"
    root_hint = (
        f"data root: data_dir argument, else ${DATA_ENV_VAR}, else {DEFAULT_DATA_ROOT}; "
        "nothing is downloaded"
    )
    if not folder.is_dir():
        wanted = ", ".join(filename + alternatives for filename in filenames)
        raise FileNotFoundError(
            f"{name}: missing folder {folder}{os.sep}; put {what} there: {wanted} ({root_hint})"
        )
    found: list[Path] = []
    missing: list[str] = []
    for filename in filenames:
        candidates = [folder / (filename + suffix) for suffix in suffixes]
        hit = next((path for path in candidates if path.is_file()), None)
        if hit is None:
            missing.append(f"{folder / filename}{alternatives}")
        else:
            found.append(hit)
    if missing:
        raise FileNotFoundError(
            f"{name}: missing {', '.join(missing)}; put {what} in {folder}{os.sep} ({root_hint})"
        )
    return found
