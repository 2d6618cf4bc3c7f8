"""Evaluators: Replay (a table, simulated clock), Live (train with the builder), Synthetic.

``ReplayEvaluator`` answers table hits from numpy arrays precomputed once per (Benchmark,
seed policy) -- the same values the ``Oracle`` returns (seed mean over usable seeds, one
fixed seed, or one usable seed drawn from the Oracle's rng) at ~1 us per call instead of the
Oracle's ~100-200 us (it parses the arch and builds dicts per call). Misses, and every call
with ``fast=False``, go through ``Oracle.evaluate`` (so ``miss`` = error / restrict /
surrogate behaves exactly as documented there). Restricted evaluators also answer whole
row batches (:meth:`ReplayEvaluator.evaluate_rows`) for vectorised random search.

``LiveEvaluator`` trains each new cell with the builder's ``run_task`` and writes every
finished result at once as a shard of ``out_dir`` (crash-safe; Ctrl-C loses no finished
model); results already in ``out_dir``'s shards are reused, never retrained. ``close()``
(also on ``with`` exit) compacts ``out_dir`` into a table that ``ReplayEvaluator`` reads.
"""
from __future__ import annotations

import weakref

import numpy as np

from nasbench.search.base import EvalResult
from nasbench.space import parse_arch
from nasbench.tables.schema import HASH_PATTERN
from nasbench.tables.seeds import group_starts, seed_means, usable_runs


# ---------------------------------------------------------------------- replay
class _Index:
    """Per-arch arrays of one Benchmark under one seed policy."""

    def __init__(self, bench, policy):
        runs = bench.arrow_runs
        hashes = runs.column("arch_hash").to_numpy(zero_copy_only=False)
        n = len(hashes)
        first = group_starts(hashes)
        arch_of_row = np.cumsum(np.r_[True, hashes[1:] != hashes[:-1]]) - 1 if n else first
        col = lambda name: runs.column(name).to_numpy(zero_copy_only=False)  # noqa: E731
        self.archs: list[str] = col("arch")[first].tolist()
        self.hashes: list[str] = hashes[first].tolist()
        self.num_blocks = col("num_blocks")[first].astype(np.int64)
        self.key = {a: i for i, a in enumerate(self.archs)}
        self.key.update({h: i for i, h in enumerate(self.hashes)})
        usable = usable_runs(col("status") == "ok", first)
        metrics = {m: col(m).astype(np.float64) for m in ("val_acc", "test_acc", "train_seconds")}
        m = len(first)
        if policy == "mean":
            self.values = {k: seed_means(v, usable, first) for k, v in metrics.items()}
            self.has = np.ones(m, dtype=bool)
        elif policy == "random":  # usable rows of arch i: rows[lo[i]:hi[i]]
            self.rows = np.flatnonzero(usable)
            counts = np.add.reduceat(usable.astype(np.int64), first) if n else np.zeros(0, int)
            self.hi = np.cumsum(counts)
            self.lo = self.hi - counts
            self.row_values = metrics
            self.has = np.ones(m, dtype=bool)
            self.values = None
        else:
            sel = np.flatnonzero(col("seed") == int(policy))
            self.values = {k: np.full(m, np.nan) for k in metrics}
            for k, v in metrics.items():
                self.values[k][arch_of_row[sel]] = v[sel]
            self.has = np.zeros(m, dtype=bool)
            self.has[arch_of_row[sel]] = True
        self._by_blocks: dict[int, np.ndarray] = {}

    def rows_of(self, b: int) -> np.ndarray:
        if b not in self._by_blocks:
            self._by_blocks[b] = np.flatnonzero(self.num_blocks == b)
        return self._by_blocks[b]


_INDEXES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _index(bench, policy) -> _Index:
    per = _INDEXES.setdefault(bench, {})
    key = policy if isinstance(policy, str) else int(policy)
    if key not in per:
        per[key] = _Index(bench, key)
    return per[key]


