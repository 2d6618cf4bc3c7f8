"""Every design space as a plug-in: grammar, canonical form, hashing, sampling, counting,
networks (8x8x1 and 32x32x3) and the published cells' parameter counts."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.model import build_network, complexity, count_params
from nasbench.model.network import DARTS_CIFAR, NASNET_LARGE, NASNET_MOBILE, CellNetwork, MacroConfig
from nasbench.space import SPACES, CellPair, get_space, parse_arch, space_of
from nasbench.space import blocks as dag
from nasbench.space.cell import canonical_blocks, reorder, topological_orders
from nasbench.space.darts import DARTS_V2
from nasbench.space.families import NetSpec
from nasbench.space.nasnet import NASNET_A

pytestmark = pytest.mark.usefixtures("one_thread")

ALL = sorted(SPACES)
TWO_CELL = [name for name in ALL if isinstance(SPACES[name].sample(SPACES[name].default_sizes[0], 1, 0)[0], CellPair)]
FAMILIES = [name for name in ALL if name in ("vanilla", "resnet", "resnext_a", "resnext_b")]


def test_registry_names_the_nds_spaces():
    assert set(ALL) == {"pnas", "pnas3", "pnas4", "nasnet", "amoeba", "enas", "darts", "vanilla", "resnet",
                        "resnext_a", "resnext_b"}
    assert TWO_CELL == ["amoeba", "darts", "enas", "nasnet"]
    assert {n: len(SPACES[n].ops) for n in TWO_CELL} == {"nasnet": 13, "amoeba": 8, "enas": 5, "darts": 8}
    assert {n: SPACES[n].default_sizes for n in TWO_CELL} == {"nasnet": (5,), "amoeba": (5,), "enas": (5,), "darts": (4,)}
    assert {n: SPACES[n].output for n in TWO_CELL} == {"nasnet": "L", "amoeba": "L", "enas": "L", "darts": "A"}
    with pytest.raises(ValueError, match="unknown space 'foo'"):
        get_space("foo")


# ---------------------------------------------------------------------- grammar and identity
@pytest.mark.parametrize("name", ALL)
def test_sample_round_trips_and_is_reproducible(name):
    space = get_space(name)
    b = space.default_sizes[-1]
    first, again, other = space.sample(b, 20, 7), space.sample(b, 20, 7), space.sample(b, 20, 8)
    assert [g.canonical_string for g in first] == [g.canonical_string for g in again]
    assert [g.canonical_string for g in first] != [g.canonical_string for g in other]
    for g in first:
        text = g.canonical_string
        assert space_of(text) == (None if name == "pnas" else name)
        back = parse_arch(text)
        assert back.space == name and back.canonical_string == text and back.arch_hash == g.arch_hash
        assert len(g.arch_hash) == 16 and int(g.arch_hash, 16) >= 0
        assert back.canonical().canonical_string == text  # canonical is idempotent
        assert g.num_blocks == b


@pytest.mark.parametrize("source", ALL)
@pytest.mark.parametrize("target", ALL)
def test_a_genotype_of_one_space_given_to_another_names_both(source, target):
    if source == target:
        return
    src = get_space(source)
    text = src.sample(src.default_sizes[0], 1, 0)[0].canonical_string
    with pytest.raises(ValueError) as err:
        get_space(target).parse(text)
    message = str(err.value)
    assert f"space {source!r}" in message and f"space {target!r}" in message and "\n" not in message


@pytest.mark.parametrize("name", TWO_CELL)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), b=st.integers(1, 5), data=st.data())
def test_two_cell_canonical_form_ignores_block_order_and_operand_swaps(name, seed, b, data):
    space = get_space(name)
    pair = space.sample(b, 1, seed)[0]
    cells = {}
    for kind in ("normal", "reduce"):
        blocks = pair.blocks(kind)
        orders = list(topological_orders(blocks))
        order = orders[data.draw(st.integers(0, len(orders) - 1))]
        swaps = data.draw(st.lists(st.booleans(), min_size=b, max_size=b))
        cells[kind] = reorder(blocks, order, swaps)
    shuffled = CellPair(space, cells["normal"], cells["reduce"])
    assert shuffled == pair
    assert shuffled.canonical_string == pair.canonical_string
    assert parse_arch(shuffled.format()).arch_hash == pair.arch_hash


@pytest.mark.parametrize("bad, match", [
    ("darts:normal=sep_conv_3x3@0+sep_conv_3x3@1", "missing segment 'reduce'"),
    ("darts:normal=sep_conv_3x3@0+sep_conv_3x3@0;reduce=sep_conv_3x3@0+sep_conv_3x3@1", "reads input 0 twice"),
    ("darts:normal=sep_conv_7x7@0+sep_conv_3x3@1;reduce=sep_conv_3x3@0+sep_conv_3x3@1", "unknown op 'sep_conv_7x7' in space 'darts'"),
    ("nasnet:normal=identity@3+identity@1;reduce=identity@0+identity@1", "input 3 not allowed"),
    ("nasnet:normal=identity@0+identity@1;reduce=identity@0+identity@1,identity@0+identity@2", "must match"),
    ("nasnet:normal=identity@0+identity@1;reduce=identity@0+identity@1;normal_concat=9", "normal_concat"),
    ("enas:normal=identity@0;reduce=identity@0+identity@1", "expected 'op@in\\+op@in'"),
    ("resnet:d=1,2;w=16,32,64", "needs 3 values"),
    ("resnet:d=1,2,5;w=16,32,64", "depths must be in"),
    ("resnext_a:d=1,2,4;w=16,32,64;b=1,2,4", "missing segment g"),
    ("vanilla:d=1,2,4;w=16,32,64;g=1,1,1", "bad segment"),
    ("foo:anything", "unknown space 'foo'"),
])
def test_bad_genotypes_give_one_line_errors(bad, match):
    with pytest.raises(ValueError, match=match) as err:
        parse_arch(bad)
    assert "\n" not in str(err.value)


def test_explicit_concat_is_renumbered_with_the_canonical_order():
    pair = parse_arch(NASNET_A)
    assert pair.concat("normal") == (0, 2, 3, 4, 5, 6)
    canon = pair.canonical()
    # the reduction cell's unused block (the loose ends are blocks 3..5) stays out after renumbering
    assert len(canon.concat("reduce")) == 4 and 0 not in canon.concat("reduce")
    assert parse_arch(canon.canonical_string) == pair


# ---------------------------------------------------------------------- counting and sampling
@pytest.mark.parametrize("num_ops, distinct", [(2, False), (3, False), (2, True), (3, True)])
@pytest.mark.parametrize("b", [1, 2, 3])
def test_burnside_count_matches_brute_force(num_ops, distinct, b):
    pools = [dag.appendable_blocks(k, num_ops, distinct) for k in range(1, b + 1)]
    brute = {canonical_blocks(t) for t in itertools.product(*pools)}
    assert dag.burnside_count(b, num_ops, distinct) == len(brute)
    assert len(list(dag.enumerate_blocks(b, num_ops, distinct))) == len(brute)


def test_space_counts():
    assert get_space("pnas").count(1) == 136  # unchanged by the refactor
    assert get_space("amoeba").cell_count(2) == get_space("pnas").count(2)  # same shape: 8 ops, any inputs
    assert get_space("enas").cell_count(1) == 10 * 11 // 2  # unordered pairs of 10 operands (5 ops x 2 inputs)
    assert get_space("darts").cell_count(1) == 8 * 8  # distinct inputs: one op each for input 0 and 1
    assert get_space("darts").count(1) == 64 ** 2
    assert get_space("resnext_a").count(3) == (5 * 5 * 3 * 3) ** 3
    assert get_space("resnet").count(3) == (9 * 12) ** 3
    assert len(list(get_space("darts").enumerate(1))) == 64 ** 2


@pytest.mark.parametrize("name", TWO_CELL)
def test_two_cell_sampling_is_uniform_over_single_block_cells(name):
    space = get_space(name)
    n_cells = space.cell_count(1)
    draws = space.sample(1, 200 * n_cells // 10 + 2000, 3)
    counts = {}
    for pair in draws:
        counts[pair.canonical().normal] = counts.get(pair.canonical().normal, 0) + 1
    assert len(counts) == n_cells
    from scipy.stats import chisquare

    assert chisquare(list(counts.values())).pvalue > 1e-4


@pytest.mark.parametrize("name", ALL)
def test_neighbours_and_mutations_stay_in_the_space(name):
    space = get_space(name)
    g = space.sample(space.default_sizes[-1], 1, 5)[0]
    near = space.neighbours(g)
    assert near and g not in near
    assert all(n.space == name and n.num_blocks == g.num_blocks for n in near)
    rng = np.random.default_rng(0)
    child = space.mutate(g, rng)
    assert child.canonical_string != g.canonical_string
    assert parse_arch(child.canonical_string).space == name


# ---------------------------------------------------------------------- networks
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 32, 32)])
def test_sampled_networks_run_forward_and_backward(name, shape):
    torch.manual_seed(0)
    space = get_space(name)
    g = space.sample(space.default_sizes[-1], 1, 11)[0]
    net = build_network(g, MacroConfig(N=1, F=8, stem_multiplier=1.0, num_classes=10, in_channels=shape[0]))
    x = torch.randn(2, *shape)
    out = net(x)
    assert out.shape == (2, 10) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad and p.grad is not None)
    stats = complexity(net, shape)
    assert stats["params"] > 0 and stats["flops"] > 0


def _close(value, target, rel=0.01):
    return abs(value - target) / target <= rel


@pytest.mark.slow
def test_nasnet_a_large_matches_the_paper():
    stats = complexity(CellNetwork(parse_arch(NASNET_A), NASNET_LARGE), (3, 331, 331))
    assert _close(stats["params"], 88.9e6) and _close(stats["flops"], 23.8e9)


def test_nasnet_a_mobile_and_darts_v2_match_the_papers():
    mobile = complexity(CellNetwork(parse_arch(NASNET_A), NASNET_MOBILE), (3, 224, 224))
    assert _close(mobile["params"], 5.3e6), mobile  # paper: 5.3M params, 564M mult-adds
    assert _close(mobile["flops"], 564e6), mobile
    large_params = count_params(CellNetwork(parse_arch(NASNET_A), NASNET_LARGE))
    assert _close(large_params, 88.9e6), large_params
    darts = count_params(CellNetwork(parse_arch(DARTS_V2), DARTS_CIFAR))
    assert _close(darts, 3.3e6, rel=0.02) and darts == 3_349_342  # the DARTS reference's count


def test_family_networks_follow_the_spec():
    spec = parse_arch("resnext_a:d=1,2,1;w=16,32,64;b=1,2,4;g=1,2,4")
    assert isinstance(spec, NetSpec) and spec.block == "bottleneck"
    net = build_network(spec, MacroConfig(num_classes=10, in_channels=3))
    blocks = list(net.blocks)
    assert len(blocks) == 4
    grouped = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
    assert [m.groups for m in grouped] == [2, 2, 4]
    assert grouped[-1].in_channels == 64 // 4  # bottleneck ratio 4 on the last stage
    vanilla = build_network(parse_arch("vanilla:d=1,1,1;w=16,16,16"), MacroConfig(num_classes=10, in_channels=1))
    assert not any(type(m).__name__ == "ResidualBlock" for m in vanilla.modules())
