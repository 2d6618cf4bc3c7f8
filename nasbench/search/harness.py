"""Run algorithms x seeds in replay, store every trajectory, summarise and compare.

* :func:`run_many`: one replay run per (algorithm, seed) in spawn-context worker processes
  (the worker :func:`run_job` is a module-level function; each worker loads the table once
  and keeps torch at one thread); returns one DataFrame (columns ``algorithm``, ``seed`` and
  the :class:`~nasbench.search.base.Trajectory` columns), sorted by (algorithm, seed, index)
  -- identical for any number of workers.
* :func:`anytime`: per algorithm, mean and 95% confidence band (t interval of the mean over
  seeds) of the test accuracy of the val-selected best, on a grid of models trained or of
  simulated hours of the device that trained the table (a run contributes from its first
  evaluation on).
* :func:`summary`: models (and simulated hours) needed to reach a target val accuracy, with
  bootstrap 95% CIs over seeds; ``target=None`` means RL's mean final best val (or, without
  ``rl``, the lowest mean final best val of the algorithms). A run that never reaches the
  target counts with all its models (a lower bound: the count of such runs is reported).
* :func:`compare`: all of it into ``out/``: trajectories.parquet, summary.csv, plots,
  README.md, and the PNAS paper's Table 1 with the selected cells' held-out scores
  (:mod:`nasbench.search.table1`, :mod:`nasbench.search.heldout`).
"""
from __future__ import annotations

import functools
import json
import math
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from nasbench.markdown import table_lines
from nasbench.progress import progress_bar
from nasbench.search import get_algorithm
from nasbench.search.arms import arm_options
from nasbench.search.base import COLUMNS, Budget
from nasbench.search.trajectory import iter_runs

_TABLES: dict = {}  # per process: table path -> Benchmark
_SURROGATES: dict = {}

#: Algorithm-name prefixes served by a plug-in module, imported by name only when such an
#: algorithm is asked for; it provides ``check_arm(name, options, budget, seed_policy, miss, table)``
#: (raise ValueError before any work) and ``run_job(job)`` (the frame :func:`run_job` returns).
ARM_PROVIDERS = {"st:": "nasbench.integrations.synetune"}  # syne-tune optimizers


def _provider(name: str):
    import importlib

    for prefix, module in ARM_PROVIDERS.items():
        if str(name).startswith(prefix):
            return importlib.import_module(module)
    return None


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def run_job(job: dict) -> pd.DataFrame:
    """One replay run; ``job``: table, algorithm, seed, budget (dict), options, seed_policy,
    miss, surrogate (a saved TableSurrogate path or None). Importable by spawn workers."""
    provider = _provider(job["algorithm"])
    if provider is not None:  # the plug-in sees the bare name and merged options; rows keep the arm
        name, options = arm_options(job["algorithm"], {job["algorithm"]: job.get("options", {})})
        frame = provider.run_job({**job, "algorithm": name, "options": options})
        frame["algorithm"] = job["algorithm"]
        return frame
    from nasbench.search.evaluators import ReplayEvaluator
    from nasbench.tables import Benchmark

    table = str(job["table"])
    if table not in _TABLES:
        _TABLES[table] = Benchmark.open(table)
    surrogate = None
    if job.get("surrogate"):
        from nasbench.predictors.surrogate import TableSurrogate

        path = str(job["surrogate"])
        surrogate = _SURROGATES.get(path) or _SURROGATES.setdefault(path, TableSurrogate.load(path))
    ev = ReplayEvaluator(_TABLES[table], seed_policy=job.get("seed_policy", "mean"),
                         miss=job.get("miss", "restrict"), surrogate=surrogate, rng=job["seed"])
    name, options = arm_options(job["algorithm"], {job["algorithm"]: job.get("options", {})})
    traj = get_algorithm(name).run(ev, Budget(**job["budget"]), job["seed"], **options)
    frame = traj.to_frame()
    frame.insert(0, "seed", int(job["seed"]))
    frame.insert(0, "algorithm", job["algorithm"])
    return frame


