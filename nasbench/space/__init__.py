"""Search spaces: the op vocabulary, the `Cell` value type and the PNAS space.

Spaces are registered by name in :data:`SPACES`; adding one is one module and one line.
"""
from nasbench.space import pnas
from nasbench.space.cell import Cell
from nasbench.space.ops import ALIASES, OPS, resolve_op

SPACES = {pnas.NAME: pnas}


def get_space(name: str):
    """Look a space module up by name (``pnas``)."""
    try:
        return SPACES[name]
    except KeyError:
        raise ValueError(f"unknown space {name!r}; known: {', '.join(sorted(SPACES))}") from None


__all__ = ["ALIASES", "Cell", "OPS", "SPACES", "get_space", "pnas", "resolve_op"]
