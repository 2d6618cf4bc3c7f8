"""Two-sample Kolmogorov-Smirnov tests between (weighted) error EDFs, and KS matrices.

D = sup_e |F1(e) - F2(e)|, computed exactly over the union of sample points (the sup of two
step functions is reached at a jump). Unweighted tests take the p-value from
``scipy.stats.ks_2samp``. Weighted tests (no closed form) use a permutation test.

Permutation scheme (weighted, or when strata are given). Each model keeps a *slot*: its
space and weight. Errors are shuffled among slots within strata; the slots, hence each
space's weight vector, never change, and D is recomputed. p = (1 + #{D_perm >= D}) /
(1 + n_permutations), never 0. For complexity-normalized weights pass the complexity bins as
strata: within a bin every model of a space has the same weight 1 / (n_sb * n_bins), and the
shuffle keeps n_sb, so this equals "permute space labels within bins and recompute the
normalization weights". It is exact under the null the normalization is built on: inside a
complexity bin, the spaces' errors are exchangeable. Why not plain label permutation: the
spaces' complexity distributions differ, so models are not exchangeable across spaces
(errors depend on complexity); and recomputing weights after an unstratified shuffle balances
the bins, which shrinks the weights' spread, narrows the null distribution of D, and makes
the test anti-conservative. Without strata the null is "errors exchangeable across slots".
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from nasbench.analysis._util import as_rng, check_errors, check_weights

#: Cap on floats held at once by the permutation loop (n_permutations x n_models chunks).
_CHUNK_FLOATS = 4_000_000


@dataclass(frozen=True)
class KSResult:
    """Statistic, p-value, method ('ks_2samp' or 'permutation') and sample sizes."""

    statistic: float
    pvalue: float
    method: str
    n1: int
    n2: int
    n_permutations: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _sample(errors, weights, strata, name: str):
    e = check_errors(errors, name)
    w = check_weights(weights, e.size, f"weights of {name}")
    s = np.zeros(e.size, dtype=int) if strata is None else np.asarray(strata)
    if s.shape != e.shape:
        raise ValueError(f"strata of {name} have shape {s.shape}, expected {e.shape}")
    keep = w > 0
    return e[keep], w[keep], s[keep]


def _sup_diff(values: np.ndarray, signed: np.ndarray) -> np.ndarray:
    """max |cumsum| of signed weights over pooled values (last axis), at tie-group ends."""
    order = np.argsort(values, kind="stable")
    v = values[order]
    ends = np.append(v[1:] != v[:-1], True)
    return np.abs(np.cumsum(signed[..., order], axis=-1)[..., ends]).max(axis=-1)


def ks_statistic(a, b, weights_a=None, weights_b=None) -> float:
    """Exact D = sup |F_a - F_b| between two (weighted) EDFs."""
    ea, wa, _ = _sample(a, weights_a, None, "a")
    eb, wb, _ = _sample(b, weights_b, None, "b")
    return float(_sup_diff(np.concatenate((ea, eb)), np.concatenate((wa, -wb))))


def ks_test(a, b, weights_a=None, weights_b=None, strata_a=None, strata_b=None,
            n_permutations: int = 1000, rng: np.random.Generator | int = 0) -> KSResult:
    """Two-sample KS test; ks_2samp when unweighted and unstratified, else permutations."""
    if (strata_a is None) != (strata_b is None):
        raise ValueError("give strata for both samples or for neither")
    ea, wa, sa = _sample(a, weights_a, strata_a, "a")
    eb, wb, sb = _sample(b, weights_b, strata_b, "b")
    if weights_a is None and weights_b is None and strata_a is None:
        from scipy.stats import ks_2samp

        res = ks_2samp(ea, eb)
        return KSResult(float(res.statistic), float(res.pvalue), "ks_2samp", ea.size, eb.size)
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be >= 1, got {n_permutations}")
    values = np.concatenate((ea, eb))
    signed = np.concatenate((wa, -wb))
    d_obs = float(_sup_diff(values, signed))
    d_perm = _permuted_sups(values, signed, np.concatenate((sa, sb)), n_permutations, as_rng(rng))
    p = (1 + int(np.sum(d_perm >= d_obs - 1e-12))) / (1 + n_permutations)
    return KSResult(d_obs, p, "permutation", ea.size, eb.size, n_permutations)


def _permuted_sups(values, signed, strata, n_permutations, rng) -> np.ndarray:
    """D for n_permutations shuffles of the errors among slots within strata."""
    _, dense = np.unique(strata, return_inverse=True)
    by_stratum = np.argsort(dense, kind="stable")  # models grouped by stratum
    key = dense[by_stratum].astype(float)
    slot_weights = signed[by_stratum]
    order = np.argsort(values, kind="stable")
    v = values[order]
    ends = np.append(v[1:] != v[:-1], True)
    # column k of a shuffle = sorted value k, found at position pos[k] of the stratum order
    pos = np.argsort(by_stratum)[order]
    out = []
    chunk = max(1, _CHUNK_FLOATS // values.size)
    for start in range(0, n_permutations, chunk):
        m = min(chunk, n_permutations - start)
        # keys in [k, k+1) keep each shuffle inside stratum k
        perm = np.argsort(key + rng.random((m, values.size)), axis=1)
        sw = slot_weights[perm[:, pos]]
        out.append(np.abs(np.cumsum(sw, axis=1)[:, ends]).max(axis=1))
    return np.concatenate(out)


def ks_matrix(errors, labels, weights=None, strata=None, n_permutations: int = 1000,
              rng: np.random.Generator | int = 0):
    """KS tests between every pair of spaces, as a long DataFrame (one row per pair a < b).

    ``labels`` gives the space of each model; ``weights`` (e.g. normalization weights) and
    ``strata`` (e.g. complexity bins) are per model and passed on to :func:`ks_test`.
    """
    import pandas as pd

    e = check_errors(errors)
    lab = np.asarray(labels).astype(str)
    if lab.shape != e.shape:
        raise ValueError(f"labels have shape {lab.shape}, errors have {e.shape}")
    w = None if weights is None else np.asarray(weights, dtype=float)
    st = None if strata is None else np.asarray(strata)
    gen = as_rng(rng)
    spaces = list(dict.fromkeys(lab.tolist()))
    rows = []
    for i, sa in enumerate(spaces):
        for sb in spaces[i + 1:]:
            ma, mb = lab == sa, lab == sb
            res = ks_test(e[ma], e[mb],
                          None if w is None else w[ma], None if w is None else w[mb],
                          None if st is None else st[ma], None if st is None else st[mb],
                          n_permutations=n_permutations, rng=gen)
            rows.append({"a": sa, "b": sb, **res.to_dict()})
    columns = ["a", "b", "statistic", "pvalue", "method", "n1", "n2", "n_permutations"]
    return pd.DataFrame(rows, columns=columns)


def square(pairs, value: str = "statistic"):
    """k x k DataFrame of one column of :func:`ks_matrix` (diagonal 0 for D, 1 for p)."""
    import pandas as pd

    spaces = list(dict.fromkeys(list(pairs["a"]) + list(pairs["b"])))
    diag = 1.0 if value == "pvalue" else 0.0
    out = pd.DataFrame(diag, index=spaces, columns=spaces, dtype=float)
    for row in pairs.itertuples(index=False):
        out.loc[row.a, row.b] = out.loc[row.b, row.a] = getattr(row, value)
    return out
