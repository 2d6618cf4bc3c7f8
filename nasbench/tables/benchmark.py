"""`Benchmark`: the query API over one table, with an in-memory index built once at open.

Index (:mod:`index`): rows are sorted by (arch_hash, seed[, epoch]) (``write_table``; an
unsorted file is sorted once at open). Each 16-hex arch_hash is turned into a uint64 whose
numeric order equals the string order, so an arch's runs, and a run's curve, are a
contiguous row range found by ``np.searchsorted`` -- no per-row Python objects at open.

Seed rules (documented, never hidden randomness):

* ``seed=S``: that run's recorded values.
* ``seed=None`` (default): the MEAN over the arch's usable seeds of every numeric metric
  (the one rule of :mod:`nasbench.tables.seeds`: seeds with status ``ok``, all seeds if none
  is ok). The result also carries
  ``seeds`` (the seeds averaged) and ``per_seed`` ({seed: values} for every recorded seed).
* ``seed=None, rng=G``: one usable seed drawn uniformly with ``G.integers`` (an int ``rng``
  is turned into ``np.random.default_rng(rng)``).

``arch`` is any arch string or genotype of the table's space (``Benchmark.space``), or a 16-hex
arch_hash; a genotype of another space raises one line naming both spaces.
"""
from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nasbench.tables import schema as S
from nasbench.tables.checks import structure_problems
from nasbench.tables.index import Columns, curve_ranges, hash_keys, sort_unique
from nasbench.tables.io import LoadedTable, TableMetadata, read_tables
from nasbench.tables.schema import NotInTableError, TableError
from nasbench.tables.seeds import seed_means, usable_runs


