"""Acceptance tests of `nasbench.space.pnas`: count, ordered_count, enumerate, expand, sample.

Every figure is checked against a brute force written here, independently of the library's
greedy canonicalization and of its Burnside count:

* B1 and B2: all 256 / 147,456 ordered cells canonicalized one by one.
* B3: all 21,542,400 operand-sorted cells canonicalized by a vectorized numpy minimum over
  every dependency-respecting block order (inputs renumbered, operands re-sorted).
* Sub-cases with fewer ops (B <= 5): the library's Burnside count with a patched op count
  against the same numpy brute force.
"""
from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from scipy import stats

from nasbench.space import Cell, pnas
from nasbench.space.cell import canonical_blocks

NUM_OPS = 8


# ---------------------------------------------------------------------- brute force helpers
def sorted_blocks(k: int, ops: int = NUM_OPS) -> list:
    """Operand-sorted blocks that can stand at block number k (1-based): inputs 0..k."""
    operands = [(o, i) for o in range(ops) for i in range(k + 1)]
    return [(a, b) for a in operands for b in operands if a <= b]


def ordered_blocks(k: int, ops: int = NUM_OPS) -> list:
    """Every ordered block (both operand orders) at block number k (1-based)."""
    operands = [(o, i) for o in range(ops) for i in range(k + 1)]
    return [(a, b) for a in operands for b in operands]


def ref_canonical(blocks) -> tuple:
    """Own canonicalizer: min over every dependency-respecting order, operands sorted."""
    n = len(blocks)
    best = None
    for perm in itertools.permutations(range(n)):
        pos = {old: new for new, old in enumerate(perm)}
        ok = all(pos[inp - 2] < pos[k] for k in range(n) for _, inp in blocks[k] if inp >= 2)
        if not ok:
            continue
        out = []
        for old in perm:
            a, b = ((op, inp if inp < 2 else pos[inp - 2] + 2) for op, inp in blocks[old])
            out.append((min(a, b), max(a, b)))
        out = tuple(out)
        if best is None or out < best:
            best = out
    return best


def random_reorder(blocks, rng: random.Random) -> tuple:
    """A random dependency-respecting block order, inputs renumbered, operands randomly swapped."""
    n = len(blocks)
    deps = [{inp - 2 for _, inp in blk if inp >= 2} for blk in blocks]
    order: list[int] = []
    while len(order) < n:
        ready = [i for i in range(n) if i not in order and deps[i] <= set(order)]
        order.append(rng.choice(ready))
    pos = {old: new for new, old in enumerate(order)}
    out = []
    for old in order:
        a, b = ((op, inp if inp < 2 else pos[inp - 2] + 2) for op, inp in blocks[old])
        out.append((b, a) if rng.random() < 0.5 else (a, b))
    return tuple(out)


