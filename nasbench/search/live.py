"""``LiveEvaluator``: train cells for real with the builder, caching every result in a
builder folder (see :mod:`nasbench.search.evaluators` for the contract)."""
from __future__ import annotations

import math
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from nasbench.search.trajectory import EvalResult
from nasbench.space import get_space, parse_arch


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr)


class LiveEvaluator:
    """Train cells for real (``protocol``: a Protocol or a preset name / JSON path) and
    cache every result in ``out_dir`` (a builder folder: shards + compacted table).

    Holds ``out_dir``'s build lock until :meth:`close`; use it as a context manager. The
    clock is wall-clock seconds since construction (or :meth:`reset`). ``n_trained`` counts
    models trained by this evaluator, ``n_cached`` the answers served from ``out_dir``.
    ``space`` names the design space searched (arch strings are parsed in it)."""

    restricted = False

    def __init__(self, protocol, out_dir, device: str = "cpu", seed: int = 0,
                 data_dir: str | None = None, report=_stderr, command: str | None = None,
                 space: str = "pnas"):
        from nasbench.builder.build import build_lock, latest_results, prepare_out
        from nasbench.builder.protocol import Protocol, get_protocol
        from nasbench.builder.shards import ShardStore
        from nasbench.tables.schema import FINISHED_STATUSES

        self.protocol = protocol if isinstance(protocol, Protocol) else get_protocol(protocol)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")
        self.seed, self.device, self.data_dir = int(seed), device, data_dir
        self.space = get_space(space).name
        self.report, self.command = report, command
        self.out = prepare_out(out_dir, self.protocol)
        self._stack = ExitStack()
        self._stack.enter_context(build_lock(self.out))
        self.store = ShardStore(self.out)
        self._done = FINISHED_STATUSES
        self.cache = {k: r for k, r in latest_results(self.store, report=report).items()
                      if r.run["status"] in FINISHED_STATUSES}
        self.n_trained = self.n_cached = 0
        self.closed = False
        self.reset()

    def reset(self) -> None:
        self._t0 = time.monotonic()
        self.n_evaluated = 0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def candidates(self, num_blocks):
        return None

    def evaluate(self, arch) -> EvalResult:
        from nasbench.builder.plan import Task
        from nasbench.builder.runners import run_task

        if self.closed:
            raise ValueError("this LiveEvaluator is closed")
        cell = parse_arch(arch, self.space).canonical()
        key = (cell.arch_hash, self.seed)
        result = self.cache.get(key)
        if result is None:
            task = Task(cell.canonical_string, cell.arch_hash, cell.num_blocks, self.seed)
            result = run_task(task, self.protocol.to_json(), self.device, self.data_dir)
            self.store.write([result])  # on disk before anyone sees it
            self.n_trained += 1
            if result.run["status"] in self._done:
                self.cache[key] = result
        else:
            self.n_cached += 1
        self.n_evaluated += 1
        run = result.run
        nan = lambda x: math.nan if x is None else float(x)  # noqa: E731
        return EvalResult(cell.canonical_string, cell.num_blocks, nan(run["val_acc"]),
                          nan(run["test_acc"]), nan(run["train_seconds"]), False)

    def close(self) -> Path | None:
        """Compact ``out_dir`` into its table and release the lock (idempotent)."""
        if self.closed:
            return None
        self.closed = True
        try:
            from nasbench.builder.build import compact

            return compact(self.out, self.protocol, self.command, self.device, report=self.report)
        finally:
            self._stack.close()

    def __enter__(self) -> "LiveEvaluator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
