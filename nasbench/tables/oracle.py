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

Fast path: a table hit given as a string the table stores (its canonical form, or its
arch_hash) at the table's full epochs is answered from per-arch tuples built once on the
first such call (:class:`_Hits`, a few microseconds a call instead of ~200-300 us of parsing,
resolving and dict building). The tuples are exact copies of what the slow path computes
(seed means by the same ``np.mean``, the same rng draw), so the results, the clock and the
log are identical; ``fast=False`` turns it off. Everything else takes the slow path.

Determinism: a fresh Oracle with the same rng seed replays the same calls identically;
``reset()`` clears the clock and log but does not rewind ``rng``.
"""
from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

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
                 rng=None, miss: str = "error", surrogate=None, fast: bool = True):
        self.bench = Benchmark.open(bench_or_path)
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
        self.fast = fast
        self._hits: _Hits | None = None  # built on the first fast-path call
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
        if self.fast and epochs == total and isinstance(arch, str):
            answer = self._hit(arch)
            if answer is not None:
                return self._charge(*answer, epochs)
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

    def _hit(self, arch: str) -> tuple | None:
        """(ident, answer) of a stored string at full epochs, or None (take the slow path)."""
        if self._hits is None:
            self._hits = _Hits.build(self.bench, self.seed_policy)
        hits = self._hits
        a = hits.key.get(arch)
        if a is None:
            return None
        if hits.draws is not None:  # 'random': the slow path's draw, from the same rng
            starts, counts = hits.draws
            return hits.ident[a], hits.answers[starts[a] + int(self.rng.integers(counts[a]))]
        answer = hits.answers[a]  # None: no run of the policy's seed (the slow path raises)
        return None if answer is None else (hits.ident[a], answer)

    def _charge(self, ident: tuple, answer: tuple, epochs: int) -> Evaluation:
        seed, val_acc, test_acc, val_loss, seconds, params, flops = answer
        self.elapsed += seconds
        result = Evaluation(*ident, seed, epochs, val_acc, test_acc, val_loss, seconds,
                            params, flops, False, self.elapsed)
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


#: Run columns of an answer tuple after its seed (what an Evaluation reports of a run).
_ANSWER = ("val_acc", "test_acc", "val_loss", "train_seconds")


@dataclass(frozen=True)
class _Hits:
    """The fast path's answers for one (table, seed policy), in the table's arch order.

    ``key`` maps each stored canonical string and arch_hash to its arch number; ``ident``
    is (arch, arch_hash, num_blocks) of the arch's first run; an answer is (seed, val_acc,
    test_acc, val_loss, train_seconds, params, flops) as the slow path returns them. Built
    with whole-column numpy operations (no Python loop over archs but the tuple lists).
    """

    key: dict
    ident: list
    answers: list  # 'mean' / a seed: per arch (None: no run of that seed); 'random': usable runs
    draws: tuple[list, list] | None  # 'random': per arch, first usable answer and count

    @classmethod
    def build(cls, bench: Benchmark, policy) -> "_Hits":
        data = bench._r.data
        first = bench._arch_first
        archs = bench.archs()
        hashes = data["arch_hash"].take(pa.array(first, pa.int64())).to_pylist()
        key = dict(zip(archs, range(len(archs))))
        key.update(zip(hashes, range(len(hashes))))
        ident = list(zip(archs, hashes, data["num_blocks"][first].tolist()))
        usable = np.flatnonzero(bench.usable)
        counts = np.bincount(np.searchsorted(first, usable, side="right") - 1,
                             minlength=len(first))
        starts = np.cumsum(counts) - counts  # arch a's usable rows: usable[starts[a]:][:counts[a]]
        if policy == "mean":
            means = np.empty((len(first), len(_ANSWER)))
            for k in np.unique(counts).tolist():
                sel = np.flatnonzero(counts == k)
                rows = usable[starts[sel][:, None] + np.arange(k)]
                for j, name in enumerate(_ANSWER):  # (n, k) rows: bit-equal to 1-D np.mean
                    means[sel, j] = np.mean(data[name][rows], axis=1)
            cols = [means[:, j] for j in range(len(_ANSWER))] + [data["params"][first],
                                                                data["flops"][first]]
            return cls(key, ident, list(zip(itertools.repeat(None), *(c.tolist() for c in cols))),
                       None)
        if policy == "random":
            return cls(key, ident, _row_answers(data, usable), (starts.tolist(), counts.tolist()))
        rows = np.flatnonzero(data["seed"] == int(policy))
        answers: list = [None] * len(archs)
        for a, answer in zip((np.searchsorted(first, rows, side="right") - 1).tolist(),
                             _row_answers(data, rows)):
            answers[a] = answer
        return cls(key, ident, answers, None)


def _row_answers(data: dict, rows: np.ndarray) -> list:
    """Answer tuples of the given run rows, with the slow path's Python types."""
    cols = [data["seed"]] + [data[m] for m in _ANSWER] + [data["params"], data["flops"]]
    return list(zip(*(c[rows].tolist() for c in cols)))
