"""The search interface: Budget, EvalResult, Trajectory, the run context and the registry.

An algorithm is registered as an :class:`Algorithm` whose body is
``body(ctx: SearchContext, rng: np.random.Generator, **options)``; callers use
``get_algorithm(name).run(evaluator, budget, seed, **options) -> Trajectory``.
The body sees only ``ctx.evaluate(arch)`` (which charges the budget and records the
trajectory) and ``ctx.pool(blocks)`` (the table's cells when the evaluator is restricted
to a table, else None). When the budget is spent, ``ctx.evaluate`` raises
:class:`BudgetExhausted`, which ``run`` turns into a normal return.

Budget semantics: ``models`` caps the number of evaluations (every call counts, repeats
included); ``seconds`` is checked on the evaluator's clock (simulated in replay,
wall-clock live) BEFORE each evaluation -- an evaluation starts only while
``elapsed < seconds``, so the last one may end past the budget (as in NAS-Bench-201).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from nasbench.search.trajectory import COLUMNS, EvalResult, Trajectory, best_so_far  # noqa: F401


class BudgetExhausted(Exception):
    """Raised by :meth:`SearchContext.evaluate` when no budget is left."""


@dataclass(frozen=True)
class Budget:
    """Stop after ``models`` evaluations and/or once ``seconds`` of evaluator clock passed."""

    models: int | None = None
    seconds: float | None = None

    def __post_init__(self):
        if self.models is not None:
            if isinstance(self.models, bool) or not isinstance(self.models, (int, np.integer)):
                raise ValueError(f"budget models must be an integer, got {self.models!r}")
            if self.models <= 0:
                raise ValueError(f"budget models must be > 0, got {self.models}")
        if self.seconds is not None:
            if isinstance(self.seconds, bool) or not isinstance(self.seconds, (int, float, np.number)):
                raise ValueError(f"budget seconds must be a number, got {self.seconds!r}")
            if not self.seconds > 0:
                raise ValueError(f"budget seconds must be > 0, got {self.seconds}")

    @property
    def unlimited(self) -> bool:
        return self.models is None and self.seconds is None

    def to_dict(self) -> dict:
        return {"models": self.models, "seconds": self.seconds}


class Evaluator(Protocol):
    """What algorithms rely on. ``elapsed`` is the evaluator's clock in seconds."""

    elapsed: float

    def evaluate(self, arch) -> EvalResult: ...

    def candidates(self, num_blocks: int) -> list[str] | None: ...


class SearchContext:
    """Charges the budget, keeps the clock relative to the run's start, records results."""

    def __init__(self, evaluator, budget: Budget, trajectory: Trajectory):
        self.evaluator = evaluator
        self.budget = budget
        self.trajectory = trajectory
        self._start = float(getattr(evaluator, "elapsed", 0.0))

    @property
    def elapsed(self) -> float:
        return float(self.evaluator.elapsed) - self._start

    @property
    def n(self) -> int:
        return len(self.trajectory)

    @property
    def space(self):
        """The evaluator's design space (a :class:`~nasbench.space.base.Space`; PNAS by default)."""
        from nasbench.space import get_space

        return get_space(getattr(self.evaluator, "space", "pnas"))

    @property
    def done(self) -> bool:
        b = self.budget
        return ((b.models is not None and self.n >= b.models)
                or (b.seconds is not None and self.elapsed >= b.seconds))

    def evaluate(self, arch) -> EvalResult:
        if self.done:
            raise BudgetExhausted
        result = self.evaluator.evaluate(arch)
        self.trajectory.append(result, self.elapsed)
        return result

    def evaluate_rows(self, rows: np.ndarray) -> int:
        """Vectorised :meth:`evaluate` of a ReplayEvaluator's index rows, cut where the
        budget would stop the one-by-one loop; returns how many were evaluated (raises
        BudgetExhausted when none could be)."""
        if self.done:
            raise BudgetExhausted
        b = self.budget
        m = len(rows)
        if b.models is not None:
            m = min(m, b.models - self.n)
        if b.seconds is not None and m:
            secs = self.evaluator.row_seconds(rows[:m])
            clock = np.cumsum(np.r_[self.evaluator.elapsed, secs])[:-1]  # clock before each
            late = np.flatnonzero(clock - self._start >= b.seconds)
            m = int(late[0]) if len(late) else m
        out = self.evaluator.evaluate_rows(rows[:m])
        self.trajectory.extend(out["arch"], out["num_blocks"], out["val_acc"], out["test_acc"],
                               out["train_seconds"], out["clock"] - self._start)
        return m

    def pool(self, blocks: Sequence[int]) -> list[str] | None:
        """The table's canonical cells with these block counts when the evaluator is
        restricted to a table (ValueError if there are none), else None."""
        get = getattr(self.evaluator, "candidates", None)
        if get is None or not getattr(self.evaluator, "restricted", False):
            return None
        out: list[str] = []
        for b in blocks:
            out += get(b)
        if not out:
            raise ValueError(f"the table has no cells with {format_blocks(blocks)} blocks "
                             f"(it has {getattr(self.evaluator, 'num_blocks', '?')})")
        return out

    def contains(self, arch) -> bool:
        """Whether a restricted evaluator can answer ``arch`` (True when unrestricted)."""
        if not getattr(self.evaluator, "restricted", False):
            return True
        return self.evaluator.contains(arch)


