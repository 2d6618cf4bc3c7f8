"""Two-cell spaces (NASNet, Amoeba, ENAS, DARTS as the NDS paper defines them): a genotype is a
normal cell and a reduction cell of B blocks each over the space's op vocabulary.

Grammar: ``<space>:normal=<blocks>;reduce=<blocks>`` where ``<blocks>`` is the PNAS block
grammar ``op@in+op@in,...`` (inputs 0 = cell c-2, 1 = cell c-1, j >= 2 = block j-1). A cell's
output concatenates its loose ends (blocks no other block reads; output rule ``L``) or all its
blocks (rule ``A``). A published cell whose output differs from its space's rule (NASNet-A also
concatenates its c-2 input) spells it out: ``;normal_concat=0,2,3,4,5,6``.

Canonical form: each cell in its canonical block order (operand swaps and dependency-respecting
block orders, :mod:`nasbench.space.cell`), explicit concat lists renumbered with it (the
smallest list wins when identical blocks leave a choice). arch_hash = sha256 of the canonical
string, whose ``<space>:`` prefix keeps hashes of different spaces apart.
"""
from __future__ import annotations

import re
from functools import cached_property
from typing import Sequence

import numpy as np

from nasbench.space import blocks as dag
from nasbench.space import mutation
from nasbench.space import encoding
from nasbench.space.base import Decisions, Space, hash_string, strip_prefix
from nasbench.space.cell import MAX_BLOCKS, Block, _sorted_block, canonical_blocks, reorder, topological_orders

KINDS = ("normal", "reduce")
_OPERAND_RE = re.compile(r"([A-Za-z0-9_]+)@([0-9]{1,2})")


def loose_ends(blocks: Sequence[Block]) -> tuple[int, ...]:
    """State indices (j >= 2) of the blocks that no other block reads."""
    used = {inp for block in blocks for _, inp in block}
    return tuple(k + 2 for k in range(len(blocks)) if k + 2 not in used)


class CellPair:
    """A genotype of a two-cell space: normal and reduction blocks (+ optional explicit concats)."""

    #: the cell network puts a reduction cell between stages (NASNet layout)
    reduction_cells = True

    def __init__(self, space: "TwoCellSpace", normal: Sequence[Block], reduce: Sequence[Block],
                 normal_concat: Sequence[int] | None = None, reduce_concat: Sequence[int] | None = None):
        self._space = space
        self.normal = tuple(normal)
        self.reduce = tuple(reduce)
        self.explicit = {"normal": None if normal_concat is None else tuple(sorted(set(normal_concat))),
                         "reduce": None if reduce_concat is None else tuple(sorted(set(reduce_concat)))}
        if len(self.normal) != len(self.reduce):
            raise ValueError(f"{space.name}: the normal cell has {len(self.normal)} blocks and the "
                             f"reduction cell {len(self.reduce)}; they must match")
        for kind in KINDS:
            space.check_blocks(self.blocks(kind), kind)
            concat = self.explicit[kind]
            if concat is not None and (not concat or not all(0 <= i <= self.num_blocks + 1 for i in concat)):
                raise ValueError(f"{space.name}: {kind}_concat must name states 0..{self.num_blocks + 1}, got {list(concat)}")

    @property
    def space(self) -> str:
        return self._space.name

    @property
    def num_blocks(self) -> int:
        return len(self.normal)

    def blocks(self, kind: str) -> tuple[Block, ...]:
        return self.normal if kind == "normal" else self.reduce

    def concat(self, kind: str) -> tuple[int, ...]:
        """The states this cell's output concatenates (explicit, or the space's rule)."""
        if self.explicit[kind] is not None:
            return self.explicit[kind]
        blocks = self.blocks(kind)
        return loose_ends(blocks) if self._space.output == "L" else tuple(range(2, len(blocks) + 2))

    def named_blocks(self, kind: str) -> list[tuple[tuple[str, int], tuple[str, int]]]:
        """Blocks with op names instead of codes (what the network builder reads)."""
        names = self._space.ops_sorted
        return [((names[a], i), (names[b], j)) for (a, i), (b, j) in self.blocks(kind)]

    def cell_at(self, stride: int):
        """(named blocks, concat) of the cell that runs at ``stride`` (2: the reduction cell)."""
        kind = "reduce" if stride == 2 else "normal"
        return self.named_blocks(kind), self.concat(kind)

    @cached_property
    def _canonical_parts(self):
        return tuple(_canonical_cell(self.blocks(k), self.explicit[k]) for k in KINDS)

    def canonical(self) -> "CellPair":
        (n, nc), (r, rc) = self._canonical_parts
        return CellPair(self._space, n, r, nc, rc)

    @cached_property
    def canonical_string(self) -> str:
        return self._space.format(self.canonical())

    @cached_property
    def arch_hash(self) -> str:
        return hash_string(self.canonical_string)

    def format(self) -> str:
        """This genotype as written (not necessarily canonical)."""
        return self._space.format(self)

    def __eq__(self, other) -> bool:
        return isinstance(other, CellPair) and self.canonical_string == other.canonical_string

    def __hash__(self) -> int:
        return hash(self.canonical_string)

    def __lt__(self, other: "CellPair") -> bool:
        return (self.num_blocks, self._canonical_parts) < (other.num_blocks, other._canonical_parts)

    def __str__(self) -> str:
        return self.canonical_string

    def __repr__(self) -> str:
        return f"CellPair({self.canonical_string!r})"


