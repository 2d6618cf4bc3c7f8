"""nasbench: a tabular NAS benchmark for the PNAS cell space.

space -> model -> builder -> tables -> predictors / search / analysis -> cli
"""
from nasbench.space import Cell
from nasbench.version import __version__


def __getattr__(name):  # lazy: keep `import nasbench` light (no torch, no pyarrow)
    if name in ("Benchmark", "Oracle"):
        import nasbench.tables as tables

        return getattr(tables, name)
    raise AttributeError(f"module 'nasbench' has no attribute {name!r}")


__all__ = ["Benchmark", "Cell", "Oracle", "__version__"]
