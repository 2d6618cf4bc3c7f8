"""The NASNet space (Zoph et al., CVPR 2018; as defined in the NDS paper): normal + reduction
cells of 5 blocks over the 13 NASNet ops, add-combine, output = concatenation of the cell's
unused hidden states (loose ends, rule ``L``).

``NASNET_A`` is the published NASNet-A cell pair in our grammar. Its output lists are those of
the reference TF-slim model: the normal cell also concatenates its c-2 input (state 0) and the
reduction cell concatenates blocks 2..5; they are given explicitly because they differ from the
loose-end rule. NASNet-A Mobile (N=4, F=44, 224px) and Large (N=6, F=168, 331px) are built
from it in :mod:`nasbench.model.network`.
"""
from nasbench.space.ops import ALIASES
from nasbench.space.twocell import TwoCellSpace

NAME = "nasnet"
OPS = (
    "identity", "conv_1x3_3x1", "conv_1x7_7x1", "dil_conv_3x3", "avg_pool_3x3", "max_pool_3x3",
    "max_pool_5x5", "max_pool_7x7", "conv_1x1", "conv_3x3", "sep_conv_3x3", "sep_conv_5x5",
    "sep_conv_7x7",
)
SPACE = TwoCellSpace(
    NAME, OPS, nodes=5, output="L",
    description="NASNet (Zoph et al., CVPR 2018): normal + reduction cells, 13 ops, 5 blocks, loose ends",
    aliases={**ALIASES, "skip_connect": "identity", "conv_7x1_1x7": "conv_1x7_7x1"},
)

NASNET_A = (
    "nasnet:normal=sep_conv_5x5@1+sep_conv_3x3@0,sep_conv_5x5@0+sep_conv_3x3@0,"
    "avg_pool_3x3@1+identity@0,avg_pool_3x3@0+avg_pool_3x3@0,sep_conv_3x3@1+identity@1;"
    "reduce=sep_conv_5x5@1+sep_conv_7x7@0,max_pool_3x3@1+sep_conv_7x7@0,"
    "avg_pool_3x3@1+sep_conv_5x5@0,identity@3+avg_pool_3x3@2,sep_conv_3x3@2+max_pool_3x3@1;"
    "normal_concat=0,2,3,4,5,6;reduce_concat=3,4,5,6"
)
