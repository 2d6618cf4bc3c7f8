"""Train one cell under one protocol with one seed: the unit of work of every table.

The loop reads top to bottom: build the net from the seed, then per epoch shuffle, augment
on the device, SGD steps with a per-step warmup+cosine learning rate, recompute BN
statistics, evaluate val and test. The whole dataset lives as tensors on the device (no
DataLoader), so the job costs what the network costs. It runs channels_last everywhere (on
CPU that is oneDNN's fast path for the depthwise convs of separable ops). On CPU it uses one
thread (a pool of processes fills the cores) and is bit-for-bit deterministic for a fixed
(cell, protocol, seed); on CUDA it runs under bf16 autocast when the protocol asks for bf16.
A NaN/inf loss ends the run early with status ``diverged``; it does not raise. A finished run
that exploded in epoch 1 or ended near chance gets status ``collapsed`` (rule in
:mod:`nasbench.tables.signal`). Val and test are evaluated on the protocol's schedule;
skipped epochs are NaN in the curves.

``compile=True`` runs the training forward/backward through ``torch.compile`` (evaluation
stays eager: its batch shapes vary). It is off by default: every distinct cell compiles
anew, which costs more than a short protocol trains, and compiled numerics are not bit-equal
to eager ones. If compilation fails, the run falls back to eager and warns.
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import torch
import torch.nn.functional as F

from nasbench.builder.protocol import Protocol
from nasbench.model import build_network, complexity
from nasbench.space import parse_arch
from nasbench.tables.schema import ACC_COLUMNS, LOSS_COLUMNS
from nasbench.tables.signal import collapse_reason


#: Batch size of evaluation and BN recalibration: fixed, so results never depend on the device.
EVAL_BATCH = 500


@dataclass
class TrainResult:
    """One run: the final row of ``runs.parquet`` and the per-epoch rows of ``curves.parquet``."""

    run: dict
    curves: list[dict] = field(default_factory=list)
    #: How the run was trained (device, torch version, precision, graphs): see training_setup.
    setup: dict = field(default_factory=dict)


@lru_cache(maxsize=4)
def load_data(protocol_key: tuple, data_dir: str | None, device: str):
    """The protocol's dataset splits on ``device``, cached per process."""
    from nasbench.data import get_dataset

    dataset, val_size, split_seed, train_size, resolution = protocol_key
    data = get_dataset(dataset, data_dir, val_size=val_size, split_seed=split_seed, train_size=train_size)
    return data.pooled(resolution).to(device)


def data_for(protocol: Protocol, data_dir: str | None = None, device: str = "cpu"):
    key = (protocol.dataset, protocol.val_size, protocol.split_seed, protocol.train_size, protocol.resolution)
    return load_data(key, data_dir, str(device))


def lr_at(step: int, total_steps: int, warmup_steps: int, base_lr: float) -> float:
    """Linear warmup to ``base_lr`` then cosine decay to zero, evaluated per step."""
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return 0.5 * base_lr * (1 + math.cos(math.pi * progress))


