"""Macro networks built from cells: CIFAR-style and ImageNet-style (PNASNet, NASNet-A, DARTS).

Both share three stages of N cells at F, 2F and 4F channels in which the FIRST cell of the
2nd and 3rd stage runs at stride 2 (3N cells in all; PNAS has no separate reduction cell, the
same cell strides). This is the layout of the TF-slim PNASNet reference, and the one that
reproduces the paper's CIFAR figure: with an extra stride-2 cell between stages of N cells
(3N + 2 cells) PNASNet-5 at N=3, F=48 has 4.28M params, not the published 3.2M; with 3N
cells it has 3.19M.

* ``cifar``: 3x3 conv stem (``stem_multiplier * F`` channels, stride 1), the three stages,
  ReLU, global average pool, linear. PNASNet-5 on CIFAR-10: N=3, F=48, stem_multiplier=3
  (paper: 3.2M params).
* ``imagenet``: a VALID 3x3 stride-2 conv with ``32 * stem_multiplier`` channels, two
  stride-2 stem cells at F/4 and F/2 channels, then the three stages, ReLU, global pool,
  linear. Mobile: N=3, F=54, stem_multiplier=1, 224px (paper: 5.1M params, 588M
  mult-adds). Large: N=4, F=216, stem_multiplier=3, 331px (paper: 86.1M, 25.0B).

Two-cell spaces (NASNet, Amoeba, ENAS, DARTS: a :class:`~nasbench.space.twocell.CellPair`)
use the NASNet layout instead: N normal cells at F, a reduction cell at 2F, N normal at 2F, a
reduction at 4F, N normal at 4F (3N + 2 cells; the ImageNet stem cells are reduction cells).
NASNet-A Mobile: N=4, F=44, stem_multiplier=1, 224px (paper 5.3M params, 564M mult-adds);
Large: N=6, F=168, stem_multiplier=3, 331px (88.9M, 23.8B); DARTS-V2 on CIFAR-10: N=6, F=36,
stem_multiplier=3 (20 cells, 3.3M).

Cell c reads the outputs of cells c-1 and c-2; the first cell's c-2 is the raw stem output.
No auxiliary head and no drop-path: the table trains small nets and reports their params.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nasbench.model.cell import CellModule
from nasbench.space import parse_arch
from nasbench.space.cell import Cell
from nasbench.space.twocell import CellPair

MACROS = ("cifar", "imagenet")


@dataclass(frozen=True)
class MacroConfig:
    """How cells are stacked into a network (hyper-parameters only, hashed into protocols)."""

    macro: str = "cifar"
    N: int = 1
    F: int = 16
    stem_multiplier: float = 3.0
    num_classes: int = 10
    in_channels: int = 3

    def __post_init__(self):
        if self.macro not in MACROS:
            raise ValueError(f"unknown macro {self.macro!r}; expected one of {', '.join(MACROS)}")
        if self.N < 1 or self.F < 2 or self.F % 2:
            raise ValueError(f"need N >= 1 and an even F >= 2, got N={self.N}, F={self.F}")
        if self.num_classes < 2 or self.in_channels < 1:
            raise ValueError("need num_classes >= 2 and in_channels >= 1")


PNASNET5 = (
    "sep_conv_5x5@0+max_pool_3x3@0,sep_conv_7x7@1+max_pool_3x3@1,sep_conv_5x5@1+sep_conv_3x3@1,"
    "sep_conv_3x3@4+max_pool_3x3@1,sep_conv_3x3@0+identity@1"
)
PNASNET_MOBILE = MacroConfig("imagenet", N=3, F=54, stem_multiplier=1.0, num_classes=1000)
PNASNET_LARGE = MacroConfig("imagenet", N=4, F=216, stem_multiplier=3.0, num_classes=1000)
PNASNET_CIFAR = MacroConfig("cifar", N=3, F=48, stem_multiplier=3.0, num_classes=10)
NASNET_MOBILE = MacroConfig("imagenet", N=4, F=44, stem_multiplier=1.0, num_classes=1000)
NASNET_LARGE = MacroConfig("imagenet", N=6, F=168, stem_multiplier=3.0, num_classes=1000)
DARTS_CIFAR = MacroConfig("cifar", N=6, F=36, stem_multiplier=3.0, num_classes=10)


class CellNetwork(nn.Module):
    """A stem, a stack of :class:`CellModule` copies of the cell(s), and a classifier."""

    def __init__(self, cell: Cell | CellPair | str, config: MacroConfig = MacroConfig()):
        super().__init__()
        cell = parse_arch(cell)
        self.config = config
        if config.macro == "cifar":
            c_stem = int(config.F * config.stem_multiplier)
            self.stem = nn.Sequential(
                nn.Conv2d(config.in_channels, c_stem, 3, 1, 1, bias=False),
                nn.BatchNorm2d(c_stem, eps=1e-3),
            )
            plan = self._stage_plan(config, cell)
        else:
            c_stem = int(32 * config.stem_multiplier)
            self.stem = nn.Sequential(
                nn.Conv2d(config.in_channels, c_stem, 3, 2, 0, bias=False),
                nn.BatchNorm2d(c_stem, eps=1e-3),
            )
            plan = [(config.F // 4, 2), (config.F // 2, 2)] + self._stage_plan(config, cell)
        cells = []
        c_pp, c_p, prev_stride, pp_raw = c_stem, c_stem, 1, getattr(getattr(cell, "_space", None), "raw_first_input", True)
        for channels, stride in plan:
            blocks, concat = cell.cell_at(stride)
            module = CellModule(blocks, c_pp, c_p, channels, stride,
                                reduce_prev_prev=prev_stride == 2, prev_prev_is_raw=pp_raw, concat=concat)
            cells.append(module)
            c_pp, c_p, prev_stride, pp_raw = c_p, module.out_channels, stride, False
        self.cells = nn.ModuleList(cells)
        self.classifier = nn.Linear(c_p, config.num_classes)

    @staticmethod
    def _stage_plan(config: MacroConfig, cell) -> list[tuple[int, int]]:
        """(channels, stride) per cell: 3 stages of N; PNAS opens stages 2 and 3 with a strided
        cell, two-cell spaces put a reduction cell between stages."""
        plan = []
        pair = cell.reduction_cells
        for stage in range(3):
            if pair and stage:
                plan.append((config.F * 2**stage, 2))
            for i in range(config.N):
                plan.append((config.F * 2**stage, 2 if stage and i == 0 and not pair else 1))
        return plan

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        out = F.adaptive_avg_pool2d(F.relu(s1), 1).flatten(1)
        return self.classifier(out)


def create_model(cell: Cell | str, macro: str = "cifar", **kwargs) -> CellNetwork:
    """Build a network for ``cell``; ``kwargs`` are :class:`MacroConfig` fields."""
    return CellNetwork(cell, MacroConfig(macro=macro, **kwargs))
