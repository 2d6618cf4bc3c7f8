"""The package version (its one home: ``nasbench.__version__`` and table provenance read it)."""
__version__ = "0.1.0"
