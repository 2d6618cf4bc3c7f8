"""`Oracle`: replay a search against a table, with a simulated clock.

``evaluate(arch)`` returns the recorded metrics of the arch under the seed policy and
advances ``elapsed`` by the recorded training seconds; every call is charged (searches
that want a cache keep one). Seed policies: ``'mean'`` (mean over the arch's usable
seeds, see :mod:`benchmark`), ``'random'`` (one usable seed drawn from ``rng`` per call),
or an int (that seed). With ``epochs=E`` below the table's epochs the metrics come from
epoch E of the curve and the charge is the sum of ``epoch_seconds`` of epochs 1..E (or
``train_seconds * E / epochs`` where that sum is not finite).

Cells missing from the table follow ``miss``: ``'error'`` (NotInTableError naming the
arch), ``'restrict'`` (the caller's space is the table: use :meth:`candidates` and
:meth:`sample`; anything else raises), ``'surrogate'`` (``surrogate.predict_metrics(cells)``
answers with keys val_acc, test_acc, train_seconds [, val_loss, params, flops];
``predicted=True``; with epochs=E the predicted final metrics are returned and the
seconds scaled by E / epochs).

Determinism: a fresh Oracle with the same rng seed replays the same calls identically;
``reset()`` clears the clock and log but does not rewind ``rng``.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from nasbench.tables.benchmark import Benchmark
from nasbench.tables.schema import NotInTableError

SEED_POLICIES = ("mean", "random")
MISS_POLICIES = ("error", "restrict", "surrogate")


@dataclass(frozen=True)
class Evaluation:
    """One replayed (or predicted) evaluation; ``seed`` is None for the seed mean."""

    arch: str
    arch_hash: str
    num_blocks: int
    seed: int | None
    epochs: int
    val_acc: float
    test_acc: float
    val_loss: float
    train_seconds: float
    params: int | None
    flops: int | None
    predicted: bool
    elapsed: float  # the simulated clock after this evaluation


class Oracle:
    """Answer ``evaluate(arch)`` from a table and keep a simulated clock."""

    def __init__(self, bench_or_path: Benchmark | str | os.PathLike, seed_policy="mean",
                 rng=None, miss: str = "error", surrogate=None):
        self.bench = (bench_or_path if isinstance(bench_or_path, Benchmark)
                      else Benchmark.open(bench_or_path))
        if not (seed_policy in SEED_POLICIES
                or (isinstance(seed_policy, (int, np.integer)) and not isinstance(seed_policy, bool))):
            raise ValueError(f"seed_policy must be 'mean', 'random' or an int, got {seed_policy!r}")
        if isinstance(seed_policy, (int, np.integer)) and int(seed_policy) not in self.bench.seeds:
            raise ValueError(f"seed {seed_policy} is not in table {self.bench.path} "
                             f"(seeds: {self.bench.seeds})")
        if seed_policy == "random" and rng is None:
            raise ValueError("seed_policy='random' needs rng (a numpy Generator or an int seed)")
        if miss not in MISS_POLICIES:
            raise ValueError(f"miss must be one of {', '.join(MISS_POLICIES)}, got {miss!r}")
        if miss == "surrogate" and not callable(getattr(surrogate, "predict_metrics", None)):
            raise ValueError("miss='surrogate' needs a surrogate with predict_metrics(cells)")
        if miss != "surrogate" and surrogate is not None:
            raise ValueError("a surrogate is only used with miss='surrogate'")
        self.seed_policy = seed_policy
        self.rng = None if rng is None else np.random.default_rng(rng)
        self.miss = miss
        self.surrogate = surrogate
        self.reset()

    def reset(self) -> None:
        """Zero the clock and clear the log (the rng is not rewound)."""
        self.elapsed = 0.0
        self.log: list[Evaluation] = []

    @property
    def n_evaluated(self) -> int:
        return len(self.log)

    # ------------------------------------------------------------------ the space
    def candidates(self, num_blocks: int | None = None) -> list[str]:
        """Canonical strings of the table's cells (the whole space under ``restrict``)."""
        return self.bench.archs(num_blocks)

    def sample(self, num_blocks: int, n: int, rng=None) -> list:
        """``n`` cells drawn uniformly (with replacement) from the table's cells of
        ``num_blocks`` blocks, from ``rng`` or else the Oracle's own rng."""
        from nasbench.space import parse_arch

        rng = self.rng if rng is None else np.random.default_rng(rng)
        if rng is None:
            raise ValueError("sample needs rng (a numpy Generator or an int seed)")
        pool = self.candidates(num_blocks)
        if not pool:
            raise ValueError(f"table {self.bench.path} has no cells with {num_blocks} blocks")
        return [parse_arch(pool[i], self.bench.space) for i in rng.integers(len(pool), size=n)]

    # ------------------------------------------------------------------ evaluate
    def evaluate(self, arch, epochs: int | None = None) -> Evaluation:
        """Recorded (or, under ``surrogate``, predicted) metrics; advances the clock."""
        total = self.bench.epochs
        if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer))
                                   or not 1 <= epochs <= total):
            raise ValueError(f"epochs must be in 1..{total}, got {epochs!r}")
        epochs = total if epochs is None else int(epochs)
        if self.bench.contains(arch):
            values = self._recorded(arch, epochs, total)
        elif self.miss == "surrogate":
            values = self._predicted(arch, epochs, total)
        else:
            try:
                self.bench.query(arch)  # raises NotInTableError naming the arch
            except NotInTableError as exc:
                if self.miss == "restrict":
                    raise NotInTableError(f"{exc}; this Oracle is restricted to the table's "
                                          "cells (see candidates())") from None
                raise
        self.elapsed += values["train_seconds"]
        result = Evaluation(epochs=epochs, elapsed=self.elapsed, **values)
        self.log.append(result)
        return result

    def _recorded(self, arch, epochs: int, total: int) -> dict:
        policy = self.seed_policy
        seed = None if policy in SEED_POLICIES else int(policy)
        rng = self.rng if policy == "random" else None
        final = self.bench.query(arch, seed=seed, rng=rng)
        if policy == "random":
            seed = final["seed"]
        values = final
        seconds = final["train_seconds"]
        if epochs < total:
            values = self.bench.query(arch, seed=seed, epoch=epochs)
            seconds = self._partial_seconds(arch, seed, final, epochs, total)
        return dict(arch=final["arch"], arch_hash=final["arch_hash"],
                    num_blocks=final["num_blocks"], seed=seed, val_acc=values["val_acc"],
                    test_acc=values["test_acc"], val_loss=values["val_loss"],
                    train_seconds=float(seconds), params=final["params"],
                    flops=final["flops"], predicted=False)

    def _partial_seconds(self, arch, seed, final: dict, epochs: int, total: int) -> float:
        """Seconds of epochs 1..E: summed epoch_seconds (averaged like the metrics)."""
        curve = self.bench.curves(arch, seed)
        if seed is None:
            curve = curve[curve["seed"].isin(final["seeds"])]
        upto = curve[curve["epoch"] <= epochs].groupby("seed")["epoch_seconds"].sum()
        seconds = float(upto.mean()) if len(upto) else math.nan
        return seconds if math.isfinite(seconds) else final["train_seconds"] * epochs / total

    def _predicted(self, arch, epochs: int, total: int) -> dict:
        from nasbench.space import parse_arch

        cell = parse_arch(arch, self.bench.space)
        pred = self.surrogate.predict_metrics([cell])
        try:
            one = {k: float(np.asarray(pred[k]).reshape(-1)[0])
                   for k in ("val_acc", "test_acc", "train_seconds")}
        except KeyError as exc:
            raise ValueError(f"surrogate.predict_metrics lacks {exc.args[0]!r}") from None
        extra = {k: np.asarray(pred[k]).reshape(-1)[0] for k in ("val_loss", "params", "flops")
                 if k in pred}
        return dict(arch=cell.canonical_string, arch_hash=cell.arch_hash,
                    num_blocks=cell.num_blocks, seed=None, val_acc=one["val_acc"],
                    test_acc=one["test_acc"], val_loss=float(extra.get("val_loss", math.nan)),
                    train_seconds=one["train_seconds"] * epochs / total,
                    params=int(extra["params"]) if "params" in extra else None,
                    flops=int(extra["flops"]) if "flops" in extra else None, predicted=True)
