"""Networks built from cells (CIFAR-style and ImageNet-style macro nets) and their complexity."""
from nasbench.model.complexity import complexity, count_flops, count_params
from nasbench.model.network import (
    MACROS, PNASNET5, PNASNET_CIFAR, PNASNET_LARGE, PNASNET_MOBILE, CellNetwork, MacroConfig,
    create_model,
)

__all__ = ["MACROS", "PNASNET5", "PNASNET_CIFAR", "PNASNET_LARGE", "PNASNET_MOBILE",
           "CellNetwork", "MacroConfig", "complexity", "count_flops", "count_params", "create_model"]
