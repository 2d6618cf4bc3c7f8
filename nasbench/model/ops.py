"""PNAS operations as torch modules, looked up by name in :data:`OP_BUILDERS`.

Conventions follow the PNAS/NASNet reference (TF-slim ``nasnet_utils``):

* ``sep_conv_kxk``: (ReLU, depthwise kxk, pointwise, BN) twice; stride on the first only.
* ``dil_conv_3x3``: ReLU, depthwise 3x3 with dilation 2, pointwise, BN (DARTS form).
* ``conv_1x7_7x1``: ReLU, 1x7 conv, 7x1 conv, BN (stride split across the two, DARTS form).
* pools: 3x3 with "same" padding (avg excludes padding); a 1x1 conv + BN follows if the
  channel count changes.
* ``identity``: passes through unless it must stride or change channels, in which case it is
  ReLU, 1x1 conv (strided), BN.
* other spaces: ``none`` (zeros), ``dil_conv_5x5``, ``max_pool_5x5/7x7``, ``conv_1x1``,
  ``conv_3x3`` (ReLU-conv-BN), ``conv_1x3_3x1``.

Every builder has the signature ``(c_in, c_out, stride) -> nn.Module``.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.1)


class ReLUConvBN(nn.Sequential):
    """ReLU, kxk conv (no bias), BN: the 1x1 preprocessing and strided identity."""

    def __init__(self, c_in: int, c_out: int, kernel: int = 1, stride: int = 1):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
            _bn(c_out),
        )


def _separable(c_in: int, c_out: int, kernel: int, stride: int, dilation: int = 1) -> list[nn.Module]:
    pad = dilation * (kernel // 2)
    return [
        nn.ReLU(inplace=False),
        nn.Conv2d(c_in, c_in, kernel, stride, pad, dilation=dilation, groups=c_in, bias=False),
        nn.Conv2d(c_in, c_out, 1, bias=False),
        _bn(c_out),
    ]


class SepConv(nn.Sequential):
    """Two stacked ReLU-depthwise-pointwise-BN layers (PNAS/NASNet separable conv)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int):
        super().__init__(*_separable(c_in, c_out, kernel, stride), *_separable(c_out, c_out, kernel, 1))


class DilConv(nn.Sequential):
    """ReLU, dilated depthwise kxk (dilation 2), pointwise, BN."""

    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int = 3):
        super().__init__(*_separable(c_in, c_out, kernel, stride, dilation=2))


class Conv1x7_7x1(nn.Sequential):
    """ReLU, 1xk conv, kx1 conv, BN (k = 7, or 3 for NASNet's 1x3 then 3x1)."""

    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int = 7):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, (1, kernel), (1, stride), (0, kernel // 2), bias=False),
            nn.Conv2d(c_out, c_out, (kernel, 1), (stride, 1), (kernel // 2, 0), bias=False),
            _bn(c_out),
        )


class Zero(nn.Module):
    """DARTS's ``none``: zeros of the output's shape (the edge is absent)."""

    def __init__(self, c_out: int, stride: int):
        super().__init__()
        self.c_out, self.stride = c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :1, ::self.stride, ::self.stride]
        return x.mul(0.0).expand(-1, self.c_out, -1, -1).contiguous(memory_format=torch.channels_last)


class Pool(nn.Module):
    """kxk avg/max pool with same padding, then 1x1 conv + BN if channels change."""

    def __init__(self, kind: str, c_in: int, c_out: int, stride: int, kernel: int = 3):
        super().__init__()
        if kind == "avg":
            self.pool = nn.AvgPool2d(kernel, stride, kernel // 2, count_include_pad=False)
        else:
            self.pool = nn.MaxPool2d(kernel, stride, kernel // 2)
        self.project = (
            nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), _bn(c_out)) if c_in != c_out else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(x)
        return self.project(x) if self.project is not None else x


def identity(c_in: int, c_out: int, stride: int) -> nn.Module:
    if stride == 1 and c_in == c_out:
        return nn.Identity()
    return ReLUConvBN(c_in, c_out, 1, stride)


OP_BUILDERS: dict[str, Callable[[int, int, int], nn.Module]] = {
    "identity": identity,
    "avg_pool_3x3": lambda c_in, c_out, s: Pool("avg", c_in, c_out, s),
    "max_pool_3x3": lambda c_in, c_out, s: Pool("max", c_in, c_out, s),
    "dil_conv_3x3": DilConv,
    "sep_conv_3x3": lambda c_in, c_out, s: SepConv(c_in, c_out, 3, s),
    "sep_conv_5x5": lambda c_in, c_out, s: SepConv(c_in, c_out, 5, s),
    "sep_conv_7x7": lambda c_in, c_out, s: SepConv(c_in, c_out, 7, s),
    "conv_1x7_7x1": Conv1x7_7x1,
    # ops of the other NAS cell spaces (NASNet, DARTS)
    "none": lambda c_in, c_out, s: Zero(c_out, s),
    "dil_conv_5x5": lambda c_in, c_out, s: DilConv(c_in, c_out, s, kernel=5),
    "max_pool_5x5": lambda c_in, c_out, s: Pool("max", c_in, c_out, s, kernel=5),
    "max_pool_7x7": lambda c_in, c_out, s: Pool("max", c_in, c_out, s, kernel=7),
    "conv_1x1": lambda c_in, c_out, s: ReLUConvBN(c_in, c_out, 1, s),
    "conv_3x3": lambda c_in, c_out, s: ReLUConvBN(c_in, c_out, 3, s),
    "conv_1x3_3x1": lambda c_in, c_out, s: Conv1x7_7x1(c_in, c_out, s, kernel=3),
}


def build_op(name: str, c_in: int, c_out: int, stride: int) -> nn.Module:
    """Instantiate op ``name`` mapping ``c_in`` to ``c_out`` channels at ``stride``."""
    return OP_BUILDERS[name](c_in, c_out, stride)


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing pixels: two offset strided 1x1 paths, concat, BN.

    Used on the c-2 input when its resolution differs from c-1 (after a stride-2 cell). Each
    path gets ``c_out // 2`` channels as in the reference, so an odd ``c_out`` (PNASNet
    Mobile's F/2 = 27) gives ``c_out - 1`` channels: see :attr:`out_channels`.
    """

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        half = max(1, c_out // 2)
        self.out_channels = 2 * half
        self.conv1 = nn.Conv2d(c_in, half, 1, bias=False)
        self.conv2 = nn.Conv2d(c_in, half, 1, bias=False)
        self.bn = _bn(self.out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(x)
        path1 = self.conv1(x[:, :, ::2, ::2])
        path2 = self.conv2(F.pad(x, (0, 1, 0, 1))[:, :, 1::2, 1::2])
        return self.bn(torch.cat([path1, path2], dim=1))