def _canonical_cell(blocks, concat):
    best = canonical_blocks(blocks)
    if concat is None:
        return best, None
    options = []
    for order in topological_orders(blocks):
        if tuple(_sorted_block(*b) for b in reorder(blocks, order)) == best:
            position = {old + 2: new + 2 for new, old in enumerate(order)}
            options.append(tuple(sorted(position.get(i, i) for i in concat)))
    return best, min(options)


class TwoCellSpace(Space):
    """A NAS cell space with a normal and a reduction cell (one instance per space module)."""

    network = "nasbench.model.network:CellNetwork"

    def __init__(self, name: str, ops: Sequence[str], nodes: int, output: str, description: str,
                 distinct: bool = False, aliases: dict[str, str] | None = None, raw_first_input: bool = True):
        if output not in ("L", "A"):
            raise ValueError("output rule must be 'L' (loose ends) or 'A' (all blocks)")
        self.name, self.ops, self.output, self.distinct = name, tuple(ops), output, distinct
        self.description = description
        self.ops_sorted = tuple(sorted(self.ops))
        self.rank = {op: i for i, op in enumerate(self.ops_sorted)}
        self.aliases = dict(aliases or {})
        self.sizes = tuple(range(1, MAX_BLOCKS + 1))
        self.default_sizes = (nodes,)
        self.nodes = nodes
        # TF-slim NASNet feeds the first cell's c-2 (the stem) as it is; DARTS preprocesses it
        self.raw_first_input = raw_first_input

    # ------------------------------------------------------------------ grammar
    def resolve(self, token: str) -> int:
        name = self.aliases.get(token, token)
        if name not in self.rank:
            raise ValueError(f"unknown op {token!r} in space {self.name!r}; expected one of {', '.join(self.ops)}")
        return self.rank[name]

    def check_blocks(self, blocks: Sequence[Block], kind: str) -> None:
        if not blocks:
            raise ValueError(f"{self.name}: the {kind} cell needs at least one block")
        if len(blocks) > MAX_BLOCKS:
            raise ValueError(f"{self.name}: a cell has at most {MAX_BLOCKS} blocks, got {len(blocks)}")
        for k, block in enumerate(blocks, start=1):
            for op, inp in block:
                if not 0 <= op < len(self.ops) or not 0 <= inp <= k:
                    raise ValueError(f"{self.name}: {kind} block {k}: bad operand ({op}, {inp})")
            if self.distinct and block[0][1] == block[1][1]:
                raise ValueError(f"{self.name}: {kind} block {k} reads input {block[0][1]} twice; "
                                 f"the two inputs of a {self.name} node must differ")

    def format(self, pair: CellPair) -> str:
        parts = []
        for kind in KINDS:
            names = self.ops_sorted
            text = ",".join(f"{names[a]}@{i}+{names[b]}@{j}" for (a, i), (b, j) in pair.blocks(kind))
            parts.append(f"{kind}={text}")
        for kind in KINDS:
            if pair.explicit[kind] is not None:
                parts.append(f"{kind}_concat={','.join(map(str, pair.explicit[kind]))}")
        return f"{self.name}:" + ";".join(parts)

    def parse(self, arch) -> CellPair:
        """A genotype from its string (canonical or not) or a CellPair of this space."""
        self.check_own(arch)
        if isinstance(arch, CellPair):
            return arch
        if not isinstance(arch, str):
            raise ValueError(f"cannot parse a {self.name} genotype from {type(arch).__name__}")
        fields: dict[str, str] = {}
        for part in strip_prefix(arch, self.name).split(";"):
            key, sep, value = part.strip().partition("=")
            if not sep or key not in ("normal", "reduce", "normal_concat", "reduce_concat"):
                raise ValueError(f"{self.name}: bad segment {part.strip()!r}; expected "
                                 "normal=...;reduce=...[;normal_concat=i,j;reduce_concat=i,j]")
            if key in fields:
                raise ValueError(f"{self.name}: segment {key!r} given twice")
            fields[key] = value.strip()
        missing = [k for k in KINDS if k not in fields]
        if missing:
            raise ValueError(f"{self.name}: missing segment {missing[0]!r}")
        concat = {}
        for kind in KINDS:
            text = fields.get(f"{kind}_concat")
            try:
                concat[kind] = None if text is None else [int(t) for t in text.split(",")]
            except ValueError:
                raise ValueError(f"{self.name}: {kind}_concat must be comma-separated ints, got {text!r}") from None
        return CellPair(self, self._parse_blocks(fields["normal"], "normal"),
                        self._parse_blocks(fields["reduce"], "reduce"), concat["normal"], concat["reduce"])

    def _parse_blocks(self, text: str, kind: str) -> list[Block]:
        blocks = []
        for k, block_text in enumerate(text.split(","), start=1):
            operands = block_text.split("+")
            if len(operands) != 2:
                raise ValueError(f"{self.name}: {kind} block {k}: expected 'op@in+op@in', got {block_text!r}")
            parsed = []
            for operand in operands:
                match = _OPERAND_RE.fullmatch(operand.strip())
                if not match:
                    raise ValueError(f"{self.name}: {kind} block {k}: bad token {operand!r}, expected 'op@input'")
                op = self.resolve(match.group(1))
                inp = int(match.group(2))
                if inp > k:
                    raise ValueError(f"{self.name}: {kind} block {k}: input {inp} not allowed (0..{k})")
                parsed.append((op, inp))
            blocks.append(tuple(parsed))
        return blocks

    # ------------------------------------------------------------------ sets of genotypes
    def draw(self, b: int, rng: np.random.Generator) -> CellPair:
        """Each cell independently uniform over canonical cells of ``b`` blocks."""
        normal, reduce = (dag.sample_blocks(b, 1, rng, len(self.ops), self.distinct)[0] for _ in KINDS)
        return CellPair(self, normal, reduce)

    def cell_count(self, b: int) -> int:
        """Canonical single cells of ``b`` blocks."""
        self.check_size(b)
        return dag.burnside_count(b, len(self.ops), self.distinct)

    def count(self, b: int) -> int:
        return self.cell_count(b) ** 2

    def enumerate(self, b: int):
        self.check_size(b)
        for normal in dag.enumerate_blocks(b, len(self.ops), self.distinct):
            for reduce in dag.enumerate_blocks(b, len(self.ops), self.distinct):
                yield CellPair(self, normal, reduce)

    def expand(self, arch) -> list[CellPair]:
        pair = self.parse(arch).canonical()
        kids = [list(dag.children_blocks(pair.blocks(k), len(self.ops), self.distinct)) for k in KINDS]
        return sorted(CellPair(self, n, r) for n in kids[0] for r in kids[1])

    def _edits(self, pair: CellPair) -> list:
        return [(kind, e) for kind in KINDS
                for e in mutation.edits(pair.blocks(kind), len(self.ops), self.distinct)]

    def _apply(self, pair: CellPair, edit) -> CellPair:
        kind, e = edit
        cells = {k: pair.blocks(k) for k in KINDS}
        cells[kind] = mutation.apply_edit(cells[kind], e)
        return CellPair(self, cells["normal"], cells["reduce"])

    def neighbours(self, arch) -> list[CellPair]:
        pair = self.parse(arch).canonical()
        return sorted({self._apply(pair, e) for e in self._edits(pair)} - {pair})

    def mutate(self, arch, rng: np.random.Generator, max_tries: int = 100) -> CellPair:
        """One random edit of one of the two cells (uniform over all edits of both)."""
        pair = self.parse(arch).canonical()
        options = self._edits(pair)
        for _ in range(max_tries):
            child = self._apply(pair, options[rng.integers(len(options))])
            if child != pair:
                return child
        raise ValueError(f"no mutation changes {pair.canonical_string}")


    # ------------------------------------------------------------------ what the layers above read
    def tokens(self, genotype: CellPair) -> np.ndarray:
        """The normal cell's block rows, then the reduction cell's (op ids of this space's ops)."""
        c = genotype.canonical()
        return np.asarray(encoding.block_rows(c.normal) + encoding.block_rows(c.reduce), dtype=np.int64)

    def vocab_size(self) -> int:
        return 1 + encoding.INPUT_TOKENS + len(self.ops)

    def features(self, genotypes, max_blocks: int) -> np.ndarray:
        """Both cells' features side by side."""
        pairs = [g.canonical() for g in genotypes]
        return np.hstack([encoding.cell_features([p.blocks(kind) for p in pairs], len(self.ops), max_blocks)
                          for kind in KINDS])

    def cost_features(self, genotypes) -> np.ndarray:
        """An intercept and each op's count over both cells."""
        return encoding.op_counts([g.canonical().normal + g.canonical().reduce for g in genotypes], len(self.ops))

    def decisions(self, blocks) -> Decisions:
        return Decisions(num_ops=len(self.ops), cells=2, distinct=self.distinct)

    def from_decisions(self, decoded) -> CellPair:
        return CellPair(self, decoded[0], decoded[1])
