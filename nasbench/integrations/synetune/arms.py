"""syne-tune optimizers as search arms: simulated runs on an exported table, returned as
our :class:`~nasbench.search.trajectory.Trajectory` (imports syne-tune).

A run: the table is exported (:func:`~.export.export`) and read back with syne-tune's loader,
syne-tune's ``UserBlackboxBackend`` (the simulator backend for a blackbox object; the
``BlackboxRepositoryBackend`` only loads repository names, which would download) replays it
with ``SimulatorCallback`` and ONE worker, like our sequential algorithms. The optimizer
maximises ``val_acc``; multi-fidelity ones (ASHA, BOHB, ...) use ``epoch`` as resource with
``max_t`` = the table's epochs.

Counting, as for our algorithms: one trajectory row per trial (= one model started, repeats
included), in completion order; its ``val_acc`` / ``test_acc`` are the values at the last
epoch the trial reached, ``train_seconds`` the cumulative training seconds to that epoch,
``elapsed`` the sum of ``train_seconds`` so far (our replay clock). :class:`ArmRun` adds
``epochs`` (epochs trained per row) and ``full_models`` (cumulative epochs / max epochs), so a
multi-fidelity arm's models can be read as fractions of full models. Budget: ``models`` caps
the trials started; ``seconds`` lets a trial start only while the clock is below it (the last
one may end past it) -- the semantics of :class:`~nasbench.search.base.Budget`.
"""
from __future__ import annotations

import contextlib
import inspect
import io
import logging
import os
import random
import tempfile
import warnings
from dataclasses import dataclass

import numpy as np

from nasbench.integrations.synetune.blackbox import CanonicalBlackbox, load
from nasbench.integrations.synetune.export import export
from nasbench.search.base import Budget
from nasbench.search.trajectory import Trajectory

PREFIX = "st:"
METRIC = "val_acc"


@dataclass(frozen=True)
class Optimizer:
    """A syne-tune scheduler class in ``syne_tune.optimizer.baselines`` by name."""

    name: str
    cls: str
    multi_fidelity: bool = False
    needs: str | None = None  # an extra package the class imports

    def make(self, config_space: dict, max_t: int, seed: int, options: dict,
             evaluated: list[int] | None = None):
        import importlib.util

        if self.needs and importlib.util.find_spec(self.needs) is None:
            raise ImportError(f"st:{self.name} needs {self.needs!r}: pip install {self.needs}")
        from syne_tune.optimizer import baselines

        cls = getattr(baselines, self.cls)
        params = inspect.signature(cls).parameters
        unknown = sorted(set(options) - set(params) - {"config_space"})
        if unknown:
            raise ValueError(f"unknown option(s) for st:{self.name}: {', '.join(unknown)}")
        kwargs = dict(config_space=config_space, do_minimize=False, random_seed=int(seed))
        kwargs.update({"metrics": [METRIC]} if "metrics" in params else {"metric": METRIC})
        if self.multi_fidelity:
            kwargs.update(time_attr="epoch", max_t=int(max_t))
            if not {"grace_period", "reduction_factor"} & set(options):
                kwargs.update(rungs(evaluated or list(range(1, int(max_t) + 1)), int(max_t)))
        kwargs.update(options)
        return cls(**kwargs)


def rungs(evaluated: list[int], max_t: int) -> dict:
    """grace_period / reduction_factor whose rung levels (grace * eta^k < max_t) are epochs
    where the table measured val: {} (syne-tune's defaults, 1 and 3) when every epoch was
    evaluated; else the smallest factor whose ladder from the first evaluated epoch lands on
    evaluated epochs only, e.g. ``fmnist`` (val at 5 and 10) -> grace 5, factor 2: one rung
    at epoch 5. Options naming either win. Without this a rung at an epoch with NaN
    val stops nothing, and every trial trains to max_t (found on fmnist-pnas3-closed)."""
    below = sorted(e for e in evaluated if e < max_t)
    if below == list(range(1, max_t)) or not below:
        return {} if below else {"grace_period": max_t, "reduction_factor": 2}
    grace = below[0]
    eta = 2  # the smallest factor whose ladder fits; max_t // grace + 1 always does (one rung)
    while not {grace * eta ** k for k in range(max_t) if grace * eta ** k < max_t} <= set(below):
        eta += 1
    return {"grace_period": grace, "reduction_factor": eta}


#: ``st:NAME`` -> the syne-tune 0.16 baseline it runs.
OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in (
    Optimizer("RandomSearch", "RandomSearch"),
    Optimizer("REA", "REA"),
    Optimizer("TPE", "TPE"),
    Optimizer("BORE", "BORE"),
    Optimizer("CQR", "CQR"),
    Optimizer("BOTorch", "BOTorch", needs="botorch"),
    Optimizer("BayesianOptimization", "BOTorch", needs="botorch"),  # GP-BO in 0.16
    Optimizer("ASHA", "ASHA", multi_fidelity=True),
    Optimizer("BOHB", "BOHB", multi_fidelity=True),
    Optimizer("ASHABORE", "ASHABORE", multi_fidelity=True),
    Optimizer("ASHACQR", "ASHACQR", multi_fidelity=True),
)}