def run_many(table, algorithms, seeds, budget: Budget, options: dict | None = None,
             seed_policy="mean", miss: str = "restrict", surrogate=None,
             workers: int | None = None, progress: bool | None = False) -> pd.DataFrame:
    """Every (algorithm, seed) run; ``seeds`` is a count or a list; ``algorithms`` are arm
    specs (:mod:`nasbench.search.arms`, e.g. ``pnas[K=8]``); ``options`` maps an arm to
    options added to its inline ones; ``surrogate`` (miss='surrogate') is a fitted
    TableSurrogate's saved path; ``progress``: see :func:`nasbench.progress.progress_bar`."""
    algorithms = [algorithms] if isinstance(algorithms, str) else list(algorithms)
    if len(set(algorithms)) < len(algorithms):
        raise ValueError(f"an arm is given twice: {', '.join(algorithms)}")
    seeds = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else list(seeds)
    if not algorithms or not seeds:
        raise ValueError("need at least one algorithm and one seed")
    options = dict(options or {})
    for name in algorithms:
        provider = _provider(name)
        base, opts = arm_options(name, options)
        if provider is not None:
            provider.check_arm(base, opts, budget, seed_policy, miss, table=table)
            continue
        algo = get_algorithm(base)  # unknown names fail here, before any work
        unknown = sorted(set(opts) - set(algo.defaults))
        if unknown:
            raise ValueError(f"unknown option(s) for {name}: {', '.join(unknown)}")
        if algo.needs_budget and budget.unlimited:
            raise ValueError(f"algorithm {name!r} needs a budget (models and/or seconds)")
    if miss == "surrogate" and not surrogate:
        raise ValueError("miss='surrogate' needs a fitted surrogate (a saved TableSurrogate path)")
    jobs = [dict(table=str(Path(table).resolve()), algorithm=a, seed=s, budget=budget.to_dict(),
                 options=options.get(a, {}), seed_policy=seed_policy, miss=miss,
                 surrogate=str(surrogate) if surrogate else None)
            for a in algorithms for s in seeds]
    workers = min(len(jobs), workers if workers is not None else (os.cpu_count() or 1))
    bar = functools.partial(progress_bar, total=len(jobs), desc="searches", enabled=progress, unit="run")
    if workers <= 1:
        frames = [run_job(j) for j in bar(jobs)]
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                                 initializer=_init_worker) as pool:
            frames = list(bar(pool.map(run_job, jobs)))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------- statistics
def anytime(df: pd.DataFrame, x: str = "models", grid=None, points: int = 200) -> pd.DataFrame:
    """Mean and 95% band of best_test vs ``x`` ('models' or 'hours') per algorithm."""
    from scipy import stats

    if x not in ("models", "hours"):
        raise ValueError(f"x must be 'models' or 'hours', got {x!r}")
    col = "index" if x == "models" else "elapsed"
    scale = 1.0 if x == "models" else 3600.0
    if grid is None:
        hi = float(df[col].max()) / scale if len(df) else 1.0
        grid = (np.unique(np.linspace(1, hi, points).round()) if x == "models"
                else np.linspace(0, hi, points))
    grid = np.asarray(grid, dtype=float)
    rows = []
    for algo, group in df.groupby("algorithm", sort=True):
        curves = []
        for _, _, run in iter_runs(group):
            xs = run[col].to_numpy(float) / scale
            pos = np.searchsorted(xs, grid, side="right") - 1
            best = run["best_test"].to_numpy(float)
            curves.append(np.where(pos >= 0, best[np.maximum(pos, 0)], np.nan))
        m = np.vstack(curves)
        finite = np.isfinite(m)
        n = finite.sum(axis=0)
        mean = np.where(n > 0, np.where(finite, m, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)
        var = (np.where(finite, m - mean, 0.0) ** 2).sum(axis=0) / np.maximum(n - 1, 1)
        half = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)) * np.sqrt(var / np.maximum(n, 1)), 0.0)
        rows.append(pd.DataFrame({"algorithm": algo, x: grid, "mean": mean, "lo": mean - half,
                                  "hi": mean + half, "n": n}))
    return pd.concat(rows, ignore_index=True)


def final(df: pd.DataFrame) -> pd.DataFrame:
    """The last row of each run (algorithm, seed)."""
    return df.sort_values("index").groupby(["algorithm", "seed"], sort=True).tail(1)


def default_target(df: pd.DataFrame) -> float:
    means = final(df).groupby("algorithm")["best_val"].mean()
    return float(means["rl"]) if "rl" in means.index else float(means.min())


def _bootstrap(values: np.ndarray, rng, n: int = 2000) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan
    boots = rng.choice(values, size=(n, len(values)), replace=True).mean(axis=1)
    return float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))


def to_target(df: pd.DataFrame, target: float) -> pd.DataFrame:
    """Per run: models and hours until best_val >= target (all of the run's when never)."""
    out = []
    for algo, seed, run in iter_runs(df):
        hit = np.flatnonzero(run["best_val"].to_numpy(float) >= target)
        row = run.iloc[hit[0]] if len(hit) else run.iloc[-1]
        out.append({"algorithm": algo, "seed": seed, "reached": bool(len(hit)),
                    "models": int(row["index"]), "hours": float(row["elapsed"]) / 3600})
    return pd.DataFrame(out)


