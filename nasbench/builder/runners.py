"""Backends that run training tasks: a local process pool and Ray. Both stream results.

Every worker trains with one thread on CPU (a pool of processes fills the cores) or on one
GPU; a task that raises becomes a ``failed`` result instead of killing the build.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import traceback
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Iterable, Iterator

from nasbench.builder.plan import Task
from nasbench.builder.protocol import Protocol
from nasbench.builder.train import TrainResult, train
from nasbench.stop import watch_parent
from nasbench.tables.schema import RUN_METRICS

_WORKER_DEVICE = "cpu"  # set once per worker process by _init_worker


@dataclass(frozen=True)
class RunnerConfig:
    """Where and how tasks run (device-specific; never part of the protocol hash)."""

    backend: str = "local"
    workers: int | None = None
    device: str = "cpu"
    models_per_gpu: int = 1
    ray_address: str | None = None
    max_retries: int = 3
    data_dir: str | None = None
    compile: bool = False  # torch.compile the training step (see builder.train)
    graphs: bool = False  # CUDA-graph training step (builder.graphs); its eager twin off CUDA


def failed_result(task: Task, protocol: Protocol, error: str) -> TrainResult:
    """A row for a task whose training raised (status ``failed``, metrics NaN)."""
    nan = float("nan")
    run = {
        "arch": task.arch, "arch_hash": task.arch_hash, "space": task.space, "num_blocks": task.num_blocks,
        "dataset": protocol.dataset, "protocol_hash": protocol.protocol_hash, "seed": task.seed,
        "epochs": protocol.epochs, "params": 0, "flops": 0, **{name: nan for name in RUN_METRICS},
        "best_val_epoch": 0, "train_seconds": 0.0, "eval_seconds": 0.0, "device": "", "status": "failed",
        "error": error[-2000:],
    }
    return TrainResult(run=run, curves=[])


def run_task(task: Task, protocol_json: str, device: str, data_dir: str | None,
             compile: bool = False, graphs: bool = False) -> TrainResult:
    """Train one task; exceptions become a failed result carrying the traceback's tail."""
    protocol = Protocol.from_json(protocol_json)
    try:
        return train(task.arch, protocol, task.seed, device=device, data_dir=data_dir, compile=compile,
                     graphs=graphs)
    except Exception:  # noqa: BLE001 - recorded in the table, the build goes on
        return failed_result(task, protocol, traceback.format_exc())


def visible_gpus(device: str) -> list[str]:
    """The GPUs ``device`` names: every CUDA device for ``cuda``, one for ``cuda:N``."""
    import torch

    if not torch.cuda.is_available():
        raise ValueError(f"--device {device} asked for, but torch sees no CUDA device")
    count = torch.cuda.device_count()
    if device == "cuda":
        return [f"cuda:{i}" for i in range(count)]
    index = device.partition(":")[2]
    if not index.isdigit() or int(index) >= count:
        raise ValueError(f"--device {device}: torch sees {count} CUDA device(s) (cuda:0..cuda:{count - 1})")
    return [device]


def gpu_slots(gpus: list[str], per_gpu: int) -> list[str]:
    """One entry per worker: ``per_gpu`` workers on each GPU, spread round-robin so that the
    first workers to start land on different GPUs."""
    return [g for _ in range(per_gpu) for g in gpus]


def _devices(config: RunnerConfig, gpus: list[str] | None = None) -> list[str]:
    """The device of each worker. ``gpus`` replaces the visible GPUs (tests run the GPU path
    with ``["cpu"]``)."""
    if config.device.startswith("cuda") or gpus is not None:
        return gpu_slots(gpus if gpus is not None else visible_gpus(config.device), config.models_per_gpu)
    if config.device != "cpu":
        raise ValueError(f"device must be cpu, cuda or cuda:N, got {config.device!r}")
    return ["cpu"] * (config.workers or os.cpu_count() or 1)


