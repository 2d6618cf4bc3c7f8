"""Our tables inside syne-tune (optional extra ``[synetune]``; see docs/synetune.md).

* :func:`export`: a table as a syne-tune tabular blackbox (syne-tune's own ``serialize``;
  fidelity = epoch; objectives val/test accuracy and loss and cumulative ``elapsed_time``).
* :func:`load`: the exported blackbox through syne-tune's ``deserialize``, looked up by
  canonical cell (:class:`~nasbench.integrations.synetune.blackbox.CanonicalBlackbox`).
* :func:`run_arm`: a syne-tune optimizer (``ASHA``, ``BOHB``, ``REA``, ``RandomSearch``, ...)
  on a table through syne-tune's simulated backend, as one of our trajectories;
  :func:`check_arm` / :func:`run_job` plug ``st:NAME`` into ``nasbench.search.harness``.

Without syne-tune installed these raise ImportError naming what to install.
"""
from nasbench.integrations.synetune.encoding import CellEncoding, make_encoding
from nasbench.integrations.synetune.export import (FIDELITY, INSTALL, OBJECTIVES, export,
                                                   require_synetune)


def load(path, seed_policy=None, task=None):
    """The blackbox exported to ``path`` (see :mod:`.blackbox`)."""
    require_synetune()
    from nasbench.integrations.synetune.blackbox import load as _load

    return _load(path, seed_policy=seed_policy, task=task)


def run_arm(*args, **kwargs):
    """Run a syne-tune optimizer on a table (see :func:`.arms.run_arm`)."""
    require_synetune()
    from nasbench.integrations.synetune.arms import run_arm as _run

    return _run(*args, **kwargs)


def check_arm(name, options, budget, seed_policy="mean", miss="restrict", table=None):
    """The harness's plug-in check for ``st:NAME`` (ValueError, one line, before any work)."""
    try:
        require_synetune()
    except ImportError as exc:
        raise ValueError(f"{name}: {exc}") from None
    from nasbench.integrations.synetune.arms import check_arm as _check

    _check(name, options, budget, seed_policy, miss, table)


def run_job(job):
    """The harness's plug-in runner for ``st:NAME`` (see :func:`.arms.run_job`)."""
    from nasbench.integrations.synetune.arms import run_job as _run

    return _run(job)


__all__ = ["check_arm", "run_job", "CellEncoding", "FIDELITY", "INSTALL", "OBJECTIVES", "export", "load",
           "make_encoding", "require_synetune", "run_arm"]
