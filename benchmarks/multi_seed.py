"""Does training several seeds of one cell together pay? torch.func.vmap vs one model at a time.

The builder trains one (cell, seed) per task. The alternative: stack the parameters and BN
buffers of S seeds and run one vmapped forward/backward per step (the convs become grouped
convs over S x channels), with one SGD over the stacked tensors. This script times the
training step only (batch of the protocol, SGD-nesterov, BN in train mode), both ways, in one
run, and prints steps/second and the ratio. The builder keeps whichever wins on its device.

    python benchmarks/multi_seed.py [--seeds 3 --steps 40 --device cpu]
"""
from __future__ import annotations

import argparse
import copy
import time

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from nasbench.builder.protocol import get_protocol
from nasbench.builder.train import data_for
from nasbench.model import build_network
from nasbench.space import pnas


def make_models(cell, protocol, data, seeds: int, device) -> list[torch.nn.Module]:
    config = protocol.macro_config(num_classes=data.num_classes, in_channels=data.input_shape[0])
    models = []
    for seed in range(seeds):
        torch.manual_seed(seed)
        models.append(build_network(cell, config).to(device))
    return models


def sgd(params, protocol):
    return torch.optim.SGD(params, lr=protocol.lr, momentum=protocol.momentum, nesterov=protocol.nesterov,
                           weight_decay=protocol.weight_decay)


def time_sequential(models, protocol, batches, sync) -> float:
    """Seconds for ``batches`` of SGD steps, one model after the other per step."""
    opts = [sgd(m.parameters(), protocol) for m in models]
    start = time.perf_counter()
    for xs, ys in batches:
        for model, opt, x, y in zip(models, opts, xs, ys):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    sync()
    return time.perf_counter() - start


def time_vmapped(models, protocol, batches, sync) -> tuple[float, dict]:
    """Seconds for the same steps on the stacked seeds, and the trained stacked parameters."""
    params, buffers = stack_module_state(models)
    params = {k: v.detach().requires_grad_() for k, v in params.items()}
    base = copy.deepcopy(models[0]).to("meta")

    def forward(p, b, x):
        return functional_call(base, (p, b), (x,))

    opt = sgd(params.values(), protocol)
    start = time.perf_counter()
    for xs, ys in batches:
        logits = vmap(forward)(params, buffers, xs)
        per_seed = F.cross_entropy(logits.flatten(0, 1), ys.flatten(), reduction="none").view(len(models), -1)
        loss = per_seed.mean(1).sum()  # seeds are independent: each slice gets its own gradient
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    sync()
    return time.perf_counter() - start, params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--cells", type=int, default=3, help="Cells per block count (B1 and B3).")
    parser.add_argument("--protocol", default="digits")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(1)  # as in a builder worker
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    protocol = get_protocol(args.protocol)
    data = data_for(protocol, device=str(device))
    gen = torch.Generator(device="cpu").manual_seed(0)
    batches = []
    for _ in range(args.steps):
        idx = torch.randint(0, len(data.train_y), (args.seeds, protocol.batch_size), generator=gen).to(device)
        batches.append((data.train_x[idx], data.train_y[idx]))
    print(f"{args.seeds} seeds per cell, {args.steps} training steps of batch {protocol.batch_size}, "
          f"protocol {args.protocol}, device {device}")
    total_seq = total_vmap = 0.0
    for b in (1, 3):
        for cell in pnas.sample(b, args.cells, seed=11):
            # warm-up, and a check that both train the same models: weights after 2 steps, seed
            # by seed (later, rounding differences grow as SGD amplifies them)
            models = make_models(cell, protocol, data, args.seeds, device)
            time_sequential(models, protocol, batches[:2], sync)
            _, stacked = time_vmapped(make_models(cell, protocol, data, args.seeds, device), protocol,
                                      batches[:2], sync)
            drift = max(float((stacked[k][i] - p).abs().max().detach()) for i, m in enumerate(models)
                        for k, p in m.named_parameters())
            seq = time_sequential(make_models(cell, protocol, data, args.seeds, device), protocol, batches, sync)
            vec, _ = time_vmapped(make_models(cell, protocol, data, args.seeds, device), protocol, batches, sync)
            total_seq, total_vmap = total_seq + seq, total_vmap + vec
            print(f"B{b} {cell.canonical_string[:50]:50s} one at a time {seq:6.2f}s  vmapped {vec:6.2f}s  "
                  f"ratio {seq / vec:4.2f}x  weights differ by <= {drift:.0e} after 2 steps")
    print(f"all cells: one at a time {total_seq:.1f}s, vmapped {total_vmap:.1f}s -> vmap is "
          f"{total_seq / total_vmap:.2f}x as fast")


if __name__ == "__main__":
    main()
