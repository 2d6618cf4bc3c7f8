"""Op-subset PNAS spaces (pnas3, pnas4, any subset): exact counts (Burnside = brute force =
enumeration), uniform samples, expansion, mutation, the string/hash contract with the 8-op space,
and that a subset cell trains into exactly the PNAS cell's network and result."""
from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest
from scipy.stats import chisquare

from builder_helpers import tiny_protocol
from nasbench.builder.train import train
from nasbench.space import Cell, get_space, parse_arch
from nasbench.space import blocks as dag
from nasbench.space.cell import canonical_blocks
from nasbench.space.subset import SubsetCell, SubsetSpace

pytestmark = pytest.mark.usefixtures("one_thread")

PNAS5 = SubsetSpace("pnas5", ("identity", "max_pool_3x3", "sep_conv_3x3", "conv_1x7_7x1", "avg_pool_3x3"))


def _sha(lines) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def test_the_8_op_space_strings_and_hashes_are_unchanged():
    pnas = get_space("pnas")
    assert [pnas.count(b) for b in (1, 2, 3)] == [136, 31_620, 10_979_688]
    b1 = list(pnas.enumerate(1))
    assert _sha(c.canonical_string for c in b1) == "00a5907ac6ce8dce"
    assert _sha(c.arch_hash for c in b1) == "0915bc13d5e6a81b"
    assert _sha(c.arch_hash for c in itertools.islice(pnas.enumerate(2), 500)) == "2a5b74f4ff8be932"
    assert all(type(c) is Cell and c.space == "pnas" for c in b1)


@pytest.mark.parametrize("space, counts", [
    (get_space("pnas3"), [21, 735, 37_303]),
    (get_space("pnas4"), [36, 2_178, 193_512]),
    (PNAS5, [55, 5_115]),
])
def test_counts_are_exact(space, counts):
    assert [space.count(b) for b in range(1, len(counts) + 1)] == counts
    for b in (1, 2):
        cells = list(space.enumerate(b))
        assert len(cells) == len(set(cells)) == counts[b - 1]
        assert all(c.canonical_string == space.parse(c.canonical_string).canonical_string for c in cells)


@pytest.mark.parametrize("name, b", [("pnas3", 1), ("pnas3", 2), ("pnas3", 3), ("pnas4", 2)])
def test_burnside_equals_brute_force_over_the_subset(name, b):
    """Every ordered cell over the subset's global op codes, canonicalized: as many classes as
    the count, and exactly the enumerated cells."""
    space = get_space(name)
    pools = []
    for k in range(1, b + 1):
        operands = [(op, inp) for op in space.codes for inp in range(k + 1)]
        pools.append(list(itertools.combinations_with_replacement(operands, 2)))
    brute = {canonical_blocks(t) for t in itertools.product(*pools)}
    assert len(brute) == space.count(b)
    assert {c.canonical_blocks for c in space.enumerate(b)} == brute


def test_the_subset_is_the_pnas_cells_whose_ops_lie_in_it():
    pnas4 = get_space("pnas4")
    inside = {c.canonical_string for c in get_space("pnas").enumerate(2)
              if set(c.ops()) <= set(pnas4.ops)}
    bodies = {c.canonical_string.split(":", 1)[1] for c in pnas4.enumerate(2)}
    assert bodies == inside and len(inside) == 2_178


def test_strings_hashes_and_conversion_to_pnas():
    pnas4 = get_space("pnas4")
    cell = parse_arch("pnas4:sep3@0+id@1,conv17@2+max3@0")
    assert isinstance(cell, SubsetCell) and cell.space == "pnas4"
    body = cell.canonical_string.split(":", 1)[1]
    twin = cell.to_pnas()
    assert twin.space == "pnas" and twin.canonical_string == body
    assert cell.arch_hash == hashlib.sha256(cell.canonical_string.encode()).hexdigest()[:16] != twin.arch_hash
    assert cell != twin and twin != cell and len({cell, twin}) == 2
    assert pnas4.from_pnas(body) == cell == pnas4.parse(cell.canonical_string)
    assert cell.canonical().named_blocks() == twin.canonical().named_blocks()  # the network's input
    with pytest.raises(ValueError, match="op 'sep_conv_5x5' is not in space 'pnas4'"):
        parse_arch("pnas4:sep5@0+id@1")
    with pytest.raises(ValueError, match="genotype of space 'pnas', not of space 'pnas4'"):
        pnas4.parse(body)
    with pytest.raises(ValueError, match="genotype of space 'pnas4', not of space 'pnas'"):
        get_space("pnas").parse(cell)
    with pytest.raises(ValueError, match="needs distinct PNAS ops"):
        SubsetSpace("bad", ("identity", "id"))


