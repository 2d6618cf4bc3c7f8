"""Exact parameter count and FLOPs (multiply-adds) of a network, by our own code.

FLOPs here are multiply-accumulates of convolutions and linear layers, the convention of
the PNAS/NASNet papers ("mult-adds"); BN, ReLU, pooling and additions are not counted. They
are measured by a forward pass with hooks on one example at the given input size.
"""
from __future__ import annotations

import torch
from torch import nn


def count_params(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters; BN running statistics are buffers and not counted."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def count_flops(model: nn.Module, input_shape: tuple[int, int, int]) -> int:
    """Multiply-adds of conv and linear layers for one input of shape (C, H, W)."""
    total = 0

    def conv_hook(module: nn.Conv2d, _inp, out):
        nonlocal total
        kh, kw = module.kernel_size
        total += kh * kw * (module.in_channels // module.groups) * out.numel()

    def linear_hook(module: nn.Linear, _inp, out):
        nonlocal total
        total += module.in_features * out.numel()

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            device = next(model.parameters()).device
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return total


def complexity(model: nn.Module, input_shape: tuple[int, int, int]) -> dict[str, int]:
    """``{"params": ..., "flops": ...}`` for ``model`` at ``input_shape``."""
    return {"params": count_params(model), "flops": count_flops(model, input_shape)}