def summary(df: pd.DataFrame, target: float | None = None, reference: str = "rl",
            seed: int = 0) -> tuple[pd.DataFrame, float]:
    """(table, target): per algorithm, final best val/test and models/hours to ``target``
    with bootstrap 95% CIs, and the speed-up in models over ``reference`` where present."""
    target = default_target(df) if target is None else float(target)
    rng = np.random.default_rng(seed)
    hits = to_target(df, target)
    last = final(df)
    rows = []
    ref = hits[hits.algorithm == reference]["models"].to_numpy(float)
    for algo, h in hits.groupby("algorithm", sort=True):
        f = last[last.algorithm == algo]
        models = h["models"].to_numpy(float)
        row = {"algorithm": algo, "seeds": len(h), "reached": int(h["reached"].sum()),
               "models_to_target": models.mean(),
               **dict(zip(("models_lo", "models_hi"), _bootstrap(models, rng))),
               "hours_to_target": h["hours"].mean(),
               **dict(zip(("hours_lo", "hours_hi"), _bootstrap(h["hours"].to_numpy(float), rng))),
               "final_best_val": f["best_val"].mean(), "final_best_test": f["best_test"].mean(),
               **dict(zip(("test_lo", "test_hi"), _bootstrap(f["best_test"].to_numpy(float), rng))),
               "models_run": f["index"].mean(),
               # epochs trained / max epochs: < models_run only for multi-fidelity arms
               "full_models_run": (f["full_models"].mean() if "full_models" in f
                                   and f["full_models"].notna().all() else f["index"].mean())}
        if len(ref) and algo != reference:
            b = 2000
            num = rng.choice(ref, size=(b, len(ref))).mean(1)
            den = rng.choice(models, size=(b, len(models))).mean(1)
            row.update(speedup=ref.mean() / models.mean(),
                       speedup_lo=float(np.percentile(num / den, 2.5)),
                       speedup_hi=float(np.percentile(num / den, 97.5)))
        rows.append(row)
    return pd.DataFrame(rows), target


# ---------------------------------------------------------------------- compare
def compare(table, algorithms, seeds, budget: Budget, out, options: dict | None = None,
            target: float | None = None, seed_policy="mean", miss: str | None = None,
            surrogate=None, workers: int | None = None, command: str | None = None,
            progress: bool | None = False, report_only: bool = False) -> Path:
    """Run, store, plot and summarise into ``out`` (with the Table-1 and held-out sections of
    :mod:`nasbench.search.table1`); ``miss=None``: :func:`nasbench.search.closed.default_miss`.
    ``report_only``: no searches; the report is rendered again from ``out``'s stored
    trajectories.parquet, which must hold every arm of ``algorithms``. Returns the README path."""
    from nasbench.search import table1
    from nasbench.search.closed import default_miss
    from nasbench.tables import Benchmark

    algorithms = [algorithms] if isinstance(algorithms, str) else list(algorithms)
    miss = default_miss(table, algorithms, options) if miss is None else miss
    if target is not None:  # before any run; write_report checks a derived target
        table1.check_target(target, table1.best_measured(Benchmark.open(table), seed_policy))
    out = Path(out)
    if report_only:
        if not (out / "trajectories.parquet").is_file():
            raise ValueError(f"--report-only: {out} holds no trajectories.parquet; run the comparison first")
        df = pd.read_parquet(out / "trajectories.parquet")
        missing = [a for a in algorithms if a not in set(df["algorithm"])]
        if missing:
            raise ValueError(f"{out / 'trajectories.parquet'} holds no runs of {', '.join(missing)}")
        df = df[df["algorithm"].isin(algorithms)]
    else:
        out.mkdir(parents=True, exist_ok=True)
        df = run_many(table, algorithms, seeds, budget, options, seed_policy, miss, surrogate, workers,
                      progress)
        df.to_parquet(out / "trajectories.parquet", index=False)
    return write_report(df, table, algorithms, budget, out, options, target, seed_policy, miss, command)


def write_report(df: pd.DataFrame, table, algorithms, budget: Budget, out, options: dict | None = None,
                 target: float | None = None, seed_policy="mean", miss: str = "error",
                 command: str | None = None) -> Path:
    """The report of :func:`compare` (README, summary.csv, Table 1, held-out scores, plots) from
    its trajectories ``df``, e.g. re-rendered from a stored trajectories.parquet."""
    from nasbench.search import table1
    from nasbench.search.plots import plot_anytime
    from nasbench.tables import Benchmark

    bench = Benchmark.open(table)
    cap = table1.best_measured(bench, seed_policy)
    out = Path(out)
    table_df, target_used = summary(df, target)
    table1.check_target(target_used, cap, "the comparison target")
    predicted = (df.groupby("algorithm")["predicted"].mean().to_dict() if miss == "surrogate" else None)
    if predicted is not None:
        table_df["predicted_frac"] = table_df["algorithm"].map(predicted)
    table_df.to_csv(out / "summary.csv", index=False)
    sections = table1.write_sections(df, bench, out, target, seed_policy, predicted)
    plots = {}
    clock = clock_label(bench)
    shown = f" ({df['predicted'].mean():.0%} of answers predicted)" if predicted is not None else ""
    for x, label in (("models", "models trained"), ("hours", clock)):
        name = f"anytime_{x}.png"
        plot_anytime(anytime(df, x), x, label, out / name,
                     title=f"{Path(str(table)).name}: test acc of the val-selected best{shown}")
        plots[x] = name
    text = _readme(table, algorithms, df, budget, options or {}, target_used, table_df, plots,
                   seed_policy, miss, command, clock, sections)
    (out / "README.md").write_text(text)
    return out / "README.md"


