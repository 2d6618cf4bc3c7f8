"""The Amoeba space (Real et al., AAAI 2019; as defined in the NDS paper): normal + reduction
cells of 5 blocks over the 8 AmoebaNet ops (the dilated conv is the separable one), output =
loose ends (rule ``L``)."""
from nasbench.space.ops import ALIASES
from nasbench.space.twocell import TwoCellSpace

NAME = "amoeba"
OPS = ("identity", "avg_pool_3x3", "max_pool_3x3", "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7",
       "dil_conv_3x3", "conv_1x7_7x1")
SPACE = TwoCellSpace(
    NAME, OPS, nodes=5, output="L",
    description="Amoeba (Real et al., AAAI 2019): normal + reduction cells, 8 ops, 5 blocks, loose ends",
    aliases={**ALIASES, "skip_connect": "identity", "conv_7x1_1x7": "conv_1x7_7x1"},
)