def is_arm(name: str) -> bool:
    return isinstance(name, str) and name.startswith(PREFIX)


def get_optimizer(name: str) -> Optimizer:
    """``st:ASHA`` or ``ASHA`` -> its :class:`Optimizer` (ValueError naming the known ones)."""
    key = name[len(PREFIX):] if is_arm(name) else name
    try:
        return OPTIMIZERS[key]
    except KeyError:
        raise ValueError(f"unknown syne-tune optimizer {name!r}; known: "
                         f"{', '.join(PREFIX + k for k in OPTIMIZERS)}") from None


@dataclass(frozen=True)
class ArmRun:
    """One arm's run: our trajectory plus epochs trained per row (max ``max_epochs``)."""

    trajectory: Trajectory
    epochs: np.ndarray
    max_epochs: int

    def frame(self):
        """The trajectory frame with ``epochs`` and ``full_models`` columns added."""
        df = self.trajectory.to_frame()
        df["epochs"] = self.epochs.astype(np.int64)
        df["full_models"] = np.cumsum(self.epochs) / float(self.max_epochs)
        return df


def blackbox_for(table, encoding: str = "auto", blocks=None,
                 seed_policy="mean") -> CanonicalBlackbox:
    """Export ``table`` to a temporary folder and load it back with syne-tune's loader."""
    with tempfile.TemporaryDirectory(prefix="nasbench-st-") as tmp:
        export(table, tmp, encoding=encoding, blocks=blocks)
        return load(tmp, seed_policy=seed_policy)


@contextlib.contextmanager
def _scoped_run(seed: int):
    """What syne-tune needs from the process, for one run only, restored after: its tuner
    files in a temporary $SYNETUNE_FOLDER, its prints, log lines and warnings swallowed, and numpy's /
    Python's global RNGs seeded with ``seed`` (its domains sample from them, so this is what
    makes a run repeatable)."""
    old = os.environ.get("SYNETUNE_FOLDER")
    log = logging.getLogger("syne_tune")
    level = log.level
    np_state, py_state = np.random.get_state(), random.getstate()
    with tempfile.TemporaryDirectory(prefix="nasbench-st-run-") as tmp, \
            contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.environ["SYNETUNE_FOLDER"] = tmp
        log.setLevel(logging.ERROR)
        np.random.seed(seed)
        random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)
            log.setLevel(level)
            if old is None:
                os.environ.pop("SYNETUNE_FOLDER", None)
            else:
                os.environ["SYNETUNE_FOLDER"] = old


class _Clock:
    """Our replay clock from the results seen so far: sum over trials of their latest
    cumulative ``elapsed_time`` (one worker: the trials ran one after another)."""

    def __init__(self, callback):
        self.callback = callback
        self.seen = 0
        self.latest: dict[int, float] = {}

    def __call__(self) -> float:
        results = self.callback.results
        for r in results[self.seen:]:
            self.latest[r["trial_id"]] = float(r["elapsed_time"])
        self.seen = len(results)
        return sum(self.latest.values())


def run_arm(source, optimizer: str, budget: Budget, seed: int = 0, *, encoding: str = "auto",
            blocks=None, seed_policy="mean", **options) -> ArmRun:
    """Run syne-tune optimizer ``optimizer`` (``st:ASHA`` or ``ASHA``) on ``source`` (a table
    path, a Benchmark, or a :class:`CanonicalBlackbox` from :func:`blackbox_for`) within
    ``budget``; ``options`` go to the syne-tune scheduler. Deterministic for a fixed seed."""
    from syne_tune import Tuner
    from syne_tune.backend.simulator_backend.simulator_backend import SimulatorConfig
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
    from syne_tune.blackbox_repository import UserBlackboxBackend

    opt = get_optimizer(optimizer)
    if not isinstance(budget, Budget) or budget.unlimited:
        raise ValueError(f"st:{opt.name} needs a Budget with models and/or seconds")
    bb = (source if isinstance(source, CanonicalBlackbox)
          else blackbox_for(source, encoding, blocks, seed_policy))
    nb = bb.metadata["nasbench"]
    if bb.encoding.kind == "blocks" and not nb["closed"]:
        raise ValueError(f"the 'blocks' encoding needs a closed table ({nb['table']} is "
                         "sampled: most configurations would have no row); use encoding='cell'")
    callback = SimulatorCallback()
    clock = _Clock(callback)

    def stop(status) -> bool:
        return ((budget.models is not None and status.num_trials_started >= budget.models)
                or (budget.seconds is not None and clock() >= budget.seconds))

    with _scoped_run(int(seed)):
        scheduler = opt.make(bb.configuration_space, bb.max_epochs, seed, options, bb.evaluated_epochs)
        # seed=None: syne-tune draws a slot per trial (from numpy's global RNG, seeded above)
        backend = UserBlackboxBackend(blackbox=bb, elapsed_time_attr="elapsed_time",
                                      seed=None if bb.seed_policy == "random" else 0,
                                      simulator_config=SimulatorConfig(0.0, 0.0, 0.0, 0.0, 0.0))
        tuner = Tuner(trial_backend=backend, scheduler=scheduler, stop_criterion=stop,
                      n_workers=1, sleep_time=0, callbacks=[callback], save_tuner=False,
                      tuner_name=f"nasbench-{opt.name.lower()}", suffix_tuner_name=False,
                      results_update_interval=1e9, print_update_interval=1e9,
                      wait_trial_completion_when_stopping=True)
        tuner.run()
    return _to_run(callback.results, bb, opt, budget, seed)


