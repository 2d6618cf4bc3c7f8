"""Design spaces as plug-ins: each module holds one :class:`~nasbench.space.base.Space`.

``SPACES`` maps a name to its space; adding one is one module and one line here.
:func:`parse_arch` routes an architecture string to its space by its ``<space>:`` prefix
(unprefixed strings are PNAS cells) and refuses a genotype of another space by name.
"""
from nasbench.space import amoeba, darts, enas, families, nasnet, pnas, subset
from nasbench.space.base import Space, space_of
from nasbench.space.cell import Cell
from nasbench.space.ops import ALIASES, OPS, resolve_op
from nasbench.space.twocell import CellPair

SPACES: dict[str, Space] = {
    module.SPACE.name: module.SPACE for module in (pnas, nasnet, amoeba, enas, darts)
}
SPACES.update({space.name: space for space in subset.SPACES + families.SPACES})


def get_space(name: str) -> Space:
    """Look a space up by name (``pnas``, ``pnas4``, ``nasnet``, ``darts``, ``resnet``, ...)."""
    try:
        return SPACES[name]
    except KeyError:
        raise ValueError(f"unknown space {name!r}; known: {', '.join(sorted(SPACES))}") from None


def parse_arch(arch, space: str | None = None):
    """The genotype ``arch`` names, in ``space`` if given (else the space its prefix names).

    A genotype of another space than ``space`` raises one line naming both.
    """
    named = space_of(arch) or "pnas"
    if space is None:
        space = named
    return get_space(space).parse(arch)


__all__ = ["ALIASES", "Cell", "CellPair", "OPS", "SPACES", "Space", "get_space", "parse_arch",
           "pnas", "resolve_op", "space_of"]
