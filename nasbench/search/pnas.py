"""``pnas``: progressive sequential model-based optimisation (Liu et al., ECCV 2018, Alg. 1).

1. Evaluate every B1 cell (136 canonical cells; restricted replay: the table's B1 cells).
2. Fit the surrogate on every evaluated (arch, val_acc) (finite values only).
3. For b = 2 .. Bmax: take the parents (``parents='topk'``: the K best level-(b-1) cells by
   measured val_acc; ``'all'``: every cell evaluated at level b-1, the paper's literal
   S_{b-1}; both are the same when K >= |B1|), expand each to all its canonical b-block
   children (``pnas.expand``; restricted: only children in the table), predict every
   child with the surrogate, evaluate the top K by prediction (ties: canonical order),
   refit the surrogate on everything evaluated so far (the refit after the last level is
   skipped: nothing uses it).

Number of evaluations (without a budget cutting it short):

    |B1| + sum_{b=2}^{Bmax} min(K, |children_b|)  =  |B1| + (Bmax - 1) * K

when every level has at least K children (always true unrestricted for K <= 300, since a
single B1 cell has 300 B2 children). The paper's K=256, Bmax=5: 136 + 4 * 256 = 1,160.

``surrogate`` is a predictor registry name (``lstm``, ``mlp_ensemble``, ``xgboost``, ...)
with ``surrogate_params`` as hyper-parameters (``random_state`` defaults to a draw from
the run's rng), or a predictor instance (refitted; it must have fit/predict).

Other cell spaces work the same way through the evaluator's space (``space.enumerate(1)``,
``space.expand``; a two-cell genotype's children grow both cells by one block). Network
families have no b -> b+1 structure: their tables hold no B1 level and the search says so.
"""
from __future__ import annotations

import numpy as np

from nasbench.search.base import SearchContext, register


def make_surrogate(surrogate, params: dict | None, rng: np.random.Generator):
    """A fresh predictor from a registry name (or the given instance)."""
    from nasbench.predictors import create_predictor, get_predictor_class

    if not isinstance(surrogate, str):
        if not (callable(getattr(surrogate, "fit", None)) and callable(getattr(surrogate, "predict", None))):
            raise ValueError(f"surrogate must be a predictor name or have fit/predict, got {surrogate!r}")
        if params:
            raise ValueError("surrogate_params only apply to a surrogate given by name")
        return surrogate
    hp = dict(params or {})
    if "random_state" in get_predictor_class(surrogate)._param_names():
        hp.setdefault("random_state", int(rng.integers(2**31 - 1)))
    return create_predictor(surrogate, **hp)


def _fit(model, evaluated: dict[str, float]):
    archs = [a for a, v in evaluated.items() if np.isfinite(v)]
    if not archs:
        raise ValueError("PNAS cannot fit its surrogate: no evaluated cell has a finite val_acc")
    return model.fit(archs, [evaluated[a] for a in archs])


@register("pnas", needs_budget=False)
def pnas_search(ctx: SearchContext, rng: np.random.Generator, *, K: int = 256, Bmax: int = 5,
                surrogate="lstm", surrogate_params: dict | None = None,
                parents: str = "topk") -> None:
    """Progressive SMBO; see the module docstring."""
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise ValueError(f"K must be an integer >= 1, got {K!r}")
    if isinstance(Bmax, bool) or not isinstance(Bmax, (int, np.integer)) or not 1 <= Bmax <= 16:
        raise ValueError(f"Bmax must be an integer in 1..16, got {Bmax!r}")
    if parents not in ("topk", "all"):
        raise ValueError(f"parents must be 'topk' or 'all', got {parents!r}")
    space = ctx.space
    model = make_surrogate(surrogate, surrogate_params, rng)
    pool = ctx.pool([1])
    level = pool if pool is not None else [c.canonical_string for c in space.enumerate(1)]
    evaluated: dict[str, float] = {}  # canonical string -> val_acc, in evaluation order
    current = []  # (val_acc, order, arch) of this level
    for arch in level:
        r = ctx.evaluate(arch)
        evaluated[r.arch] = r.val_acc
        current.append(r)
    for b in range(2, Bmax + 1):
        _fit(model, evaluated)
        if parents == "topk":
            vals = np.array([r.val_acc for r in current], dtype=float)
            order = np.argsort(-np.where(np.isfinite(vals), vals, -np.inf), kind="stable")[:K]
            chosen = [current[i] for i in order]
        else:
            chosen = current
        children: set = set()
        for r in chosen:
            children.update(space.expand(r.arch))
        kids = sorted(c for c in children if c.canonical_string not in evaluated and ctx.contains(c))
        if not kids:
            return
        pred = np.asarray(model.predict(kids), dtype=float)
        top = np.argsort(-np.where(np.isfinite(pred), pred, -np.inf), kind="stable")[:K]
        current = []
        for i in top:
            r = ctx.evaluate(kids[i].canonical_string)
            evaluated[r.arch] = r.val_acc
            current.append(r)


def expected_evaluations(K: int, Bmax: int, b1: int = 136) -> int:
    """|B1| + (Bmax - 1) * K: the evaluation count when every level has >= K children."""
    return b1 + (Bmax - 1) * K