class Benchmark:
    """A loaded table: query recorded results by arch (any form), seed and epoch."""

    def __init__(self, loaded: LoadedTable):
        problems = structure_problems(loaded.runs, loaded.curves)
        if problems:
            raise TableError(f"table {loaded.path}: {problems[0]}")
        self.path: Path = loaded.path
        self.metadata: TableMetadata = loaded.metadata
        try:
            self._runs, run_keys = sort_unique(
                loaded.runs, hash_keys(loaded.runs.column("arch_hash")), ("seed",), S.RUNS_FILE)
            self._curves, curve_keys = sort_unique(
                loaded.curves, hash_keys(loaded.curves.column("arch_hash")), ("seed", "epoch"),
                S.CURVES_FILE)
        except TableError as exc:
            raise TableError(f"table {loaded.path}: {exc}") from None
        self._r = Columns(self._runs)
        self._c = Columns(self._curves)
        first = np.ones(len(run_keys), dtype=bool)
        first[1:] = run_keys[1:] != run_keys[:-1]
        self._arch_first = np.flatnonzero(first)  # first run row of each arch, in hash order
        self._arch_end = np.append(self._arch_first[1:], len(run_keys))
        self._arch_keys = run_keys[self._arch_first]
        self._curve_lo, self._curve_hi = curve_ranges(
            self._arch_keys, run_keys, self._r.data["seed"], curve_keys, self._c.data["seed"])
        self._ok = pc.equal(self._runs.column("status"), "ok").to_numpy(zero_copy_only=False)
        self._usable = usable_runs(self._ok, self._arch_first)

    # ------------------------------------------------------------------ construction
    @classmethod
    def open(cls, path: "str | os.PathLike | Benchmark") -> "Benchmark":
        """Load a table folder (schema checked; ``nasbench table validate`` checks values); an
        open Benchmark is returned as it is, so functions can take either."""
        return path if isinstance(path, Benchmark) else cls(read_tables(path))

    @classmethod
    def shipped(cls, name: str = "digits-pnas") -> "Benchmark":
        """A table shipped inside the package by name: ``digits-pnas`` (8x8 digits, the
        default), ``fmnist-pnas`` (Fashion-MNIST at 7x7) or ``fmnist-pnas3-closed`` (every
        3-op PNAS cell up to B2: replay on measured data); see ``tables/<name>/TABLE.md``."""
        root = Path(__file__).resolve().parents[1] / "shipped_tables"
        path = root / name
        if not (path / S.RUNS_FILE).is_file():
            names = sorted(p.name for p in root.iterdir() if (p / S.RUNS_FILE).is_file()) if root.is_dir() else []
            raise FileNotFoundError(f"no shipped table {name!r} (shipped: {', '.join(names) or 'none'}); "
                                    "pass a TABLE path (build one with `nasbench build`)")
        return cls.open(path)

    @classmethod
    def default(cls) -> "Benchmark":
        """The table shipped with the package (``nasbench/shipped_tables/digits-pnas``)."""
        return cls.shipped("digits-pnas")

    # ------------------------------------------------------------------ lookup
    def resolve(self, arch) -> tuple[str, str]:
        """(arch_hash, how to name it in messages) for any arch form or a 16-hex hash."""
        if isinstance(arch, str) and S.HASH_PATTERN.match(arch.strip()):
            return arch.strip(), arch.strip()
        from nasbench.space import parse_arch

        cell = parse_arch(arch, self.space)
        return cell.arch_hash, cell.canonical_string

    def _arch_rows(self, arch) -> tuple[int, int, str, str]:
        h, shown = self.resolve(arch)
        key = np.uint64(int(h, 16))
        a = int(self._arch_keys.searchsorted(key))
        if a == len(self._arch_keys) or self._arch_keys[a] != key:
            raise NotInTableError(f"arch {shown} (hash {h}) is not in table {self.path}")
        return int(self._arch_first[a]), int(self._arch_end[a]), h, shown

    def _seed_row(self, lo: int, hi: int, seed, shown: str) -> int:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an int, got {seed!r}")
        seeds = self._r.data["seed"][lo:hi]
        hit = np.flatnonzero(seeds == seed)
        if not len(hit):
            raise NotInTableError(f"seed {seed} is not in table {self.path} for arch {shown} "
                                  f"(recorded seeds: {', '.join(map(str, seeds))})")
        return lo + int(hit[0])

    @property
    def usable(self) -> np.ndarray:
        """Per run row: whether it enters its arch's seed mean and draws (the rule of
        :mod:`nasbench.tables.seeds`: the arch's ok seeds, else all its seeds)."""
        return self._usable

    def _usable_rows(self, lo: int, hi: int) -> np.ndarray:
        """Run rows of one arch that enter means and draws (:mod:`nasbench.tables.seeds`)."""
        return lo + np.flatnonzero(self._usable[lo:hi])

    def _curve_row(self, run: int, epoch, shown: str) -> int:
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)):
            raise ValueError(f"epoch must be an int, got {epoch!r}")
        lo, hi = int(self._curve_lo[run]), int(self._curve_hi[run])
        epochs = self._c.data["epoch"]
        if lo == hi:
            raise NotInTableError(f"table {self.path} has no curve for arch {shown} "
                                  f"seed {self._r.value('seed', run)}")
        first, last = int(epochs[lo]), int(epochs[hi - 1])
        row = lo + int(epochs[lo:hi].searchsorted(epoch)) if first <= epoch <= last else hi
        if row == hi or epochs[row] != epoch:
            raise ValueError(f"epoch {epoch} out of range {first}..{last} for arch {shown} "
                             f"seed {self._r.value('seed', run)}")
        return row

    # ------------------------------------------------------------------ queries
    def query(self, arch, seed: int | None = None, epoch: int | None = None,
              metric: str | None = None, rng=None):
        """Recorded results of ``arch`` (see the module docstring for the seed rules).

        ``epoch=E`` gives the curve values at epoch E (1-based) instead of the final ones;
        ``metric='val_acc'`` returns just that float.
        """
        lo, hi, _, shown = self._arch_rows(arch)
        if seed is None and rng is not None:
            usable = self._usable_rows(lo, hi)
            seed = int(self._r.data["seed"][usable[np.random.default_rng(rng).integers(len(usable))]])
        if seed is not None:
            run = self._seed_row(lo, hi, seed, shown)
            result = self._run_values(run, epoch, shown)
        else:
            result = self._mean_values(lo, hi, epoch, shown)
        if metric is None:
            return result
        if not isinstance(result.get(metric), (int, float)) or metric in ("seed", "epoch"):
            names = [k for k, v in result.items() if isinstance(v, float)]
            raise ValueError(f"unknown metric {metric!r}; one of {', '.join(names)}")
        return float(result[metric])

    def _run_values(self, run: int, epoch, shown: str) -> dict:
        if epoch is None:
            return self._r.row(run, S.RUNS_SCHEMA.names)
        out = self._r.row(run, S.IDENTITY_COLUMNS + ("seed", "status"))
        out.update(self._c.row(self._curve_row(run, epoch, shown), ("epoch",) + S.CURVE_METRICS))
        return out

    def _mean_values(self, lo: int, hi: int, epoch, shown: str) -> dict:
        usable = self._usable_rows(lo, hi)
        out = self._r.row(lo, S.IDENTITY_COLUMNS)
        out.update(seed=None, status="ok" if self._ok[usable].any()
                   else self._r.value("status", int(usable[0])))
        seed_of = self._r.data["seed"]
        if epoch is None:  # per_seed shows every recorded seed, the mean uses usable ones
            metrics, source, mean_rows = S.RUN_METRICS, self._r, usable
            per_names = metrics + ("status",)
            per_rows = {int(seed_of[run]): run for run in range(lo, hi)}
        else:
            metrics = per_names = S.CURVE_METRICS
            source = self._c
            per_rows = {int(seed_of[run]): self._curve_row(run, epoch, shown) for run in usable}
            mean_rows = np.fromiter(per_rows.values(), dtype=np.int64, count=len(per_rows))
            out["epoch"] = int(epoch)
        for name in metrics:
            out[name] = float(np.mean(source.data[name][mean_rows]))
        out["seeds"] = [int(s) for s in seed_of[usable]]
        out["per_seed"] = {seed: source.row(row, per_names) for seed, row in per_rows.items()}
        return out

    def curves(self, arch, seed: int | None = None):
        """The learning curve rows of ``arch`` (one seed, or all seeds) as a DataFrame."""
        lo, hi, _, shown = self._arch_rows(arch)
        if seed is not None:
            lo = self._seed_row(lo, hi, seed, shown)
            hi = lo + 1
        c_lo, c_hi = int(self._curve_lo[lo]), int(self._curve_hi[hi - 1])
        part = self._curves.slice(c_lo, max(c_hi - c_lo, 0))
        return part.to_pandas()

    def contains(self, arch) -> bool:
        """Whether the table holds ``arch`` (a malformed arch is a ValueError)."""
        try:
            self._arch_rows(arch)
        except NotInTableError:
            return False
        return True

    __contains__ = contains

    def archs(self, num_blocks: int | None = None) -> list[str]:
        """Canonical strings of the table's archs (in arch_hash order)."""
        first = self._arch_first
        if num_blocks is not None:
            first = first[self._r.data["num_blocks"][first] == num_blocks]
        return self._r.data["arch"].take(pa.array(first)).to_pylist()

    def arch_means(self, metrics: tuple[str, ...], num_blocks: int | None = None) -> dict:
        """Per-arch mean over usable seeds of each metric (the rule of
        :mod:`nasbench.tables.seeds`, as ``query(seed=None)``), plus ``rows`` (first run row),
        ``n_ok`` and ``n_seeds`` (usable seeds) arrays, in hash order."""
        first = self._arch_first
        counts = np.add.reduceat(self._ok.astype(np.int64), first) if len(first) else np.zeros(0, int)
        used = np.add.reduceat(self._usable.astype(np.int64), first) if len(first) else np.zeros(0, int)
        out = {"rows": first, "n_ok": counts, "n_seeds": used}
        for m in metrics:
            out[m] = seed_means(self._r.data[m], self._usable, first)
        if num_blocks is not None:
            keep = self._r.data["num_blocks"][first] == num_blocks
            out = {k: v[keep] for k, v in out.items()}
        return out

    def best(self, k: int = 10, by: str = "val_acc", report: str = "test_acc",
             num_blocks: int | None = None, descending: bool | None = None) -> list[dict]:
        """Top ``k`` archs selected by mean ``by`` over ok seeds, reporting mean ``report``
        (select on val, report test: the honest protocol). Archs with no ok seed are left
        out; ties go to the smaller arch_hash. ``descending`` defaults to "acc" in ``by``."""
        for name in (by, report):
            if name not in S.RUN_METRICS + ("params", "flops"):
                raise ValueError(f"unknown metric {name!r}; one of {', '.join(S.RUN_METRICS)}")
        descending = "acc" in by if descending is None else descending
        means = self.arch_means((by, report), num_blocks)
        valid = np.flatnonzero(~np.isnan(means[by]) & (means["n_ok"] > 0))
        score = means[by][valid]
        order = valid[np.argsort(-score if descending else score, kind="stable")][:k]
        return [{"rank": i + 1, "arch": self._r.value("arch", means["rows"][j]),
                 "arch_hash": self._r.value("arch_hash", means["rows"][j]),
                 "num_blocks": self._r.value("num_blocks", means["rows"][j]),
                 by: float(means[by][j]), report: float(means[report][j]),
                 "seeds": int(means["n_ok"][j])} for i, j in enumerate(order)]

    # ------------------------------------------------------------------ properties
    @property
    def protocol(self) -> dict:
        return self.metadata.protocol

    @property
    def provenance(self) -> dict:
        return self.metadata.provenance

    @cached_property
    def space(self) -> str:
        """The table's design space (``pnas`` for an empty table)."""
        column = self._runs.column("space")
        return str(column[0].as_py()) if len(column) else "pnas"

    @property
    def seeds(self) -> list[int]:
        return [int(s) for s in np.unique(self._r.data["seed"])]

    @property
    def num_blocks(self) -> list[int]:
        return [int(b) for b in np.unique(self._r.data["num_blocks"])]

    @property
    def epochs(self) -> int:
        """The protocol's epoch count (0 for an empty table)."""
        e = self._r.data["epochs"]
        return int(e.max()) if len(e) else 0

    @property
    def arrow_runs(self) -> pa.Table:
        return self._runs

    @property
    def arrow_curves(self) -> pa.Table:
        return self._curves

    @cached_property
    def runs(self):
        """runs.parquet as a pandas DataFrame (built on first use)."""
        return self._runs.to_pandas()

    @cached_property
    def curves_df(self):
        """curves.parquet as a pandas DataFrame (built on first use)."""
        return self._curves.to_pandas()

    def __len__(self) -> int:
        return len(self._arch_first)

    def __iter__(self) -> Iterator[str]:
        return iter(self.archs())

    def __repr__(self) -> str:
        return (f"Benchmark({str(self.path)!r}, space={self.space}, archs={len(self)}, runs={self._runs.num_rows}, "
                f"seeds={self.seeds}, epochs={self.epochs})")
