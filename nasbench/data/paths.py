"""Where dataset files live, and one-line errors when they are not there.

Search order for dataset ``name``: ``<root>/<name>/`` where the root is the explicit
``data_dir`` argument, else ``$NASBENCH_DATA``, else ``~/.cache/nasbench/data``; then, for
datasets a system package installs (Fashion-MNIST: Debian's ``dataset-fashion-mnist``),
``<system root>/<package folder>/`` for each system root in ``$NASBENCH_SYSTEM_DATA``
(``os.pathsep``-separated; default ``/usr/share/datasets``; empty disables it). The first
folder that holds the files wins. Nothing is ever downloaded: when no folder does, a
one-line :class:`FileNotFoundError` says what to put where and names every folder tried.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

DATA_ENV_VAR = "NASBENCH_DATA"
DEFAULT_DATA_ROOT = "~/.cache/nasbench/data"
SYSTEM_DATA_ENV_VAR = "NASBENCH_SYSTEM_DATA"
DEFAULT_SYSTEM_DATA = "/usr/share/datasets"


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """The data root: ``data_dir``, else ``$NASBENCH_DATA``, else ``~/.cache/nasbench/data``."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    return Path(os.environ.get(DATA_ENV_VAR) or DEFAULT_DATA_ROOT).expanduser()


def dataset_folder(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """``<root>/<name>``: the folder that holds dataset ``name``'s files."""
    return data_root(data_dir) / name


def system_roots() -> list[Path]:
    """The roots system packages install datasets under: ``$NASBENCH_SYSTEM_DATA`` or the default."""
    value = os.environ.get(SYSTEM_DATA_ENV_VAR)
    return [Path(p) for p in (DEFAULT_SYSTEM_DATA if value is None else value).split(os.pathsep) if p]


def search_folders(name: str, data_dir: str | os.PathLike | None = None, system_folder: str = "") -> list[Path]:
    """Every folder dataset ``name`` is looked for in, in order (see the module docstring)."""
    folders = [dataset_folder(name, data_dir)]
    if system_folder:
        folders += [root / system_folder for root in system_roots()]
    return folders


def read_first(name: str, folders: Sequence[Path], read: Callable[[Path, str], T], apt_package: str = "") -> T:
    """``read(folder, name)`` for the first of ``folders`` that holds the files.

    A folder without the files (FileNotFoundError) passes to the next; any other error
    (a corrupt file) is raised as is. When none holds them: one line, the first folder's
    message plus every folder tried and the package that installs them.
    """
    first = None
    for folder in folders:
        try:
            return read(folder, name)
        except FileNotFoundError as exc:
            first = first or exc
    if len(folders) == 1 and not apt_package:
        raise first
    tried = ", ".join(f"{folder}{os.sep}" for folder in folders)
    install = f"; `apt-get install -y {apt_package}` installs them" if apt_package else ""
    raise FileNotFoundError(f"{first}; looked in {tried} (system roots: ${SYSTEM_DATA_ENV_VAR}, "
                            f"default {DEFAULT_SYSTEM_DATA}){install}") from None


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
