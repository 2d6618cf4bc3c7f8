"""nasbench.search: random, PNAS (progressive SMBO), RL (REINFORCE or PPO controller) and
regularized evolution over the PNAS cell space; Replay / Live evaluators; a harness that
runs many seeds and compares algorithms.

    from nasbench.search import Budget, ReplayEvaluator, get_algorithm
    traj = get_algorithm("pnas").run(ReplayEvaluator("table/", miss="restrict"),
                                     Budget(models=500), seed=0, K=64, Bmax=3)
    traj.to_frame()

Adding an algorithm is one module with an ``@register(name)`` body plus one import here.
"""
from nasbench.search.base import (ALGORITHMS, Algorithm, Budget, BudgetExhausted, EvalResult,
                                  Evaluator, SearchContext, Trajectory, register)
from nasbench.search.evaluators import LiveEvaluator, ReplayEvaluator, SyntheticEvaluator
from nasbench.search import evolution, pnas, ppo, random_search, rl  # noqa: F401 - registers them


def get_algorithm(name: str) -> Algorithm:
    """The algorithm registered under ``name`` (ValueError naming the known ones)."""
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"unknown search algorithm {name!r}; known: "
                         f"{', '.join(sorted(ALGORITHMS))}") from None

__all__ = ["ALGORITHMS", "Algorithm", "Budget", "BudgetExhausted", "EvalResult", "Evaluator",
           "LiveEvaluator", "ReplayEvaluator", "SearchContext", "SyntheticEvaluator",
           "Trajectory", "get_algorithm", "register"]
