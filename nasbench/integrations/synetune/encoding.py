"""A PNAS cell (8-op space or an op subset such as ``pnas4``) as syne-tune hyper-parameters,
and back to its canonical cell.

Two encodings (``CellEncoding.kind``):

* ``blocks``: per block k = 1..Bmax four categorical hyper-parameters ``b{k}_op1``,
  ``b{k}_in1``, ``b{k}_op2``, ``b{k}_in2`` (op: the 8 PNAS op names; input: 0 = cell c-2,
  1 = cell c-1, j >= 2 = block j-1, so block k has inputs 0..k), plus ``num_blocks`` when
  the table holds several block counts. Blocks past ``num_blocks`` are inactive: ignored
  when a configuration is read, written as input 0 / the first op when a table row is.
  Any configuration -- operand-swapped, block-reordered -- maps to its canonical cell.
* ``cell``: one categorical ``arch`` over the canonical strings of the table's cells (plus a
  constant ``space = "pnas"``: syne-tune 0.16's tabular lookup by configuration fails on a
  one-column table with the pandas here, a 1-tuple ``.loc`` key). Every configuration has
  a row, so optimizers never leave the table; the price is that the optimizer sees no
  structure (a mutation or a model over one categorical).

``auto`` picks ``blocks`` when the table is closed (it holds every canonical cell of each
of its block counts) and ``cell`` otherwise: on a sampled table almost every structured
configuration would be a cell nobody trained (B=2: 200 of 31,620 cells on the shipped table).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from nasbench.space import get_space, parse_arch
from nasbench.space.cell import Cell
from nasbench.space.ops import OP_RANK, OPS_SORTED, resolve_op

KINDS = ("auto", "blocks", "cell")


def _keys(k: int) -> tuple[str, str, str, str]:
    return f"b{k}_op1", f"b{k}_in1", f"b{k}_op2", f"b{k}_in2"


@dataclass(frozen=True)
class CellEncoding:
    """How a table's PNAS cells appear as syne-tune configurations (see the module docstring)."""

    kind: str
    num_blocks: tuple[int, ...]
    archs: tuple[str, ...] = ()  # canonical strings; the 'cell' encoding's categories
    space: str = "pnas"  # the 8-op PNAS space or an op subset of it (pnas3, pnas4, ...)

    def __post_init__(self):
        if self.kind not in ("blocks", "cell"):
            raise ValueError(f"encoding must be 'blocks' or 'cell', got {self.kind!r}")
        if not self.num_blocks:
            raise ValueError("an encoding needs at least one block count")

    @property
    def max_blocks(self) -> int:
        return max(self.num_blocks)

    @property
    def ops(self) -> tuple[str, ...]:
        """The op names a block may use: all 8, or the subset space's, in PNAS rank order."""
        if self.space == "pnas":
            return tuple(OPS_SORTED)
        return tuple(OPS_SORTED[g] for g in get_space(self.space).codes)

    def _parse(self, arch):
        return parse_arch(arch, self.space).canonical()

    def config_space(self) -> dict:
        """The syne-tune configuration space (dict of name -> domain)."""
        from syne_tune.config_space import choice

        if self.kind == "cell":
            return {"arch": choice(list(self.archs)), "space": self.space}
        space: dict = {}
        if len(self.num_blocks) > 1:
            space["num_blocks"] = choice(list(self.num_blocks))
        for k in range(1, self.max_blocks + 1):
            op1, in1, op2, in2 = _keys(k)
            space[op1] = choice(list(self.ops))
            space[in1] = choice(list(range(k + 1)))
            space[op2] = choice(list(self.ops))
            space[in2] = choice(list(range(k + 1)))
        return space

    def to_config(self, arch) -> dict:
        """The configuration that names ``arch`` (written in canonical form)."""
        cell = self._parse(arch)
        if self.kind == "cell":
            return {"arch": cell.canonical_string, "space": self.space}
        if cell.num_blocks not in self.num_blocks:
            raise ValueError(f"{cell} has {cell.num_blocks} blocks; the encoding has "
                             f"{', '.join(map(str, self.num_blocks))}")
        out: dict = {}
        if len(self.num_blocks) > 1:
            out["num_blocks"] = cell.num_blocks
        for k in range(1, self.max_blocks + 1):
            ((o1, i1), (o2, i2)) = (cell.blocks[k - 1] if k <= cell.num_blocks else ((0, 0), (0, 0)))
            out.update(zip(_keys(k), (OPS_SORTED[o1], int(i1), OPS_SORTED[o2], int(i2))))
        return out

    def to_cell(self, config: dict) -> Cell:
        """The canonical cell a configuration names (inactive blocks ignored)."""
        if self.kind == "cell":
            return self._parse(str(config["arch"]))
        b = int(config["num_blocks"]) if len(self.num_blocks) > 1 else self.num_blocks[0]
        if b not in self.num_blocks:
            raise ValueError(f"num_blocks {b} is not one of {', '.join(map(str, self.num_blocks))}")
        blocks = []
        for k in range(1, b + 1):
            op1, in1, op2, in2 = (config[key] for key in _keys(k))
            blocks.append(((OP_RANK[resolve_op(str(op1))], int(in1)),
                           (OP_RANK[resolve_op(str(op2))], int(in2))))
        cell = Cell(blocks).canonical()
        return cell if self.space == "pnas" else get_space(self.space).from_pnas(cell)

    def to_dict(self) -> dict:
        """JSON-able form for the blackbox metadata ('cell' categories live in the config space)."""
        return {"kind": self.kind, "num_blocks": list(self.num_blocks), "space": self.space}


def make_encoding(kind: str, archs_by_blocks: dict[int, Sequence[str]], closed: bool,
                  space: str = "pnas") -> CellEncoding:
    """The encoding of a table's cells (``archs_by_blocks``: canonical strings per block count);
    ``kind='auto'`` is ``blocks`` on a closed table and ``cell`` otherwise."""
    if kind not in KINDS:
        raise ValueError(f"encoding must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "auto":
        kind = "blocks" if closed else "cell"
    blocks = tuple(sorted(archs_by_blocks))
    archs = tuple(a for b in blocks for a in archs_by_blocks[b]) if kind == "cell" else ()
    return CellEncoding(kind, blocks, archs, space)
