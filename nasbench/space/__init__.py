"""Design spaces as plug-ins: each module holds one :class:`~nasbench.space.base.Space`.

``SPACES`` maps a name to its space; adding one is one module and one line here. A space
defined outside the package is one module holding ``SPACE`` plus its name in the environment
variable ``NASBENCH_SPACES`` (comma-separated importable modules): read at each lookup of a
name ``SPACES`` lacks, so the processes a build spawns, which inherit the environment, see it.
:func:`parse_arch` routes an architecture string to its space by its ``<space>:`` prefix
(unprefixed strings are PNAS cells) and refuses a genotype of another space by name.
"""
import importlib
import os

from nasbench.space import amoeba, darts, enas, families, nasnet, pnas, subset
from nasbench.space.base import Space, space_of
from nasbench.space.cell import Cell
from nasbench.space.ops import ALIASES, OPS, resolve_op
from nasbench.space.twocell import CellPair

SPACES: dict[str, Space] = {
    module.SPACE.name: module.SPACE for module in (pnas, nasnet, amoeba, enas, darts)
}
SPACES.update({space.name: space for space in subset.SPACES + families.SPACES})

#: Environment variable naming plug-in space modules (each holds one ``SPACE``).
PLUGINS_ENV = "NASBENCH_SPACES"


def plugin_spaces() -> dict[str, Space]:
    """The spaces of the modules ``NASBENCH_SPACES`` names, by name (imported on first use)."""
    out: dict[str, Space] = {}
    for module_name in filter(None, (m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(","))):
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ValueError(f"{PLUGINS_ENV}: cannot import {module_name!r}: {exc}") from None
        space = getattr(module, "SPACE", None)
        if not isinstance(space, Space):
            raise ValueError(f"{PLUGINS_ENV}: module {module_name!r} holds no SPACE (a Space instance)")
        if space.name in SPACES:
            raise ValueError(f"{PLUGINS_ENV}: module {module_name!r} redefines the built-in space {space.name!r}")
        out[space.name] = space
    return out


def all_spaces() -> dict[str, Space]:
    """Built-in and plug-in spaces, by name."""
    return {**SPACES, **plugin_spaces()}


def get_space(name: str) -> Space:
    """Look a space up by name (``pnas``, ``pnas4``, ``nasnet``, ``darts``, ``resnet``, ...)."""
    space = SPACES.get(name) or plugin_spaces().get(name)
    if space is None:
        raise ValueError(f"unknown space {name!r}; known: {', '.join(sorted(all_spaces()))}")
    return space


def parse_arch(arch, space: str | None = None):
    """The genotype ``arch`` names, in ``space`` if given (else the space its prefix names).

    A genotype of another space than ``space`` raises one line naming both.
    """
    named = space_of(arch) or "pnas"
    if space is None:
        space = named
    return get_space(space).parse(arch)


__all__ = ["ALIASES", "Cell", "CellPair", "OPS", "PLUGINS_ENV", "SPACES", "Space", "all_spaces", "get_space",
           "parse_arch", "plugin_spaces", "pnas", "resolve_op", "space_of"]
