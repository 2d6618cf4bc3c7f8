"""The training step as one function that CUDA can capture as a graph, and its eager twin.

A digits model's step is a few hundred tiny kernels: launched one by one from Python, the GPU
idles between them. :class:`TrainStep` runs forward, loss, backward and SGD (nesterov, weight
decay per parameter group, the learning rate as a device tensor so the per-step schedule never
forces a recapture) on static batch tensors. With ``capture=True`` (CUDA only) the first
``warmup`` calls run eagerly on a side stream, the next call captures the step with
``torch.cuda.graph`` and replays it, and every later call only copies the batch in and
replays. With ``capture=False`` the very same step runs eagerly: that twin is what CPU runs
and tests. Shapes must be static, which the training loop guarantees (it drops the last
partial batch). Augmentation and evaluation stay outside, eager.

The SGD update is written here with foreach ops because ``torch.optim.SGD`` turns a tensor
learning rate into a Python float (a host sync, illegal inside a capture); it follows
``torch.optim.SGD``'s formulas but is not promised bit-equal to it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


class TrainStep:
    """``step(x, y, lr) -> (loss, logits)``: one SGD step of ``model`` on a fixed-shape batch.

    ``optimizer`` is the run's ``torch.optim.SGD``: its parameter groups (params, weight
    decay) and momentum/nesterov are read, its state is not used. Returned tensors are the
    static outputs when captured: read them before the next call.
    """

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, *,
                 label_smoothing: float, use_bf16: bool, capture: bool, warmup: int = 3):
        if capture and not torch.cuda.is_available():
            raise ValueError("CUDA graphs need a CUDA device")
        self.model = model
        defaults = optimizer.defaults
        self.momentum = float(defaults["momentum"])
        self.nesterov = bool(defaults["nesterov"])
        if defaults.get("dampening", 0) != 0:
            raise ValueError("TrainStep supports SGD without dampening only")
        self.groups = [(list(g["params"]), float(g["weight_decay"])) for g in optimizer.param_groups]
        self.buffers = [[torch.zeros_like(p) for p in params] for params, _ in self.groups]
        self.label_smoothing = label_smoothing
        self.use_bf16 = use_bf16
        self.capture = capture
        self.warmup = warmup
        self.calls = 0
        self.graph = None
        self.static: tuple | None = None  # (x, y, lr)
        self.outputs: tuple | None = None

    @property
    def captured(self) -> bool:
        return self.graph is not None

    def _step(self) -> tuple[torch.Tensor, torch.Tensor]:
        x, y, lr = self.static
        for params, _ in self.groups:
            for p in params:
                p.grad = None
        # no autocast weight cache: a captured graph must not depend on cached casts
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.use_bf16, cache_enabled=False):
            logits = self.model(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=self.label_smoothing)
        loss.backward()
        with torch.no_grad():
            for (all_params, decay), all_bufs in zip(self.groups, self.buffers):
                live = [(p, b) for p, b in zip(all_params, all_bufs) if p.grad is not None]
                if not live:  # e.g. an unread cell input: like torch.optim.SGD, skip it
                    continue
                params, bufs = [p for p, _ in live], [b for _, b in live]
                grads = [p.grad for p in params]
                if decay:
                    torch._foreach_add_(grads, params, alpha=decay)
                if self.momentum:
                    torch._foreach_mul_(bufs, self.momentum)
                    torch._foreach_add_(bufs, grads)
                    if self.nesterov:
                        torch._foreach_add_(grads, bufs, alpha=self.momentum)
                    else:
                        grads = bufs
                torch._foreach_add_(params, torch._foreach_mul(grads, lr), alpha=-1.0)
        return loss.detach(), logits.detach()

    def __call__(self, x: torch.Tensor, y: torch.Tensor, lr: float) -> tuple[torch.Tensor, torch.Tensor]:
        if self.static is None:
            self.static = (torch.empty_like(x), torch.empty_like(y),
                           torch.zeros((), device=x.device, dtype=torch.float32))
        sx, sy, slr = self.static
        if x.shape != sx.shape:
            raise ValueError(f"TrainStep needs a fixed batch shape {tuple(sx.shape)}, got {tuple(x.shape)}")
        sx.copy_(x)
        sy.copy_(y)
        slr.fill_(lr)
        self.calls += 1
        if not self.capture:
            return self._step()
        if self.graph is not None:
            self.graph.replay()
            return self.outputs
        if self.calls <= self.warmup:  # eager warm-up on a side stream (allocator, cuDNN plans)
            side = torch.cuda.Stream(device=x.device)
            side.wait_stream(torch.cuda.current_stream(x.device))
            with torch.cuda.stream(side):
                out = self._step()
            torch.cuda.current_stream(x.device).wait_stream(side)
            return out
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):  # records, does not run: replay below runs this step
            self.outputs = self._step()
        self.graph = graph
        graph.replay()
        return self.outputs
