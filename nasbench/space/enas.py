"""The ENAS space (Pham et al., ICML 2018; as defined in the NDS paper): normal + reduction
cells of 5 blocks over 5 ops, output = loose ends (rule ``L``)."""
from nasbench.space.ops import ALIASES
from nasbench.space.twocell import TwoCellSpace

NAME = "enas"
OPS = ("identity", "sep_conv_3x3", "sep_conv_5x5", "avg_pool_3x3", "max_pool_3x3")
SPACE = TwoCellSpace(
    NAME, OPS, nodes=5, output="L",
    description="ENAS (Pham et al., ICML 2018): normal + reduction cells, 5 ops, 5 blocks, loose ends",
    aliases={**ALIASES, "skip_connect": "identity"},
)