def test_sampling_is_uniform_over_canonical_b2_cells_of_pnas3():
    space = get_space("pnas3")
    draws = space.sample(2, 735 * 20, 4)
    counts = {}
    for c in draws:
        counts[c] = counts.get(c, 0) + 1
    assert len(counts) == 735 and all(c.space == "pnas3" for c in counts)
    assert chisquare(list(counts.values())).pvalue > 1e-4
    assert [c.canonical_string for c in space.sample(2, 5, 9)] == [c.canonical_string for c in space.sample(2, 5, 9)]


def test_expand_gives_exactly_the_next_level():
    space = get_space("pnas3")
    children = {child for parent in space.enumerate(1) for child in space.expand(parent)}
    assert children == set(space.enumerate(2))
    assert all(set(c.ops()) <= set(space.ops) for c in children)


def test_mutations_stay_in_the_subset():
    space = get_space("pnas4")
    rng = np.random.default_rng(0)
    for cell in space.sample(3, 20, 1):
        near = space.neighbours(cell)
        assert near and cell not in near and all(n.space == "pnas4" for n in near)
        assert all(set(n.ops()) <= set(space.ops) for n in near)
        child = space.mutate(cell, rng)
        assert child in near
    # one edit changes one op or one input: op edits reach each of the other 3 ops
    one = parse_arch("pnas4:identity@0+identity@1")
    assert {frozenset(n.ops()) for n in space.neighbours(one)} >= {
        frozenset(("identity", op)) for op in space.ops if op != "identity"}


def test_burnside_matches_enumeration_for_every_op_count():
    for k in range(1, 9):
        assert dag.burnside_count(1, k) == len(list(dag.enumerate_blocks(1, k))) == (2 * k) * (2 * k + 1) // 2


def test_a_subset_cell_trains_into_the_pnas_cells_result():
    """Same network, seeded by the seed alone: the pnas4 row equals the pnas row (CPU, bit-equal)
    except for the keys, so the two tables can be joined on the arch body."""
    cell = parse_arch("pnas4:max_pool_3x3@0+sep_conv_3x3@1")
    protocol = tiny_protocol()
    mine, theirs = train(cell, protocol, seed=1).run, train(cell.to_pnas(), protocol, seed=1).run
    assert mine["space"] == "pnas4" and theirs["space"] == "pnas"
    assert mine["arch"] == "pnas4:" + theirs["arch"] and mine["arch_hash"] != theirs["arch_hash"]
    for key in ("params", "flops", "val_acc", "test_acc", "train_loss", "val_loss"):
        assert mine[key] == theirs[key], key


def test_pnas_search_and_the_space_cli_work_by_name():
    from click.testing import CliRunner

    from nasbench.cli import main
    from nasbench.search import SyntheticEvaluator, get_algorithm

    ev = SyntheticEvaluator(lambda c: sum(op == "max_pool_3x3" for op in c.ops()) / len(c.ops()), space="pnas3")
    traj = get_algorithm("pnas").run(ev, None, seed=0, K=2, Bmax=2, surrogate="xgboost")
    frame = traj.to_frame()
    assert len(frame) == 21 + 2 and all(a.startswith("pnas3:") for a in frame.arch)
    result = CliRunner().invoke(main, ["space", "count", "--space", "pnas4"])
    assert result.exit_code == 0 and "36" in result.output and "2,178" in result.output, result.output
    result = CliRunner().invoke(main, ["space", "canonical", "pnas4:id@1+sep3@0"])
    assert "canonical: pnas4:identity@1+sep_conv_3x3@0" in result.output
