"""`Cell`: one PNAS cell as a value, with parsing, formatting and the canonical form.

A cell is a tuple of blocks; block ``k`` (1-based) computes ``op1(in1) + op2(in2)`` where an
input is ``0`` (cell c-2), ``1`` (cell c-1) or ``j >= 2`` (block j-1 of this cell, j-1 < k).
Internally a block is ``((op1, in1), (op2, in2))`` with ``op`` the index into
``ops.OPS_SORTED``. Two cells are equal iff their canonical forms are equal.

Canonical form (DESIGN.md): the lexicographically smallest string over operand swaps and
every dependency-respecting block order. A block's string only depends on blocks placed
before it, so the minimum is found greedily, branching only where two available blocks
give the same string (identical blocks), which keeps it fast for any B.
"""
from __future__ import annotations

import ast
import re
from functools import cached_property
from typing import Iterable, Sequence

from nasbench.space.base import hash_string
from nasbench.space.ops import OP_RANK, OPS_SORTED, resolve_op

Operand = tuple[int, int]  # (op code, input index)
Block = tuple[Operand, Operand]

MAX_BLOCKS = 8  # inputs stay single digits, so tuple order == string order
_OPERAND_RE = re.compile(r"([A-Za-z0-9_]+)@([0-9]+)")


def _sorted_block(a: Operand, b: Operand) -> Block:
    return (a, b) if a <= b else (b, a)


class Cell:
    """An immutable PNAS cell. Build it with :meth:`parse` or from blocks."""

    __slots__ = ("blocks", "__dict__")
    space = "pnas"
    #: the cell network strides this same cell between stages (no separate reduction cell)
    reduction_cells = False

    def __init__(self, blocks: Sequence[Block]):
        blocks = tuple((tuple(a), tuple(b)) for a, b in blocks)
        if not blocks:
            raise ValueError("a cell needs at least one block")
        if len(blocks) > MAX_BLOCKS:
            raise ValueError(f"a cell has at most {MAX_BLOCKS} blocks, got {len(blocks)}")
        for k, block in enumerate(blocks, start=1):
            for op, inp in block:
                if not 0 <= op < len(OPS_SORTED):
                    raise ValueError(f"block {k}: bad op code {op}")
                if not 0 <= inp <= k:
                    raise ValueError(f"block {k}: input {inp} out of range 0..{k}")
        self.blocks: tuple[Block, ...] = blocks

    # ------------------------------------------------------------------ parsing
    @classmethod
    def parse(cls, arch: "str | Cell | Sequence") -> "Cell":
        """Parse the string grammar ``op@in+op@in,...``, a genotype list, or a Cell."""
        if isinstance(arch, Cell):
            return arch
        if isinstance(arch, str):
            text = arch.strip()
            if text.startswith("["):
                return cls._parse_genotype_text(text)
            return cls._parse_string(text, offset=len(arch) - len(arch.lstrip()))
        if isinstance(arch, (list, tuple)):
            return cls._from_pairs(arch)
        raise ValueError(f"cannot parse an architecture from {type(arch).__name__}")

    @classmethod
    def _parse_string(cls, text: str, offset: int = 0) -> "Cell":
        if not text:
            raise ValueError("empty architecture string")
        blocks = []
        pos = offset
        for k, block_text in enumerate(text.split(","), start=1):
            operands = block_text.split("+")
            if len(operands) != 2:
                raise ValueError(
                    f"block {k} at position {pos}: expected 'op@in+op@in', got {block_text!r}"
                )
            parsed = []
            col = pos
            for operand in operands:
                parsed.append(_parse_operand(operand, k, col))
                col += len(operand) + 1
            blocks.append(tuple(parsed))
            pos += len(block_text) + 1
        return cls(blocks)

    @classmethod
    def _parse_genotype_text(cls, text: str) -> "Cell":
        try:
            value = ast.literal_eval(text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
            raise ValueError(f"bad genotype list at position 0: {exc}") from None
        if not isinstance(value, (list, tuple)):
            raise ValueError("a genotype must be a list of (op, input) pairs")
        return cls._from_pairs(value)

    @classmethod
    def _from_pairs(cls, pairs: Sequence) -> "Cell":
        if len(pairs) == 0 or len(pairs) % 2:
            raise ValueError(f"a genotype needs two (op, input) pairs per block, got {len(pairs)}")
        operands = []
        for i, pair in enumerate(pairs):
            k = i // 2 + 1
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(f"genotype item {i}: expected (op, input), got {pair!r}")
            op, inp = pair
            if not isinstance(op, str):
                raise ValueError(f"genotype item {i}: op must be a string, got {op!r}")
            if isinstance(inp, bool) or not isinstance(inp, int):
                raise ValueError(f"genotype item {i}: input must be an int, got {inp!r}")
            operands.append(_check_operand(op, inp, k, f"genotype item {i}"))
        return cls([(operands[i], operands[i + 1]) for i in range(0, len(operands), 2)])

    # ------------------------------------------------------------------ formatting
    def format(self, short: bool = False) -> str:
        """The cell as a string in this block order (not necessarily canonical)."""
        return format_blocks(self.blocks, short=short)

    def genotype(self) -> list[tuple[str, int]]:
        """DARTS-style genotype list: two (op, input) pairs per block."""
        return [(OPS_SORTED[op], inp) for block in self.blocks for op, inp in block]

    def __str__(self) -> str:
        return self.canonical_string

    def __repr__(self) -> str:
        return f"Cell({self.canonical_string!r})"

    # ------------------------------------------------------------------ identity
    @property
    def num_blocks(self) -> int:
        return len(self.blocks)

    @cached_property
    def canonical_blocks(self) -> tuple[Block, ...]:
        return canonical_blocks(self.blocks)

    def canonical(self) -> "Cell":
        """The same cell in canonical block order and operand order."""
        return Cell(self.canonical_blocks)

    @cached_property
    def canonical_string(self) -> str:
        return format_blocks(self.canonical_blocks)

    @cached_property
    def arch_hash(self) -> str:
        """First 16 hex chars of sha256 of the canonical string."""
        return hash_string(self.canonical_string)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cell) and self.canonical_blocks == other.canonical_blocks

    def __hash__(self) -> int:
        return hash(self.canonical_blocks)

    def __lt__(self, other: "Cell") -> bool:
        return (self.num_blocks, self.canonical_blocks) < (other.num_blocks, other.canonical_blocks)

    def cell_at(self, stride: int):
        """(named blocks, concat) of the cell at ``stride``: this one, all blocks concatenated."""
        return self.named_blocks(), None

    def named_blocks(self) -> list[tuple[tuple[str, int], tuple[str, int]]]:
        """Blocks with op names instead of codes (what the network builder reads)."""
        return [((OPS_SORTED[a], i), (OPS_SORTED[b], j)) for (a, i), (b, j) in self.blocks]

    def ops(self) -> list[str]:
        """Op names in block order, two per block."""
        return [OPS_SORTED[op] for block in self.blocks for op, _ in block]


