"""Networks built from genotypes (CIFAR-style and ImageNet-style macro nets) and their complexity."""
import importlib

from nasbench.model.complexity import complexity, count_flops, count_params
from nasbench.model.network import (
    MACROS, PNASNET5, PNASNET_CIFAR, PNASNET_LARGE, PNASNET_MOBILE, CellNetwork, MacroConfig,
    create_model,
)


def network_builder(genotype):
    """The callable ``(genotype, MacroConfig) -> nn.Module`` that the genotype's space names in
    ``Space.network`` (``"module:attribute"``), imported here."""
    from nasbench.space import get_space

    space = get_space(genotype.space)
    module, _, attribute = space.network.partition(":")
    if not module or not attribute:
        raise ValueError(f"space {space.name!r} names no network builder (Space.network = 'module:attribute')")
    return getattr(importlib.import_module(module), attribute)


def build_network(genotype, config: MacroConfig):
    """The network of a genotype of any space under ``config`` (a family genotype builds its
    own stages and reads only ``num_classes`` and ``in_channels``)."""
    return network_builder(genotype)(genotype, config)


def network_params(genotype, config: MacroConfig) -> int:
    """Trainable parameters of ``build_network(genotype, config)`` without allocating: the
    builder's closed form ``closed_form_params(genotype, config)`` where it has one, else a
    build on the meta device."""
    import torch

    builder = network_builder(genotype)
    closed_form = getattr(builder, "closed_form_params", None)
    if closed_form is not None:
        return int(closed_form(genotype, config))
    with torch.device("meta"):
        return count_params(builder(genotype, config))


__all__ = ["build_network", "MACROS", "PNASNET5", "PNASNET_CIFAR", "PNASNET_LARGE", "PNASNET_MOBILE",
           "CellNetwork", "MacroConfig", "complexity", "count_flops", "count_params", "create_model",
           "network_builder", "network_params"]
