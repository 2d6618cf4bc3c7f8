"""The DARTS space (Liu et al., ICLR 2019; as defined in the NDS paper): normal + reduction
cells of 4 intermediate nodes, each node adding two ops on two DIFFERENT earlier states, over
the 8 DARTS ops (``none`` included: an edge that outputs zeros), output = all nodes (rule ``A``).

``DARTS_V2`` is the published second-order DARTS cell pair; at N=6 (20 cells), F=36 on
CIFAR-10 it has 3.3M parameters (auxiliary head excluded), checked in the tests. As in the
DARTS reference network, the first cell's c-2 input (the stem) is preprocessed by ReLU-1x1-BN.
"""
from nasbench.space.ops import ALIASES
from nasbench.space.twocell import TwoCellSpace

NAME = "darts"
OPS = ("none", "identity", "avg_pool_3x3", "max_pool_3x3", "sep_conv_3x3", "sep_conv_5x5",
       "dil_conv_3x3", "dil_conv_5x5")
SPACE = TwoCellSpace(
    NAME, OPS, nodes=4, output="A", distinct=True, raw_first_input=False,
    description="DARTS (Liu et al., ICLR 2019): normal + reduction cells, 8 ops incl. none, 4 nodes, all nodes",
    aliases={**ALIASES, "skip_connect": "identity", "zero": "none", "dil5": "dil_conv_5x5"},
)

DARTS_V2 = (
    "darts:normal=sep_conv_3x3@0+sep_conv_3x3@1,sep_conv_3x3@0+sep_conv_3x3@1,"
    "sep_conv_3x3@1+identity@0,identity@0+dil_conv_3x3@2;"
    "reduce=max_pool_3x3@0+max_pool_3x3@1,identity@2+max_pool_3x3@1,"
    "max_pool_3x3@0+identity@2,identity@2+max_pool_3x3@1"
)