def _to_run(results: list[dict], bb: CanonicalBlackbox, opt: Optimizer, budget: Budget,
            seed: int) -> ArmRun:
    last: dict[int, dict] = {}
    order: list[int] = []
    for r in results:  # the latest result of each trial; rows in completion order
        t = int(r["trial_id"])
        if t in last:
            order.remove(t)
        last[t] = r
        order.append(t)
    if budget.models is not None:
        order = [t for t in order if t < budget.models]  # trial ids are start order
    rows = [last[t] for t in order]
    secs = np.array([float(r["elapsed_time"]) for r in rows])
    clock = np.cumsum(secs)
    if budget.seconds is not None and len(rows):
        start = clock - secs
        keep = np.flatnonzero(start < budget.seconds)
        rows, secs, clock = [rows[i] for i in keep], secs[keep], clock[keep]
    space = bb.configuration_space
    cells = [bb.encoding.to_cell({k: r[f"config_{k}"] for k in space}) for r in rows]
    traj = Trajectory({"algorithm": PREFIX + opt.name, "seed": int(seed),
                       "budget": budget.to_dict(), "options": {},
                       "synetune": {"encoding": bb.encoding.kind, "seed_policy": bb.seed_policy}})
    traj.extend([c.canonical_string for c in cells], [c.num_blocks for c in cells],
                [float(r["val_acc"]) for r in rows], [float(r["test_acc"]) for r in rows],
                secs, clock)
    epochs = np.array([int(r["epoch"]) for r in rows], dtype=np.int64)
    return ArmRun(traj, epochs, bb.max_epochs)


# ---------------------------------------------------------------------- harness jobs
ARM_OPTIONS = ("encoding", "blocks")  # ours; every other option goes to the scheduler
_BLACKBOXES: dict = {}  # per process: (table, encoding, blocks, seed_policy) -> blackbox


def check_arm(name: str, options: dict, budget: Budget, seed_policy="mean",
              miss: str = "restrict", table=None) -> None:
    """Fail before any work on what :func:`run_job` would refuse; with ``table``, also on what
    the export of that table would refuse (its space, the ``blocks`` asked for, the ``blocks``
    encoding on a table that is not closed)."""
    opt = get_optimizer(name)
    if budget.unlimited:
        raise ValueError(f"algorithm {name!r} needs a budget (models and/or seconds)")
    if miss == "surrogate":
        raise ValueError(f"{name}: miss='surrogate' is not supported for syne-tune arms "
                         "(they search the table's cells)")
    from syne_tune.optimizer import baselines

    params = set(inspect.signature(getattr(baselines, opt.cls)).parameters)
    unknown = sorted(set(options) - params - set(ARM_OPTIONS))
    if unknown:
        raise ValueError(f"unknown option(s) for {name}: {', '.join(unknown)}")
    if table is not None:
        from nasbench.integrations.synetune.export import table_cells
        from nasbench.tables import Benchmark

        bench = Benchmark.open(table)
        try:
            _, closed = table_cells(bench, options.get("blocks"))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        if options.get("encoding") == "blocks" and not closed:
            raise ValueError(f"{name}: the 'blocks' encoding needs a closed table ({bench.path} "
                             "is not closed at those block counts); use encoding='cell'")


def run_job(job: dict):
    """One harness job (see :func:`nasbench.search.harness.run_job`) for an ``st:`` arm:
    the trajectory frame with ``algorithm`` and ``seed`` columns in front."""
    options = dict(job.get("options", {}))
    mine = {k: options.pop(k) for k in ARM_OPTIONS if k in options}
    policy = job.get("seed_policy", "mean")
    key = (str(job["table"]), mine.get("encoding", "auto"), str(mine.get("blocks")), str(policy))
    if key not in _BLACKBOXES:
        _BLACKBOXES[key] = blackbox_for(job["table"], mine.get("encoding", "auto"),
                                        mine.get("blocks"), policy)
    run = run_arm(_BLACKBOXES[key], job["algorithm"], Budget(**job["budget"]), job["seed"],
                  **options)
    frame = run.frame()
    frame.insert(0, "seed", int(job["seed"]))
    frame.insert(0, "algorithm", job["algorithm"])
    return frame