def bind_device(device: str) -> None:
    """Make ``device`` this process's current device (CUDA allocations, graphs, streams)."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.set_device(device)


def _init_worker(queue, parent: int) -> None:
    global _WORKER_DEVICE
    for signum in (signal.SIGINT, signal.SIGHUP):  # the parent handles them and stops us
        signal.signal(signum, signal.SIG_IGN)
    watch_parent(parent)  # a parent killed outright takes its workers with it
    _WORKER_DEVICE = queue.get()
    bind_device(_WORKER_DEVICE)


def _pool_task(args) -> TrainResult:
    task, protocol_json, data_dir, compile, graphs = args  # one tuple: the executor pickles it once
    return run_task(task, protocol_json, _WORKER_DEVICE, data_dir, compile, graphs)


class LocalRunner:
    """A spawn-context process pool: one worker per core (CPU) or per GPU slot.

    A worker that dies (OOM kill, segfault) breaks the pool: the pool is restarted and the
    tasks that were in flight are queued again, each up to ``max_retries`` times, after
    which it becomes a ``failed`` row — the build never hangs on a lost task.
    """

    def __init__(self, config: RunnerConfig, gpus: list[str] | None = None):
        self.config = config
        self.devices = _devices(config, gpus)
        self.executor: ProcessPoolExecutor | None = None  # the live pool (gpu_check kills a worker)

    def _start(self, ctx) -> ProcessPoolExecutor:
        queue = ctx.Queue()
        for device in self.devices:
            queue.put(device)
        return ProcessPoolExecutor(len(self.devices), mp_context=ctx, initializer=_init_worker,
                                   initargs=(queue, os.getpid()))

    @staticmethod
    def _stop(executor: ProcessPoolExecutor) -> None:
        for process in list((executor._processes or {}).values()):  # no public API to kill workers
            process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)

    def run(self, tasks: Iterable[Task], protocol: Protocol) -> Iterator[TrainResult]:
        ctx = mp.get_context("spawn")
        args = (protocol.to_json(), self.config.data_dir, self.config.compile, self.config.graphs)
        stream, retry = iter(tasks), deque()
        pending: dict = {}
        deaths: dict[tuple[str, int], int] = {}
        executor = self.executor = self._start(ctx)
        try:
            while True:
                broken = False
                while len(pending) < 2 * len(self.devices):
                    task = retry.popleft() if retry else next(stream, None)
                    if task is None:
                        break
                    try:
                        pending[executor.submit(_pool_task, (task, *args))] = task
                    except BrokenProcessPool:  # a worker died since the last wait
                        retry.appendleft(task)
                        broken = True
                        break
                if not pending and not broken:
                    return
                lost = []
                if pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        task = pending.pop(future)
                        try:
                            yield future.result()
                        except BrokenProcessPool:
                            broken = True
                            lost.append(task)
                if broken:  # every task still in flight died with the pool
                    lost += pending.values()
                    pending.clear()
                    self._stop(executor)
                    executor = self.executor = self._start(ctx)
                    for task in lost:
                        deaths[task.key] = deaths.get(task.key, 0) + 1
                        if deaths[task.key] > self.config.max_retries:
                            yield failed_result(task, protocol, "worker process died "
                                                f"{deaths[task.key]} times running this task")
                        else:
                            retry.append(task)
        finally:
            self._stop(executor)


class RayRunner:
    """Ray tasks (existing cluster with ``ray_address``, else a local ``ray.init``).

    Each task declares ``num_cpus=1`` or a GPU fraction; a worker that dies has its task
    retried up to ``max_retries`` times by Ray.
    """

    def __init__(self, config: RunnerConfig):
        try:
            import ray
        except ImportError:
            raise ValueError('the ray backend needs Ray: pip install -e ".[ray]"') from None
        self.ray = ray
        self.config = config

    def run(self, tasks: Iterable[Task], protocol: Protocol) -> Iterator[TrainResult]:
        ray = self.ray
        started_here = not ray.is_initialized()
        if started_here:
            kwargs = {"address": self.config.ray_address} if self.config.ray_address else {
                "num_cpus": self.config.workers or os.cpu_count()}
            ray.init(include_dashboard=False, log_to_driver=False, **kwargs)
        gpu = self.config.device.startswith("cuda")
        remote = ray.remote(
            num_cpus=1, num_gpus=(1 / self.config.models_per_gpu) if gpu else 0,
            max_retries=self.config.max_retries, retry_exceptions=False,
        )(run_task)
        device = "cuda" if gpu else "cpu"
        in_flight_limit = 2 * int(ray.cluster_resources().get("GPU" if gpu else "CPU", 1) *
                                  (self.config.models_per_gpu if gpu else 1))
        pending: dict = {}
        protocol_json = protocol.to_json()

        def collect(block: bool):
            ready, _ = ray.wait(list(pending), num_returns=1 if block else len(pending), timeout=None if block else 0)
            for ref in ready:
                task = pending.pop(ref)
                try:
                    yield ray.get(ref)
                except ray.exceptions.RayError as exc:  # the worker died more often than max_retries
                    yield failed_result(task, protocol, f"{type(exc).__name__}: {exc}")

        try:
            for task in tasks:
                pending[remote.remote(task, protocol_json, device, self.config.data_dir,
                                      self.config.compile, self.config.graphs)] = task
                while len(pending) >= max(1, in_flight_limit):
                    yield from collect(block=True)
            while pending:
                yield from collect(block=True)
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
            if started_here:
                ray.shutdown()


RUNNERS = {"local": LocalRunner, "ray": RayRunner}


def make_runner(config: RunnerConfig):
    try:
        return RUNNERS[config.backend](config)
    except KeyError:
        raise ValueError(f"unknown backend {config.backend!r}; known: {', '.join(RUNNERS)}") from None