def clock_label(table) -> str:
    """The simulated clock's axis label, naming the device that trained ``table`` (its runs'
    ``device`` column): "simulated GPU-hours (NVIDIA H200)", "simulated CPU-hours (cpu)"."""
    import pyarrow.compute as pc

    from nasbench.tables import Benchmark

    devices = sorted(d for d in pc.unique(Benchmark.open(table).arrow_runs.column("device")).to_pylist() if d)
    unit = "CPU-hours" if devices == ["cpu"] else "GPU-hours" if devices and "cpu" not in devices else "hours"
    return f"simulated {unit} ({', '.join(devices) or 'device not recorded'})"


def _fmt(v, digits=3) -> str:
    return "—" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"


def _readme(table, algorithms, df, budget, options, target, s, plots, seed_policy, miss,
            command, clock: str, sections: list[str]) -> str:
    seeds = df.groupby("algorithm")["seed"].nunique().max()
    lines = [f"# Search comparison on `{table}`", "",
             f"Algorithms: {', '.join(algorithms)}; {seeds} seeds each; budget "
             f"{json.dumps(budget.to_dict())}; replay with seed_policy={seed_policy!r}, "
             f"miss={miss!r}. Options: `{json.dumps(options, sort_keys=True, default=str)}`.",
             "", "Curves: mean and 95% t-interval over seeds of the TEST accuracy of the model "
             "with the best VALIDATION accuracy so far.", "",
             f"![vs models]({plots['models']})", "", f"![vs {clock}]({plots['hours']})", "",
             f"Models to reach val accuracy {target:.4f} (mean over seeds, bootstrap 95% CI; a run "
             "that never reaches it counts with all its models, see *reached*):", ""]
    header = ["algorithm", "reached", "models to target [95% CI]", f"{clock.split()[1]} to target [95% CI]",
              "speed-up vs rl [95% CI]", "final best val", "final best test [95% CI]"]
    header += ["predicted answers"] if "predicted_frac" in s else []
    rows = []
    for r in s.to_dict("records"):
        sp = (f"{_fmt(r.get('speedup'), 2)} [{_fmt(r.get('speedup_lo'), 2)}, "
              f"{_fmt(r.get('speedup_hi'), 2)}]" if "speedup" in r and r.get("speedup") == r.get("speedup")
              else "—")
        rows.append([r["algorithm"], f"{r['reached']}/{r['seeds']}",
                     f"{_fmt(r['models_to_target'], 1)} [{_fmt(r['models_lo'], 1)}, {_fmt(r['models_hi'], 1)}]",
                     f"{_fmt(r['hours_to_target'], 2)} [{_fmt(r['hours_lo'], 2)}, {_fmt(r['hours_hi'], 2)}]",
                     sp, _fmt(r["final_best_val"], 4),
                     f"{_fmt(r['final_best_test'], 4)} [{_fmt(r['test_lo'], 4)}, {_fmt(r['test_hi'], 4)}]"]
                    + ([f"{r['predicted_frac']:.1%}"] if "predicted_frac" in r else []))
    lines += table_lines(header, rows)
    partial = [r for r in s.to_dict("records") if r["full_models_run"] < r["models_run"]]
    if partial:
        lines += ["", "Multi-fidelity arms stop models early: a *model* is a trial started; "
                  "the epochs they trained, as full models (mean over seeds): " + ", ".join(
                      f"{r['algorithm']} {r['full_models_run']:.1f} of {r['models_run']:.0f}"
                      for r in partial) + "."]
    lines += ["", *sections]
    lines += ["", "PNAS evaluates |B1| + (Bmax-1)·K models when every level has ≥ K children "
              "(paper: 136 + 4·256 = 1,160).", "",
              "Files: `trajectories.parquet` (every evaluation of every run), `summary.csv`, "
              "`table1.csv` (when measured), `selected.csv` (each run's selected cell), "
              "`selected_at_pnas_cost.csv` (the other arms' held-out scores after PNAS's total models)."]
    lines += ["", "## Regenerate", "", "```", command or "(written from Python: no command recorded)",
              "```"]
    return "\n".join(lines) + "\n"