def _check_operand(op_token: str, inp: int, k: int, where: str) -> Operand:
    try:
        name = resolve_op(op_token)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    if not 0 <= inp <= k:
        raise ValueError(
            f"{where}: input {inp} not allowed in block {k} (inputs 0..{k}: 0, 1 = cell inputs,"
            f" j >= 2 = block j-1)"
        )
    return (OP_RANK[name], inp)


def _parse_operand(text: str, k: int, pos: int) -> Operand:
    match = _OPERAND_RE.fullmatch(text)
    if not match:
        raise ValueError(f"bad token {text!r} at position {pos} (block {k}): expected 'op@input'")
    op_token, inp_text = match.groups()
    if len(inp_text) > 3:
        raise ValueError(f"bad input {inp_text!r} at position {pos + len(op_token) + 1}")
    return _check_operand(op_token, int(inp_text), k, f"token {text!r} at position {pos}")


def format_blocks(blocks: Iterable[Block], short: bool = False) -> str:
    from nasbench.space.ops import SHORT_NAME

    def name(op: int) -> str:
        full = OPS_SORTED[op]
        return SHORT_NAME[full] if short else full

    return ",".join(f"{name(a[0])}@{a[1]}+{name(b[0])}@{b[1]}" for a, b in blocks)


def dependencies(blocks: Sequence[Block]) -> list[frozenset[int]]:
    """For each block (0-based), the 0-based indices of the blocks it reads."""
    return [frozenset(inp - 2 for _, inp in block if inp >= 2) for block in blocks]


def canonical_blocks(blocks: Sequence[Block]) -> tuple[Block, ...]:
    """Lexicographically smallest (sorted-operand) block tuple over dependency orders."""
    deps = dependencies(blocks)
    n = len(blocks)
    best: list = [None]

    def key_of(i: int, position: dict[int, int]) -> Block:
        (o1, i1), (o2, i2) = blocks[i]
        r1 = i1 if i1 < 2 else position[i1 - 2] + 2
        r2 = i2 if i2 < 2 else position[i2 - 2] + 2
        return _sorted_block((o1, r1), (o2, r2))

    def search(prefix: tuple, position: dict[int, int], placed: frozenset) -> None:
        if len(prefix) == n:
            if best[0] is None or prefix < best[0]:
                best[0] = prefix
            return
        candidates = [
            (key_of(i, position), i) for i in range(n) if i not in placed and deps[i] <= placed
        ]
        low = min(c[0] for c in candidates)
        if best[0] is not None and prefix + (low,) > best[0][: len(prefix) + 1]:
            return
        for key, i in candidates:
            if key == low:
                search(prefix + (key,), {**position, i: len(prefix)}, placed | {i})

    search((), {}, frozenset())
    return best[0]


def topological_orders(blocks: Sequence[Block]) -> Iterable[tuple[int, ...]]:
    """Every block order (0-based indices) consistent with the data dependencies."""
    deps = dependencies(blocks)
    n = len(blocks)

    def rec(order: tuple[int, ...], placed: frozenset):
        if len(order) == n:
            yield order
            return
        for i in range(n):
            if i not in placed and deps[i] <= placed:
                yield from rec(order + (i,), placed | {i})

    yield from rec((), frozenset())


def reorder(blocks: Sequence[Block], order: Sequence[int], swaps: Sequence[bool] = ()) -> tuple[Block, ...]:
    """Blocks in a new dependency-respecting order with inputs renumbered (and operands swapped)."""
    position = {old: new for new, old in enumerate(order)}
    out = []
    for new, old in enumerate(order):
        a, b = ((op, inp if inp < 2 else position[inp - 2] + 2) for op, inp in blocks[old])
        if swaps and swaps[new]:
            a, b = b, a
        out.append((a, b))
    return tuple(out)