def format_blocks(blocks: Sequence[int]) -> str:
    return ",".join(map(str, blocks))


def parse_blocks(blocks, default: Sequence[int] = (1, 2, 3, 4, 5)) -> tuple[int, ...]:
    """``blocks`` (an int, a sequence of ints, or a '1-3' / '1,2' string) as a sorted tuple."""
    if blocks is None:
        return tuple(default)
    if isinstance(blocks, str):
        values: set[int] = set()
        try:
            for part in blocks.split(","):
                lo, _, hi = part.strip().partition("-")
                values.update(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            raise ValueError(f"blocks must look like '2' or '1-3' or '1,2', got {blocks!r}") from None
        out = tuple(sorted(values))
    elif isinstance(blocks, (int, np.integer)) and not isinstance(blocks, bool):
        out = (int(blocks),)
    else:
        out = tuple(sorted({int(b) for b in blocks}))
    if not out or out[0] < 1 or out[-1] > 16:
        raise ValueError(f"blocks must be in 1..16, got {blocks!r}")
    return out


def resolve_blocks(ctx: SearchContext, blocks) -> tuple[int, ...]:
    """``blocks=None`` means the whole space: the table's block counts when the evaluator
    is restricted to a table, else the space's default sizes (PNAS: 1..5)."""
    if blocks is None:
        if getattr(ctx.evaluator, "restricted", False):
            return tuple(ctx.evaluator.num_blocks)
        return tuple(ctx.space.default_sizes)
    blocks = parse_blocks(blocks)
    for b in blocks:
        ctx.space.check_size(b)
    return blocks


# ---------------------------------------------------------------------- registry
@dataclass(frozen=True)
class Algorithm:
    """A registered search algorithm; ``body(ctx, rng, **options)``."""

    name: str
    body: Callable
    needs_budget: bool = True

    @property
    def defaults(self) -> dict[str, Any]:
        sig = inspect.signature(self.body)
        return {p.name: p.default for p in list(sig.parameters.values())[2:]
                if p.kind == p.KEYWORD_ONLY}

    def run(self, evaluator, budget: Budget | None = None, seed: int | np.random.Generator = 0,
            **options) -> Trajectory:
        """Run on ``evaluator`` within ``budget``; deterministic for a fixed seed in replay.

        A KeyboardInterrupt propagates with the partial trajectory attached as
        ``exc.trajectory`` (its ``interrupted`` flag set)."""
        budget = Budget() if budget is None else budget
        if not isinstance(budget, Budget):
            raise ValueError(f"budget must be a Budget, got {type(budget).__name__}")
        if self.needs_budget and budget.unlimited:
            raise ValueError(f"algorithm {self.name!r} needs a budget (models and/or seconds)")
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            raise ValueError(f"unknown option(s) for {self.name}: {', '.join(unknown)}; "
                             f"known: {', '.join(self.defaults) or 'none'}")
        rng = np.random.default_rng(seed)
        meta = {"algorithm": self.name, "seed": seed if isinstance(seed, (int, np.integer)) else None,
                "budget": budget.to_dict(), "options": options}
        traj = Trajectory(meta)
        ctx = SearchContext(evaluator, budget, traj)
        try:
            self.body(ctx, rng, **options)
        except BudgetExhausted:
            pass
        except KeyboardInterrupt as exc:
            traj.interrupted = True
            exc.trajectory = traj
            raise
        return traj


ALGORITHMS: dict[str, Algorithm] = {}


def register(name: str, needs_budget: bool = True):
    """Decorator: register ``body`` under ``name``; returns the :class:`Algorithm`."""
    def wrap(body):
        algo = Algorithm(name, body, needs_budget)
        ALGORITHMS[name] = algo
        return algo
    return wrap
