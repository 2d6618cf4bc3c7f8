"""Networks built from cells (CIFAR-style and ImageNet-style macro nets) and their complexity."""
from nasbench.model.complexity import complexity, count_flops, count_params
from nasbench.model.network import (
    MACROS, PNASNET5, PNASNET_CIFAR, PNASNET_LARGE, PNASNET_MOBILE, CellNetwork, MacroConfig,
    create_model,
)



def build_network(genotype, config: MacroConfig):
    """The network of a genotype of any space under ``config`` (a family genotype builds its
    own stages and reads only ``num_classes`` and ``in_channels``)."""
    from nasbench.space.families import NetSpec

    if isinstance(genotype, NetSpec):
        from nasbench.model.families import FamilyNetwork

        return FamilyNetwork(genotype, num_classes=config.num_classes, in_channels=config.in_channels)
    return CellNetwork(genotype, config)


__all__ = ["build_network", "MACROS", "PNASNET5", "PNASNET_CIFAR", "PNASNET_LARGE", "PNASNET_MOBILE",
           "CellNetwork", "MacroConfig", "complexity", "count_flops", "count_params", "create_model"]