class BruteForce:
    """Vectorized canonicalization of every operand-sorted cell with ``b`` blocks.

    An operand ``(op, inp)`` gets the code ``op * (b + 1) + inp`` and a sorted block
    ``(lo, hi)`` the code ``lo * OW + hi``, so comparing codes compares the tuples the way the
    library's canonical form does. A cell's key under a block order puts the block at new
    position p in the p-th base-BW digit (most significant first). For each order the key of
    every cell is a broadcast sum of one small table per block; a block that reads a block
    placed after it adds BIG, which marks the order as invalid for that cell.
    """

    def __init__(self, b: int, ops: int = NUM_OPS):
        self.b, self.ops = b, ops
        self.blocks = [sorted_blocks(k, ops) for k in range(1, b + 1)]
        self.R = b + 1
        self.OW = ops * self.R
        self.BW = self.OW * self.OW
        self.BIG = self.BW**b
        assert (b + 1) * self.BIG < 2**63
        self.terms = []  # per order: one int64 table per (old) block position
        for perm in itertools.permutations(range(b)):  # identity first
            pos = [0] * b
            for new, old in enumerate(perm):
                pos[old] = new
            tables = []
            for k in range(b):
                weight = self.BW ** (b - 1 - pos[k])
                table = np.empty(len(self.blocks[k]), dtype=np.int64)
                for e, block in enumerate(self.blocks[k]):
                    bad, codes = False, []
                    for op, inp in block:
                        if inp >= 2:
                            bad |= pos[inp - 2] > pos[k]
                            inp = pos[inp - 2] + 2
                        codes.append(op * self.R + inp)
                    table[e] = (min(codes) * self.OW + max(codes)) * weight + (self.BIG if bad else 0)
                tables.append(table)
            self.terms.append(tables)

    @property
    def num_cells(self) -> int:
        return math.prod(len(x) for x in self.blocks)

    def keys(self, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(canonical key, own key) of the cells first x blocks2 x ... (one grid axis per block)."""
        b = self.b
        best = own = None
        for tables in self.terms:
            key = tables[0][first].reshape((-1,) + (1,) * (b - 1))
            for k in range(1, b):
                key = key + tables[k].reshape((1,) * k + (-1,) + (1,) * (b - 1 - k))
            if own is None:
                own = key
                best = key.copy()
            else:
                np.minimum(best, key, out=best)
        assert (best < self.BIG).all()  # the identity order is always valid
        return best, own

    def decode(self, key: int) -> tuple:
        out = []
        for p in range(self.b):
            code = (int(key) // self.BW ** (self.b - 1 - p)) % self.BW
            lo, hi = divmod(code, self.OW)
            out.append((divmod(lo, self.R), divmod(hi, self.R)))
        return tuple(out)

    def cell_at(self, first: int, rest: tuple[int, ...]) -> tuple:
        return (self.blocks[0][first],) + tuple(self.blocks[k + 1][i] for k, i in enumerate(rest))

    def run(self, chunk: int = 8, sample_every: int = 0, rng=None):
        """Canonical keys of every cell (sorted), the count of self-canonical cells, and
        a list of (cell, decoded canonical) pairs drawn along the way."""
        n1 = len(self.blocks[0])
        out = np.empty(self.num_cells, dtype=np.int64)
        self_canonical, at, samples = 0, 0, []
        for start in range(0, n1, chunk):
            first = np.arange(start, min(n1, start + chunk))
            best, own = self.keys(first)
            self_canonical += int((best == own).sum())
            out[at:at + best.size] = best.ravel()
            at += best.size
            for _ in range(sample_every):
                idx = tuple(int(rng.integers(s)) for s in best.shape)
                samples.append((self.cell_at(int(first[idx[0]]), idx[1:]), self.decode(best[idx])))
        assert at == out.size
        out.sort()
        return out, self_canonical, samples


def distinct_with_counts(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(..., return_counts=True) on an already sorted array (faster than np.unique)."""
    if sorted_keys.size == 0:
        return sorted_keys, sorted_keys
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    counts = np.diff(np.append(starts, sorted_keys.size))
    return sorted_keys[starts], counts


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def b2_brute():
    """Every one of the 147,456 ordered B2 cells canonicalized with the library function.

    Returns {canonical blocks: set of distinct operand-sorted ordered forms}.
    """
    classes: dict[tuple, set] = {}
    first, second = ordered_blocks(1), ordered_blocks(2)
    assert len(first) * len(second) == 147_456
    for b1 in first:
        s1 = (min(b1), max(b1))
        for b2 in second:
            key = canonical_blocks((b1, b2))
            classes.setdefault(key, set()).add((s1, (min(b2), max(b2))))
    return classes


@pytest.fixture(scope="module")
def b3_brute():
    rng = np.random.default_rng(3)
    bf = BruteForce(3)
    keys, self_canonical, samples = bf.run(chunk=8, sample_every=40, rng=rng)
    distinct, counts = distinct_with_counts(keys)
    return bf, keys, distinct, counts, self_canonical, samples


# ---------------------------------------------------------------------- ordered counts
@pytest.mark.parametrize("b", range(1, 9))
def test_ordered_count_is_product_of_block_choices(b):
    assert pnas.ordered_count(b) == math.prod((k + 1) ** 2 * 64 for k in range(1, b + 1))
    assert pnas.block_choices(b) == (b + 1) ** 2 * 64


def test_ordered_count_small_values():
    assert pnas.ordered_count(1) == 256
    assert pnas.ordered_count(2) == 256 * 576 == 147_456
    assert pnas.ordered_count(3) == 147_456 * 1024
    for b in (1, 2, 3):
        assert pnas.ordered_count(b) == math.prod(len(ordered_blocks(k)) for k in range(1, b + 1))


# ---------------------------------------------------------------------- B1
def test_b1_all_256_ordered_cells_give_136_canonical():
    cells = [(blk,) for blk in ordered_blocks(1)]
    assert len(cells) == 256 == pnas.ordered_count(1)
    canon = {canonical_blocks(c) for c in cells}
    assert len(canon) == 136 == pnas.count(1)
    # independent: a 1-block cell's canonical form is its sorted operand pair
    assert canon == {(tuple(sorted(c[0])),) for c in cells}
    assert {Cell(c).canonical_string for c in cells} == {c.canonical_string for c in pnas.enumerate(1)}


def test_b1_enumerate():
    cells = list(pnas.enumerate(1))
    assert len(cells) == 136 == len({c.canonical_blocks for c in cells})
    assert all(c.num_blocks == 1 and c.blocks == c.canonical_blocks for c in cells)


# ---------------------------------------------------------------------- B2
def test_b2_count_equals_brute_force_over_all_147456_ordered_cells(b2_brute):
    assert pnas.count(2) == len(b2_brute)
    assert 25_000 < len(b2_brute) < 35_000  # "about 3x10^4" (DESIGN.md)
    # every class of operand-sorted forms is an orbit of the block-order group: size 1 or 2
    assert {len(v) for v in b2_brute.values()} == {1, 2}
    assert sum(len(v) for v in b2_brute.values()) == 136 * 300


def test_b2_enumerate_matches_brute_force_without_duplicates(b2_brute):
    blocks = [c.blocks for c in pnas.enumerate(2)]
    assert len(blocks) == len(set(blocks)) == pnas.count(2)
    assert set(blocks) == set(b2_brute)
    # each enumerated cell is already canonical and its canonical form is our own minimum
    rng = random.Random(2)
    for blk in rng.sample(blocks, 500):
        assert ref_canonical(blk) == blk


def test_b2_numpy_brute_force_agrees_with_library_canonical_forms(b2_brute):
    bf = BruteForce(2)
    keys, self_canonical, _ = bf.run(chunk=200)
    distinct, counts = distinct_with_counts(keys)
    assert distinct.size == self_canonical == len(b2_brute)
    decoded = {bf.decode(k): int(c) for k, c in zip(distinct, counts)}
    assert set(decoded) == set(b2_brute)
    assert all(decoded[k] == len(v) for k, v in b2_brute.items())


# ---------------------------------------------------------------------- B3
def test_b3_count_exact_value():
    assert pnas.count(3) == 10_979_688


def test_b3_count_equals_vectorized_brute_force(b3_brute):
    bf, keys, distinct, counts, self_canonical, _ = b3_brute
    assert bf.num_cells == keys.size == 136 * 300 * 528
    assert distinct.size == 10_979_688 == pnas.count(3)
    # each orbit holds exactly one operand-sorted cell that is its own minimum
    assert self_canonical == distinct.size
    # orbit sizes are numbers of distinct orderings of 3 blocks
    assert set(np.unique(counts).tolist()) <= {1, 2, 3, 4, 6}
    assert int(counts.sum()) == keys.size


def test_b3_library_canonical_form_is_the_true_minimum(b3_brute):
    _, _, _, _, _, samples = b3_brute
    assert len(samples) >= 500
    for cell, expected in samples:
        assert canonical_blocks(cell) == expected, cell
        assert Cell(cell).canonical_blocks == expected


def test_b3_sample_uniform_over_orbit_size_classes(b3_brute):
    """Orbit sizes of canonical B3 cells (from the brute force) vs those of sampled cells."""
    _, _, _, counts, _, _ = b3_brute
    sizes, per_size = np.unique(counts, return_counts=True)
    expected_p = per_size / per_size.sum()
    n = 4000
    cells = pnas.sample(3, n, seed=11)
    assert all(c.num_blocks == 3 and c.blocks == c.canonical_blocks for c in cells)
    index = {int(s): i for i, s in enumerate(sizes)}
    observed = np.zeros(len(sizes))
    for c in cells:
        observed[index[pnas.orbit_size(c)]] += 1
    assert stats.chisquare(observed, expected_p * n).pvalue > 0.001


@pytest.mark.parametrize("ops,b", [(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (2, 1), (2, 2),
                                   (2, 3), (2, 4), (3, 3), (3, 4)])
def test_burnside_count_on_reduced_op_sets_equals_orbit_count(monkeypatch, ops, b):
    """Fast check of the counting machinery (also for B4, B5): with the op vocabulary cut to
    ``ops`` ops, the library's count must equal the number of distinct minima."""
    bf = BruteForce(b, ops)
    keys, self_canonical, _ = bf.run(chunk=len(bf.blocks[0]))
    distinct, _ = distinct_with_counts(keys)
    assert distinct.size == self_canonical
    from nasbench.space.blocks import burnside_count

    assert burnside_count(b, ops) == distinct.size


def test_b3_burnside_free_subcase_with_library_canonicalization():
    """Two ops, three blocks: canonicalize every ordered cell with the library function and
    compare with the independent minimum."""
    ops = 2
    libr = set()
    for b1 in ordered_blocks(1, ops):
        for b2 in ordered_blocks(2, ops):
            for b3 in sorted_blocks(3, ops):
                libr.add(canonical_blocks((b1, b2, b3)))
    bf = BruteForce(3, ops)
    keys, _, _ = bf.run(chunk=100)
    distinct, _ = distinct_with_counts(keys)
    assert libr == {bf.decode(k) for k in distinct}


def test_enumerate_3_prefix_is_canonical_and_distinct():
    cells = [c.blocks for c in itertools.islice(pnas.enumerate(3), 3000)]
    assert len(cells) == len(set(cells)) == 3000
    assert all(len(c) == 3 and canonical_blocks(c) == c for c in cells)


def test_count_rejects_bad_b():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError):
            pnas.count(bad)
        with pytest.raises(ValueError):
            list(pnas.enumerate(bad))


# ---------------------------------------------------------------------- expand
def brute_children(blocks, canon=ref_canonical) -> set:
    b = len(blocks)
    return {canon(tuple(blocks) + (blk,)) for blk in ordered_blocks(b + 1)}


def check_expand(cell: Cell, canon=ref_canonical) -> None:
    children = pnas.expand(cell)
    got = [c.canonical_blocks for c in children]
    assert len(got) == len(set(got))
    assert all(c.num_blocks == cell.num_blocks + 1 for c in children)
    assert all(c.blocks == c.canonical_blocks for c in children)
    assert set(got) == brute_children(cell.blocks, canon)


def test_expand_b1_cells_against_brute_force():
    rng = random.Random(5)
    cells = list(pnas.enumerate(1))
    for cell in rng.sample(cells, 24):
        # a non-canonical (swapped) ordered form must expand to the same children
        (a, b), = cell.blocks
        check_expand(Cell([(b, a)]))


def test_expand_of_all_b1_cells_covers_b2_exactly(b2_brute):
    union = set()
    for cell in pnas.enumerate(1):
        union.update(c.canonical_blocks for c in pnas.expand(cell))
    assert union == set(b2_brute)


@pytest.mark.parametrize("b,n", [(2, 6), (3, 4), (4, 2)])
def test_expand_sampled_cells_against_brute_force(b, n):
    rng = random.Random(b)
    for cell in pnas.sample(b, n, seed=100 + b):
        # shuffle into another ordered form first: expand must not depend on it
        shuffled = Cell(random_reorder(cell.blocks, rng))
        assert shuffled == cell
        check_expand(shuffled, canon=canonical_blocks if b >= 3 else ref_canonical)


PNASNET5 = ("sep_conv_5x5@0+max_pool_3x3@0,sep_conv_7x7@1+max_pool_3x3@1,sep_conv_5x5@1+sep_conv_3x3@1,"
            "sep_conv_3x3@4+max_pool_3x3@1,sep_conv_3x3@0+identity@1")  # DESIGN.md


def test_expand_pnasnet5():
    parent = Cell.parse(PNASNET5)
    # drop the last block of PNASNet-5 and expand: PNASNet-5 must be among the children
    prefix = Cell(parent.blocks[:4])
    assert parent in pnas.expand(prefix)


# ---------------------------------------------------------------------- sampling
def test_sample_b1_chi_square_uniform():
    n = 20_000
    cells = pnas.sample(1, n, seed=1234)
    assert len(cells) == n
    index = {c.canonical_blocks: i for i, c in enumerate(pnas.enumerate(1))}
    counts = np.zeros(136)
    for c in cells:
        assert c.num_blocks == 1 and c.blocks == c.canonical_blocks
        counts[index[c.blocks]] += 1
    assert counts.min() > 0
    assert stats.chisquare(counts).pvalue > 0.001


def test_sample_reproducible_and_seed_dependent():
    a = pnas.sample(2, 50, seed=7)
    b = pnas.sample(2, 50, seed=7)
    c = pnas.sample(2, 50, seed=8)
    assert [x.canonical_string for x in a] == [x.canonical_string for x in b]
    assert [x.canonical_string for x in a] != [x.canonical_string for x in c]
    assert pnas.sample(1, 30, 3) == pnas.sample(1, 30, 3)
    assert [x.blocks for x in pnas.sample(1, 30, 3)] != [x.blocks for x in pnas.sample(1, 30, 4)]
    assert pnas.sample(3, 0, 1) == []
    with pytest.raises(ValueError):
        pnas.sample(2, -1, 0)


@pytest.mark.parametrize("b", [1, 2, 3, 4, 5])
def test_samples_are_canonical_with_right_block_count(b):
    for c in pnas.sample(b, 40, seed=b):
        assert c.num_blocks == b
        assert c.blocks == c.canonical_blocks
        assert Cell.parse(c.canonical_string).blocks == c.blocks


def test_sample_b2_uniform_over_canonical_cells(b2_brute):
    """Chi-square on (orbit size, first canonical operand op) whose exact distribution comes
    from the full B2 enumeration. Without the orbit-size correction cells with two
    orderings would be drawn twice as often; the test is checked to detect that."""
    def category(blocks, d):
        return (d, blocks[0][0][0])

    exact: dict = {}
    biased: dict = {}
    for blocks, forms in b2_brute.items():
        cat = category(blocks, len(forms))
        exact[cat] = exact.get(cat, 0) + 1
        biased[cat] = biased.get(cat, 0) + len(forms)
    cats = sorted(exact)
    p = np.array([exact[c] for c in cats], float) / len(b2_brute)
    q = np.array([biased[c] for c in cats], float) / sum(biased.values())

    n = 20_000
    cells = pnas.sample(2, n, seed=2024)
    observed = dict.fromkeys(cats, 0)
    for c in cells:
        assert c.num_blocks == 2 and c.blocks == c.canonical_blocks
        observed[category(c.blocks, len(b2_brute[c.blocks]))] += 1
    obs = np.array([observed[c] for c in cats], float)
    assert stats.chisquare(obs, p * n).pvalue > 0.001
    # power: an uncorrected sampler's expected counts would be rejected outright
    assert stats.chisquare(q * n, p * n).pvalue < 1e-9


def test_orbit_size_matches_brute_force(b2_brute):
    rng = random.Random(9)
    for blocks in rng.sample(sorted(b2_brute), 300):
        assert pnas.orbit_size(Cell(blocks)) == len(b2_brute[blocks])


def test_random_cell_uses_generator():
    r1 = pnas.random_cell(3, np.random.default_rng(5))
    r2 = pnas.random_cell(3, np.random.default_rng(5))
    assert r1 == r2 and r1.num_blocks == 3


# ---------------------------------------------------------------------- slow
@pytest.mark.slow
@pytest.mark.parametrize("ops,b", [(2, 5)])
def test_burnside_count_on_reduced_op_sets_slow(monkeypatch, ops, b):
    test_burnside_count_on_reduced_op_sets_equals_orbit_count(monkeypatch, ops, b)


@pytest.mark.slow
def test_b3_library_canonical_form_large_sample(b3_brute):
    """200,000 random operand-sorted B3 cells: library canonical form == brute-force minimum."""
    bf = b3_brute[0]
    rng = np.random.default_rng(33)
    n1 = len(bf.blocks[0])
    per_chunk = 200_000 // n1 + 1
    checked = 0
    for start in range(n1):
        best, _ = bf.keys(np.array([start]))
        flat = best.ravel()
        for j in rng.integers(flat.size, size=per_chunk):
            rest = np.unravel_index(j, best.shape[1:])
            cell = bf.cell_at(start, tuple(int(i) for i in rest))
            assert canonical_blocks(cell) == bf.decode(flat[j]), cell
            checked += 1
    assert checked >= 200_000
