"""One cell as an ``nn.Module``: the block DAG over the two cell inputs, for every cell space."""
from __future__ import annotations

import torch
from torch import nn

from nasbench.model.ops import FactorizedReduce, ReLUConvBN, build_op

NamedBlock = tuple[tuple[str, int], tuple[str, int]]  # ((op name, input), (op name, input))


class CellModule(nn.Module):
    """A cell: preprocess inputs, run the blocks, concatenate the ``concat`` states (PNAS: all
    blocks; NASNet-style spaces: the loose ends, or a published list).

    Preprocessing (TF-slim reference): c-1 always gets ReLU-1x1-BN to ``channels``; c-2 gets a
    factorized reduction if its resolution is twice c-1's, ReLU-1x1-BN if only its channel
    count differs, and is used as it is otherwise (also when there is no c-2: then it is the
    raw c-1, as in the first cell after the stem). With ``stride=2`` only ops that read a
    cell input stride. A cell input in ``concat`` is brought to ``channels`` at the output
    resolution (factorized reduction in a strided cell, else ReLU-1x1-BN if its channels
    differ). Output channels: ``channels * len(concat)``.
    """

    def __init__(self, blocks: list[NamedBlock], c_prev_prev: int, c_prev: int, channels: int, stride: int,
                 reduce_prev_prev: bool, prev_prev_is_raw: bool = False, concat: tuple[int, ...] | None = None):
        super().__init__()
        self.stride = stride
        self.preprocess1 = ReLUConvBN(c_prev, channels, 1)
        if reduce_prev_prev:
            self.preprocess0: nn.Module = FactorizedReduce(c_prev_prev, channels)
            c0 = self.preprocess0.out_channels
        elif c_prev_prev != channels and not prev_prev_is_raw:
            self.preprocess0 = ReLUConvBN(c_prev_prev, channels, 1)
            c0 = channels
        else:
            self.preprocess0 = nn.Identity()
            c0 = c_prev_prev
        in_channels = [c0, channels] + [channels] * len(blocks)
        self.inputs: list[tuple[int, int]] = []
        ops = []
        for block in blocks:
            for op, inp in block:
                ops.append(build_op(op, in_channels[inp], channels, stride if inp < 2 else 1))
            self.inputs.append((block[0][1], block[1][1]))
        self.ops = nn.ModuleList(ops)
        self.concat = tuple(concat) if concat is not None else tuple(range(2, len(blocks) + 2))
        adapters = {}
        for i in self.concat:
            if i < 2 and stride == 2:
                adapters[str(i)] = FactorizedReduce(in_channels[i], channels)
            elif i < 2 and in_channels[i] != channels:
                adapters[str(i)] = ReLUConvBN(in_channels[i], channels, 1)
        self.adapters = nn.ModuleDict(adapters)
        self.out_channels = sum(getattr(adapters.get(str(i)), "out_channels", channels) if i < 2 else channels
                                for i in self.concat)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for k, (i1, i2) in enumerate(self.inputs):
            states.append(self.ops[2 * k](states[i1]) + self.ops[2 * k + 1](states[i2]))
        out = [self.adapters[str(i)](states[i]) if str(i) in self.adapters else states[i] for i in self.concat]
        return torch.cat(out, dim=1)