class ReplayEvaluator:
    """Replay against a table: ``source`` is a table path, a Benchmark or an Oracle (then its
    seed_policy, rng, miss and surrogate are used and the other arguments must be left out).
    ``rng`` seeds ``seed_policy='random'``. The clock is this evaluator's own."""

    def __init__(self, source, seed_policy="mean", miss: str = "error", surrogate=None,
                 rng=None, fast: bool = True):
        from nasbench.tables import Oracle

        if isinstance(source, Oracle):
            self.oracle = source
        else:
            if miss == "surrogate" and surrogate is not None:
                check_fitted(surrogate)
            if seed_policy == "random" and rng is None:
                rng = 0
            self.oracle = Oracle(source, seed_policy=seed_policy, rng=rng, miss=miss,
                                 surrogate=surrogate)
        self.bench = self.oracle.bench
        self.seed_policy = self.oracle.seed_policy
        self.miss = self.oracle.miss
        self.restricted = self.miss == "restrict"
        self.fast = fast
        self._ix = _index(self.bench, self.seed_policy)
        self.reset()

    def reset(self) -> None:
        """Zero the clock and the evaluation count (a 'random' rng is not rewound)."""
        self.elapsed = 0.0
        self.n_evaluated = 0

    @property
    def num_blocks(self) -> list[int]:
        return self.bench.num_blocks

    @property
    def space(self) -> str:
        """The table's design space."""
        return self.bench.space

    # ------------------------------------------------------------------ the space
    def candidates(self, num_blocks: int) -> list[str]:
        """Canonical strings of the table's cells with ``num_blocks`` blocks (hash order)."""
        ix = self._ix
        return [ix.archs[i] for i in ix.rows_of(int(num_blocks))]

    def rows(self, num_blocks: int) -> np.ndarray:
        """Index rows of the table's cells with ``num_blocks`` blocks (same order)."""
        return self._ix.rows_of(int(num_blocks))

    def _row(self, arch) -> int | None:
        key = self._ix.key
        i = key.get(arch) if isinstance(arch, str) else None
        if i is None:
            i = key.get(arch.strip() if isinstance(arch, str) and HASH_PATTERN.match(arch.strip())
                        else parse_arch(arch, self.space).arch_hash)
        return i

    def contains(self, arch) -> bool:
        return self._row(arch) is not None

    # ------------------------------------------------------------------ evaluate
    def evaluate(self, arch) -> EvalResult:
        i = self._row(arch) if self.fast else None
        if i is None or not self._ix.has[i]:
            ev = self.oracle.evaluate(arch)  # misses: raises, or predicts under 'surrogate'
            self.elapsed += ev.train_seconds
            self.n_evaluated += 1
            return EvalResult(ev.arch, ev.num_blocks, ev.val_acc, ev.test_acc,
                              ev.train_seconds, ev.predicted)
        ix = self._ix
        if ix.values is None:  # seed_policy 'random': the Oracle's rng, the Oracle's draw
            rows = ix.rows[ix.lo[i]:ix.hi[i]]
            r = rows[self.oracle.rng.integers(len(rows))]
            val, test, secs = (float(ix.row_values[k][r]) for k in ("val_acc", "test_acc", "train_seconds"))
        else:
            v = ix.values
            val, test, secs = float(v["val_acc"][i]), float(v["test_acc"][i]), float(v["train_seconds"][i])
        self.elapsed += secs
        self.n_evaluated += 1
        return EvalResult(ix.archs[i], int(ix.num_blocks[i]), val, test, secs, False)

    @property
    def supports_rows(self) -> bool:
        """Whether :meth:`evaluate_rows` gives the same answers as :meth:`evaluate`."""
        return self.fast and self._ix.values is not None and bool(self._ix.has.all())

    def row_seconds(self, rows: np.ndarray) -> np.ndarray:
        return self._ix.values["train_seconds"][rows]

    def evaluate_rows(self, rows: np.ndarray) -> dict:
        """Evaluate index rows at once: arrays of val/test/seconds and the clock after each."""
        v = self._ix.values
        secs = v["train_seconds"][rows]
        clock = np.cumsum(np.r_[self.elapsed, secs])[1:]  # the same additions as evaluate()
        if len(rows):
            self.elapsed = float(clock[-1])
        self.n_evaluated += len(rows)
        return {"val_acc": v["val_acc"][rows], "test_acc": v["test_acc"][rows],
                "train_seconds": secs, "clock": clock,
                "num_blocks": self._ix.num_blocks[rows], "arch": [self._ix.archs[r] for r in rows]}


def check_fitted(surrogate) -> None:
    """A one-line ValueError for a surrogate that cannot predict yet."""
    if not callable(getattr(surrogate, "predict_metrics", None)):
        raise ValueError("miss='surrogate' needs a surrogate with predict_metrics(cells) "
                         "(e.g. nasbench.predictors.surrogate.TableSurrogate().fit(table))")
    check = getattr(surrogate, "_check_fitted", None)
    if callable(check):
        check()  # TableSurrogate: ValueError "not fitted yet; call fit(runs) first"
    elif getattr(surrogate, "is_fitted", True) is False:
        raise ValueError(f"the surrogate {type(surrogate).__name__} is not fitted")


# ---------------------------------------------------------------------- synthetic
class SyntheticEvaluator:
    """Scores cells with a function (tests, demos): ``score(cell) -> val_acc``;
    ``test_score`` defaults to ``score``; each evaluation costs ``seconds`` (a number or
    a function of the cell) on a simulated clock. ``space`` names the design space searched."""

    restricted = False

    def __init__(self, score, test_score=None, seconds=1.0, space: str = "pnas"):
        self.score, self.test_score, self.seconds = score, test_score or score, seconds
        self.space = space
        self.reset()

    def reset(self) -> None:
        self.elapsed = 0.0
        self.n_evaluated = 0

    def candidates(self, num_blocks):
        return None

    def evaluate(self, arch) -> EvalResult:
        cell = parse_arch(arch, self.space).canonical()
        secs = float(self.seconds(cell) if callable(self.seconds) else self.seconds)
        self.elapsed += secs
        self.n_evaluated += 1
        return EvalResult(cell.canonical_string, cell.num_blocks, float(self.score(cell)),
                          float(self.test_score(cell)), secs, False)


from nasbench.search.live import LiveEvaluator  # noqa: E402,F401 - re-exported
