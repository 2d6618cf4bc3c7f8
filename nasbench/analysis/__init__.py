"""Design-space analysis (Radosavovic et al., "On Network Design Spaces", ICCV 2019).

Error EDFs (optionally weighted), complexity-normalized weights, KS tests and matrices,
random-search efficiency, sample-size studies, Pareto fronts, plots and a one-call report.
Everything works on plain numpy arrays; :func:`load_runs` turns a table folder into one row
per architecture. Plots import matplotlib lazily.
"""
from nasbench.analysis.data import Groups, errors_of, load_runs, load_tables, split_groups
from nasbench.analysis.edf import EDF, edf, edf_on_grid
from nasbench.analysis.ks import KSResult, ks_matrix, ks_statistic, ks_test, square
from nasbench.analysis.normalize import Normalization, complexity_weights
from nasbench.analysis.pareto import best_at_most, pareto_front
from nasbench.analysis.random_search import (expected_min, min_error_moments,
                                             random_search_curve, simulate_min)
from nasbench.analysis.report import write_report
from nasbench.analysis.sampling import (TrapResult, point_estimate_trap, sample_size_curve,
                                        trap_sizes)

__all__ = [
    "EDF", "Groups", "KSResult", "Normalization", "TrapResult", "best_at_most",
    "complexity_weights", "edf", "edf_on_grid", "errors_of", "expected_min", "ks_matrix",
    "ks_statistic", "ks_test", "load_runs", "load_tables", "min_error_moments",
    "pareto_front", "point_estimate_trap", "random_search_curve", "sample_size_curve",
    "simulate_min", "split_groups", "square", "trap_sizes", "write_report",
]
