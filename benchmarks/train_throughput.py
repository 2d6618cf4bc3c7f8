"""Training throughput: our builder path vs a naive per-model PyTorch loop, in one run.

Both train the same cells (default 8 B1 + 8 B3, `digits` protocol: same epochs, batch size,
optimizer, network). The naive baseline is what a first script looks like: one model after
another in this process, a DataLoader over a TensorDataset, eager fp32 in the default memory
format, torch's default thread count, evaluation through DataLoaders. Ours is
`nasbench.builder` with the local runner: one single-threaded worker per core, data resident
as tensors, batched on-device augmentation, channels_last. Prints models/hour and the ratio.

    python benchmarks/train_throughput.py [--b1 8 --b3 8 --protocol digits]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import pandas as pd
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from nasbench.builder.build import build
from nasbench.builder.plan import Plan
from nasbench.builder.protocol import get_protocol
from nasbench.builder.runners import RunnerConfig
from nasbench.data import get_dataset
from nasbench.model import CellNetwork
from nasbench.space import pnas


def naive_train(cell, protocol, data, seed: int) -> float:
    """The baseline: a textbook per-model loop. Returns final val accuracy."""
    torch.manual_seed(seed)
    model = CellNetwork(cell, protocol.macro_config(data.num_classes, data.input_shape[0]))
    opt = torch.optim.SGD(model.parameters(), lr=protocol.lr, momentum=protocol.momentum,
                          nesterov=protocol.nesterov, weight_decay=protocol.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, protocol.epochs)
    train = DataLoader(TensorDataset(data.train_x, data.train_y), batch_size=protocol.batch_size,
                       shuffle=True, drop_last=True)
    val = DataLoader(TensorDataset(data.val_x, data.val_y), batch_size=protocol.batch_size)
    test = DataLoader(TensorDataset(data.test_x, data.test_y), batch_size=protocol.batch_size)
    for _ in range(protocol.epochs):
        model.train()
        for x, y in train:
            shift = protocol.shift
            if shift:  # per-batch random shift, as a simple script would do it
                dx, dy = torch.randint(-shift, shift + 1, (2,)).tolist()
                x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            correct = [sum((model(x).argmax(1) == y).sum().item() for x, y in loader) for loader in (val, test)]
    return correct[0] / len(data.val_y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--b1", type=int, default=8)
    parser.add_argument("--b3", type=int, default=8)
    parser.add_argument("--protocol", default="digits")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    protocol = get_protocol(args.protocol)
    cells = pnas.sample(1, args.b1, seed=7) + pnas.sample(3, args.b3, seed=7)
    data = get_dataset(protocol.dataset, val_size=protocol.val_size, split_seed=protocol.split_seed,
                       train_size=protocol.train_size)

    start = time.perf_counter()
    for cell in cells:
        naive_train(cell, protocol, data, seed=0)
    naive_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as out:
        plan = Plan("throughput", lambda: iter(cells), {1: len(cells)}, {0: (0,)})
        start = time.perf_counter()
        build(plan, protocol, out, RunnerConfig(workers=args.workers), progress=False, shard_size=64)
        ours_s = time.perf_counter() - start
        runs = pd.read_parquet(f"{out}/runs.parquet", columns=["train_seconds", "eval_seconds"])
    # the builder's time spent inside train(), spread over its workers: what a long build
    # (thousands of models, start-up and compaction amortised) converges to
    steady_s = float((runs.train_seconds + runs.eval_seconds).sum()) / args.workers

    n = len(cells)
    print(f"cells: {args.b1} B1 + {args.b3} B3, protocol {args.protocol}, {os.cpu_count()} cores, "
          f"torch threads by default: {torch.get_num_threads()}")
    print(f"naive per-model loop : {n} models in {naive_s:7.1f}s = {3600 * n / naive_s:8.0f} models/hour")
    print(f"nasbench builder     : {n} models in {ours_s:7.1f}s = {3600 * n / ours_s:8.0f} models/hour "
          f"({args.workers} workers, incl. start-up and table compaction)")
    print(f"ratio                : {naive_s / ours_s:.2f}x")
    print(f"  overhead (start-up, idle tail, compaction): {ours_s - steady_s:.1f}s of {ours_s:.1f}s; without it "
          f"(training time / workers = {steady_s:.1f}s) the ratio is {naive_s / steady_s:.2f}x")


if __name__ == "__main__":
    main()