def augment(x: torch.Tensor, shift: int, flip: bool, gen: torch.Generator) -> torch.Tensor:
    """Random shifts of up to ``shift`` pixels (zero padded) and optional flips, batched."""
    n, _, h, w = x.shape
    if shift > 0:
        padded = F.pad(x, (shift, shift, shift, shift))
        dy = torch.randint(0, 2 * shift + 1, (n,), generator=gen, device=gen.device).to(x.device)
        dx = torch.randint(0, 2 * shift + 1, (n,), generator=gen, device=gen.device).to(x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
        batch = torch.arange(n, device=x.device)[:, None, None, None]
        chans = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
        x = padded[batch, chans, rows, cols]
    if flip:
        mask = torch.rand(n, generator=gen, device=gen.device).to(x.device) < 0.5
        x = torch.where(mask[:, None, None, None], x.flip(3), x)
    return x


@torch.no_grad()
def recalibrate_bn(model: torch.nn.Module, x: torch.Tensor, batch_size: int) -> None:
    """Replace BN running statistics by exact averages over ``x`` (train-mode forward)."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns or len(x) == 0:
        return
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average = exact mean over the batches
    model.train()
    for i in range(0, len(x), batch_size):
        model(x[i:i + batch_size])
    for m, momentum in zip(bns, saved):
        m.momentum = momentum


@torch.no_grad()
def evaluate(model, x, y, batch_size: int, autocast) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` in eval mode."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(x), batch_size):
        with autocast():
            logits = model(x[i:i + batch_size]).float()
        loss_sum += F.cross_entropy(logits, y[i:i + batch_size], reduction="sum").item()
        correct += (logits.argmax(1) == y[i:i + batch_size]).sum().item()
    return loss_sum / len(x), correct / len(x)


class CompiledStep:
    """``model`` for the training forward, through ``torch.compile`` when asked; on the first
    compile error it warns and stays eager for the rest of the run."""

    def __init__(self, model: torch.nn.Module, enabled: bool):
        self.model = model
        self.compiled = torch.compile(model) if enabled else None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.compiled is not None:
            try:
                return self.compiled(x)
            except Exception as exc:  # noqa: BLE001 - any backend failure: train eagerly
                warnings.warn(f"torch.compile failed ({type(exc).__name__}: {str(exc)[:200]}); "
                              "training eagerly", RuntimeWarning, stacklevel=2)
                self.compiled = None
        return self.model(x)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return device.type


@lru_cache(maxsize=1)
def cpu_kernels() -> str:
    """The CPU model and the kernel level torch dispatches to on it (e.g. AVX512). CPU rows
    are bit-for-bit reproducible only where this, the torch build and the device agree:
    oneDNN and ATen choose different kernels (other rounding) on other instruction sets."""
    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    import platform

    return f"{model or platform.processor() or platform.machine()} / {torch.backends.cpu.get_cpu_capability()}"


def training_setup(device: torch.device, use_bf16: bool, graphs: bool) -> dict:
    """What a row's numbers depend on beyond the protocol: recorded per run (build metadata)."""
    return {"device": device_name(device), "cpu": cpu_kernels(), "torch_version": torch.__version__,
            "precision": "bf16" if use_bf16 else "fp32", "graphs": bool(graphs)}


def train(cell, protocol: Protocol, seed: int, device: str = "cpu",
          data_dir: str | None = None, compile: bool = False, graphs: bool = False) -> TrainResult:
    """Train ``cell`` (an arch string or genotype of any space) under ``protocol`` with ``seed``
    on ``device`` (``compile``: see the module docstring; ``graphs``: the step of
    :mod:`nasbench.builder.graphs`, captured on CUDA, its eager twin elsewhere); never raises
    on divergence.

    Leaves no trace in the caller's process (a live search trains in-process): torch's
    thread count and global RNG states (CPU, and the CUDA device trained on) are restored."""
    dev = torch.device(device)
    gpus = [torch.cuda.current_device() if dev.index is None else dev.index] if dev.type == "cuda" else []
    threads = torch.get_num_threads()
    try:
        with torch.random.fork_rng(devices=gpus):
            return _train(cell, protocol, seed, dev, data_dir, compile, graphs)
    finally:
        torch.set_num_threads(threads)


def _train(cell, protocol: Protocol, seed: int, device: torch.device, data_dir: str | None,
           compile: bool, graphs: bool) -> TrainResult:
    cell = parse_arch(cell).canonical()
    if device.type == "cpu":
        torch.set_num_threads(1)
    on_cuda = device.type == "cuda"
    use_bf16 = on_cuda and protocol.precision == "bf16"

    def autocast():
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_bf16)

    data = data_for(protocol, data_dir, str(device))
    memory_format = torch.channels_last  # also on CPU: oneDNN's depthwise convs are ~2.5x faster
    train_x = data.train_x.contiguous(memory_format=memory_format)

    # --- model: initialised from the seed alone
    torch.manual_seed(seed)
    config = protocol.macro_config(num_classes=data.num_classes, in_channels=data.input_shape[0])
    model = build_network(cell, config)
    stats = complexity(model, data.input_shape)
    model = model.to(device, memory_format=memory_format)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.SGD(
        [{"params": decay, "weight_decay": protocol.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=protocol.lr, momentum=protocol.momentum, nesterov=protocol.nesterov,
    )
    step_model = CompiledStep(model, compile)
    stepper = None
    if graphs:
        from nasbench.builder.graphs import TrainStep

        if compile:
            raise ValueError("choose compile or graphs, not both")
        stepper = TrainStep(model, optimizer, label_smoothing=protocol.label_smoothing,
                            use_bf16=use_bf16, capture=on_cuda)
    gen = torch.Generator(device=device).manual_seed(seed)
    flip = protocol.augment == "shift+flip" and data.flip_ok
    shift = protocol.shift if protocol.augment != "none" else 0

    n_train = len(train_x)
    steps_per_epoch = max(1, n_train // protocol.batch_size)
    total_steps = steps_per_epoch * protocol.epochs
    warmup_steps = protocol.warmup_epochs * steps_per_epoch
    eval_bs = EVAL_BATCH

    curves: list[dict] = []
    status, error = "ok", None
    train_seconds = eval_seconds = 0.0
    step = 0
    for epoch in range(1, protocol.epochs + 1):
        # --- train one epoch
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n_train, generator=gen, device=device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        seen = 0
        for b in range(steps_per_epoch):
            idx = order[b * protocol.batch_size:(b + 1) * protocol.batch_size]
            x = augment(train_x[idx], shift, flip, gen)
            y = data.train_y[idx]
            lr = lr_at(step, total_steps, warmup_steps, protocol.lr)
            if stepper is not None:
                loss, logits = stepper(x, y, lr)
            else:
                for group in optimizer.param_groups:
                    group["lr"] = lr
                with autocast():
                    logits = step_model(x)
                    loss = F.cross_entropy(logits.float(), y, label_smoothing=protocol.label_smoothing)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            loss_sum += loss.detach() * len(y)
            correct += (logits.detach().argmax(1) == y).sum()
            seen += len(y)
            step += 1
        train_loss = (loss_sum / seen).item()
        train_acc = correct.item() / seen
        epoch_train = time.perf_counter() - start
        train_seconds += epoch_train
        # --- evaluate (on the protocol's schedule; a diverged epoch is always evaluated)
        start = time.perf_counter()
        diverged = not math.isfinite(train_loss)
        val_loss = val_acc = test_loss = test_acc = math.nan
        if protocol.evaluates_val(epoch) or diverged:
            if protocol.bn_recalibration and not diverged:
                recalibrate_bn(model, train_x[: protocol.bn_recalibration], eval_bs)
            val_loss, val_acc = evaluate(model, data.val_x, data.val_y, eval_bs, autocast)
            if protocol.evaluates_test(epoch) or diverged:
                test_loss, test_acc = evaluate(model, data.test_x, data.test_y, eval_bs, autocast)
        eval_seconds += time.perf_counter() - start
        curves.append({
            "arch_hash": cell.arch_hash, "seed": seed, "epoch": epoch, "lr": lr,
            "train_loss": train_loss, "train_acc": train_acc, "val_loss": val_loss,
            "val_acc": val_acc, "test_loss": test_loss, "test_acc": test_acc,
            "epoch_seconds": epoch_train,
        })
        if diverged or (protocol.evaluates_val(epoch) and not math.isfinite(val_loss)):
            status, error = "diverged", f"non-finite loss at epoch {epoch}"
            break

    last = curves[-1]
    best = max((r for r in curves if math.isfinite(r["val_acc"])), key=lambda r: (r["val_acc"], -r["epoch"]),
               default=last)
    if status == "ok":
        reason = collapse_reason(curves[0]["train_loss"], last["val_acc"], best["val_acc"], data.num_classes)
        if reason:
            status, error = "collapsed", reason
    run = {
        "arch": cell.canonical_string, "arch_hash": cell.arch_hash, "space": cell.space,
        "num_blocks": cell.num_blocks, "dataset": protocol.dataset,
        "protocol_hash": protocol.protocol_hash, "seed": seed, "epochs": protocol.epochs,
        "params": stats["params"], "flops": stats["flops"],
        **{k: last[k] for k in ACC_COLUMNS + LOSS_COLUMNS},
        "best_val_acc": best["val_acc"], "best_val_epoch": best["epoch"],
        "train_seconds": train_seconds, "eval_seconds": eval_seconds,
        "device": device_name(device), "status": status, "error": error,
    }
    setup = training_setup(device, use_bf16, stepper is not None and stepper.captured)
    return TrainResult(run=run, curves=curves, setup=setup)
