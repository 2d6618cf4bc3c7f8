"""Networks of the standard families (Vanilla, ResNet, ResNeXt) from a
:class:`~nasbench.space.families.NetSpec`: a 3x3 stem, three stages (strides 1, 2, 2), a
pooled linear head. Blocks:

* ``plain`` (Vanilla): 3x3 conv, BN, ReLU.
* ``basic`` (ResNet): two 3x3 conv-BN layers plus a shortcut, ReLU.
* ``bottleneck`` (ResNeXt): 1x1 to w/b, grouped 3x3 (g groups), 1x1 back to w, plus a shortcut.

The shortcut is a strided 1x1 conv + BN when the shape changes, else the identity.
"""
from __future__ import annotations

import torch
from torch import nn

from nasbench.space.families import STEM_WIDTH, NetSpec


def _conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out)]


class ResidualBlock(nn.Module):
    """``relu(body(x) + shortcut(x))`` with a basic or grouped-bottleneck body."""

    def __init__(self, kind: str, c_in: int, c_out: int, stride: int, bottleneck: int = 1, groups: int = 1):
        super().__init__()
        if kind == "basic":
            layers = [*_conv_bn(c_in, c_out, 3, stride), nn.ReLU(), *_conv_bn(c_out, c_out, 3)]
        else:
            inner = max(groups, c_out // bottleneck)
            layers = [*_conv_bn(c_in, inner, 1), nn.ReLU(), *_conv_bn(inner, inner, 3, stride, groups), nn.ReLU(),
                      *_conv_bn(inner, c_out, 1)]
        self.body = nn.Sequential(*layers)
        self.shortcut = (nn.Sequential(*_conv_bn(c_in, c_out, 1, stride))
                         if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class FamilyNetwork(nn.Module):
    """Stem, three stages of the family's blocks, global average pool, linear."""

    def __init__(self, spec: NetSpec, config):
        """``config``: a MacroConfig, of which only ``num_classes`` and ``in_channels`` are read."""
        super().__init__()
        self.spec = spec
        num_classes, in_channels = config.num_classes, config.in_channels
        self.stem = nn.Sequential(*_conv_bn(in_channels, STEM_WIDTH, 3), nn.ReLU())
        blocks: list[nn.Module] = []
        c_in = STEM_WIDTH
        for stage, (d, w, b, g) in enumerate(zip(spec.depths, spec.widths, spec.bottlenecks, spec.groups)):
            for i in range(d):
                stride = 2 if stage and i == 0 else 1
                if spec.block == "plain":
                    blocks.append(nn.Sequential(*_conv_bn(c_in, w, 3, stride), nn.ReLU()))
                else:
                    blocks.append(ResidualBlock(spec.block, c_in, w, stride, b, g))
                c_in = w
        self.blocks = nn.Sequential(*blocks)
        self.classifier = nn.Linear(c_in, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x))
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))

    @staticmethod
    def closed_form_params(spec: NetSpec, config) -> int:
        """:func:`family_params` under ``config`` (read by ``nasbench.model.network_params``)."""
        return family_params(spec, config.num_classes, config.in_channels)


def family_params(spec: NetSpec, num_classes: int = 10, in_channels: int = 3) -> int:
    """Exact parameter count of ``FamilyNetwork(spec, ...)`` in closed form (no allocation), so
    complexity-windowed sampling can reject thousands of candidates quickly."""
    def conv_bn(c_in, c_out, kernel, groups=1):
        return c_in // groups * c_out * kernel * kernel + 2 * c_out

    total = conv_bn(in_channels, STEM_WIDTH, 3)
    c_in = STEM_WIDTH
    for stage, (d, w, b, g) in enumerate(zip(spec.depths, spec.widths, spec.bottlenecks, spec.groups)):
        for i in range(d):
            stride = 2 if stage and i == 0 else 1
            if spec.block == "plain":
                total += conv_bn(c_in, w, 3)
            else:
                if spec.block == "basic":
                    total += conv_bn(c_in, w, 3) + conv_bn(w, w, 3)
                else:
                    inner = max(g, w // b)
                    total += conv_bn(c_in, inner, 1) + conv_bn(inner, inner, 3, g) + conv_bn(inner, w, 1)
                if stride != 1 or c_in != w:
                    total += conv_bn(c_in, w, 1)
            c_in = w
    return total + c_in * num_classes + num_classes
