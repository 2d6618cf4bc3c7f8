"""Acceptance tests of `nasbench.model`: ops, networks built from cells, params and FLOPs."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nasbench.model import (
    PNASNET5, PNASNET_CIFAR, PNASNET_LARGE, PNASNET_MOBILE, CellNetwork, MacroConfig, complexity,
    count_flops, count_params, create_model,
)
from nasbench.model.ops import OP_BUILDERS, build_op
from nasbench.space import OPS, Cell, pnas

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    torch.manual_seed(0)


def _finite(t: torch.Tensor) -> bool:
    return bool(torch.isfinite(t).all())


# ---------------------------------------------------------------------- ops
def test_op_registry_covers_the_vocabulary():
    from nasbench.space import SPACES

    every_space_op = {op for space in SPACES.values() for op in space.ops}
    assert set(OPS) <= every_space_op
    assert set(OP_BUILDERS) == every_space_op


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("c_in,c_out", [(8, 8), (4, 8), (8, 6)])
@pytest.mark.parametrize("size", [4, 8, 32])
def test_op_forward_backward(name, stride, c_in, c_out, size):
    op = build_op(name, c_in, c_out, stride)
    op.train()
    x = torch.randn(2, c_in, size, size, requires_grad=True)
    y = op(x)
    assert y.shape == (2, c_out, size // stride, size // stride)
    assert _finite(y)
    (y * torch.randn_like(y)).sum().backward()
    assert x.grad is not None and _finite(x.grad) and x.grad.abs().sum() > 0
    for p in op.parameters():
        assert p.grad is not None and _finite(p.grad)
    params = sum(p.numel() for p in op.parameters())
    if name == "identity" and stride == 1 and c_in == c_out:
        assert params == 0 and torch.equal(y, x)
    elif name in ("avg_pool_3x3", "max_pool_3x3") and c_in == c_out:
        assert params == 0
    else:
        assert params > 0


def test_identity_at_stride_2_is_relu_conv_bn():
    op = build_op("identity", 8, 8, 2)
    kinds = [type(m) for m in op.modules()]
    assert nn.ReLU in kinds and nn.Conv2d in kinds and nn.BatchNorm2d in kinds
    conv = next(m for m in op.modules() if isinstance(m, nn.Conv2d))
    assert conv.kernel_size == (1, 1) and conv.stride == (2, 2)


def test_sep_conv_is_applied_twice():
    op = build_op("sep_conv_5x5", 8, 8, 1)
    convs = [m for m in op.modules() if isinstance(m, nn.Conv2d)]
    depthwise = [m for m in convs if m.groups == m.in_channels and m.groups > 1]
    assert len(depthwise) == 2 and all(m.kernel_size == (5, 5) for m in depthwise)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in op.modules()) == 2


# ---------------------------------------------------------------------- networks
def _sgd_step(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    net.train()
    before = [p.detach().clone() for p in net.parameters()]
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    opt.zero_grad()
    loss = nn.functional.cross_entropy(net(x), y)
    assert _finite(loss)
    loss.backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None and _finite(g) for g in grads)
    opt.step()
    changed = [not torch.equal(b, p.detach()) for b, p in zip(before, net.parameters())]
    # every parameter tensor (convs, BN affine, classifier) receives an update
    assert all(changed), f"{changed.count(False)} of {len(changed)} tensors unchanged"
    return float(loss.detach())


def test_b5_network_trains_one_step_on_8x8x1():
    cell = Cell.parse(PNASNET5)
    assert cell.num_blocks == 5
    net = create_model(cell, N=1, F=8, in_channels=1, num_classes=10)
    x = torch.randn(4, 1, 8, 8)
    y = torch.tensor([0, 3, 7, 9])
    loss = _sgd_step(net, x, y)
    assert 0 < loss < 20


def test_b5_network_trains_one_step_on_32x32x3():
    cell = pnas.sample(5, 1, seed=3)[0]
    net = create_model(cell, N=1, F=8, in_channels=3, num_classes=10)
    x = torch.randn(4, 3, 32, 32)
    y = torch.tensor([1, 2, 3, 4])
    _sgd_step(net, x, y)


@pytest.mark.parametrize("b", [1, 2, 3, 4, 5])
def test_random_cells_forward_on_8x8x1(b):
    for cell in pnas.sample(b, 3, seed=10 + b):
        net = create_model(cell, N=1, F=8, in_channels=1, num_classes=10)
        assert len(net.cells) == 3
        # cells concatenate all their block outputs
        assert [c.out_channels for c in net.cells] == [8 * b, 16 * b, 32 * b]
        out = net(torch.randn(2, 1, 8, 8))
        assert out.shape == (2, 10) and _finite(out)
        net.eval()
        with torch.no_grad():
            assert _finite(net(torch.randn(3, 1, 8, 8)))


def test_same_canonical_cell_same_network_shape():
    """Two ordered forms of one canonical cell build networks with equal parameter counts."""
    cell = Cell.parse(PNASNET5)
    a = create_model(cell, N=1, F=8, in_channels=1)
    b = create_model(cell.canonical(), N=1, F=8, in_channels=1)
    assert count_params(a) == count_params(b)
    assert count_flops(a, (1, 8, 8)) == count_flops(b, (1, 8, 8))


def test_channels_last_bf16_autocast_forward():
    net = create_model(PNASNET5, N=1, F=8, in_channels=1, num_classes=10)
    net = net.to(memory_format=torch.channels_last)
    x = torch.randn(4, 1, 8, 8).to(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = net(x)
    assert out.shape == (4, 10) and _finite(out.float())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = nn.functional.cross_entropy(net(x), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    assert _finite(loss.float())


def test_macro_config_validation():
    for kwargs in ({"macro": "resnet"}, {"N": 0}, {"F": 7}, {"num_classes": 1}, {"in_channels": 0}):
        with pytest.raises(ValueError):
            MacroConfig(**kwargs)


# ---------------------------------------------------------------------- complexity
@pytest.mark.parametrize("config,size,params,flops", [
    (PNASNET_MOBILE, 224, 5.1e6, 588e6),
    (PNASNET_LARGE, 331, 86.1e6, 25.0e9),
    (PNASNET_CIFAR, 32, 3.2e6, None),
])
def test_pnasnet5_params_and_flops_match_the_paper(config, size, params, flops):
    net = CellNetwork(PNASNET5, config)
    p = count_params(net)
    assert abs(p - params) / params < 0.01, p
    if flops is not None:
        f = count_flops(net, (3, size, size))
        assert abs(f - flops) / flops < 0.01, f
        assert complexity(net, (3, size, size)) == {"params": p, "flops": f}


def test_count_flops_of_a_hand_built_net():
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3, stride=1, padding=1, bias=True),  # 8x8 out
        nn.ReLU(),
        nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4, bias=False),  # depthwise, 4x4 out
        nn.BatchNorm2d(4),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 10),
    )
    conv1 = 3 * 3 * 3 * 4 * 8 * 8  # k*k*c_in per output element
    conv2 = 3 * 3 * 1 * 4 * 4 * 4
    linear = 64 * 10
    assert count_flops(net, (3, 8, 8)) == conv1 + conv2 + linear == 6912 + 576 + 640
    simple = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 6 * 6, 5))
    assert count_flops(simple, (1, 8, 8)) == 1 * 9 * 2 * 36 + 72 * 5
    # the model's mode is restored
    net.train()
    count_flops(net, (3, 8, 8))
    assert net.training


def test_count_params_matches_numel():
    net = create_model(PNASNET5, N=1, F=8, in_channels=1)
    total = sum(p.numel() for p in net.parameters())
    assert count_params(net) == total
    buffers = sum(b.numel() for b in net.buffers())
    assert buffers > 0 and count_params(net) != total + buffers
    net.classifier.weight.requires_grad_(False)
    assert count_params(net) == total - net.classifier.weight.numel()
    assert count_params(net, trainable_only=False) == total
    hand = nn.Sequential(nn.Conv2d(3, 4, 3, bias=True), nn.BatchNorm2d(4), nn.Linear(4, 2))
    assert count_params(hand) == (3 * 9 * 4 + 4) + (4 + 4) + (4 * 2 + 2)


def test_flops_grow_with_input_size_and_blocks():
    small = create_model("sep3@0+id@1", N=1, F=8, in_channels=1)
    big = create_model("sep3@0+id@1,sep3@2+max3@1", N=1, F=8, in_channels=1)
    assert count_flops(small, (1, 16, 16)) > count_flops(small, (1, 8, 8))
    assert count_flops(big, (1, 8, 8)) > count_flops(small, (1, 8, 8))
    assert math.isclose(count_flops(small, (1, 16, 16)) / count_flops(small, (1, 8, 8)), 4, rel_tol=0.05)
