"""The PNAS operation vocabulary (Liu et al., ECCV 2018, Sec. 3.1).

Canonical names follow the DARTS/NASNet spelling; short aliases are accepted on input
only. ``OP_RANK`` orders ops by their canonical name, which is what makes the canonical
string of a cell the lexicographically smallest one (names are prefix-free, so comparing
operands as (rank, input) tuples equals comparing their strings).
"""
from __future__ import annotations

OPS: tuple[str, ...] = (
    "identity",
    "avg_pool_3x3",
    "max_pool_3x3",
    "dil_conv_3x3",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "sep_conv_7x7",
    "conv_1x7_7x1",
)

ALIASES: dict[str, str] = {
    "id": "identity",
    "avg3": "avg_pool_3x3",
    "max3": "max_pool_3x3",
    "dil3": "dil_conv_3x3",
    "sep3": "sep_conv_3x3",
    "sep5": "sep_conv_5x5",
    "sep7": "sep_conv_7x7",
    "conv17": "conv_1x7_7x1",
}

#: The size of the PNAS op vocabulary (the one home of this number).
NUM_OPS: int = len(OPS)

#: Ops sorted by canonical name; a cell's internal op code is its index here.
OPS_SORTED: tuple[str, ...] = tuple(sorted(OPS))
OP_RANK: dict[str, int] = {name: i for i, name in enumerate(OPS_SORTED)}
SHORT_NAME: dict[str, str] = {v: k for k, v in ALIASES.items()}


def resolve_op(token: str) -> str:
    """Return the canonical op name for ``token`` (a canonical name or an alias)."""
    if token in OP_RANK:
        return token
    if token in ALIASES:
        return ALIASES[token]
    raise ValueError(f"unknown op {token!r}; expected one of {', '.join(OPS)} or an alias")
