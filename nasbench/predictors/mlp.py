"""``mlp_ensemble``: the PNAS MLP surrogate, as an ensemble of 5 (Liu et al., ECCV 2018).

Each member embeds a block's tokens ``in1, in2, op1, op2`` (dim 100), concatenates them,
averages the block vectors over the cell, and applies an MLP (2 hidden layers of 100, ReLU)
and a sigmoid; L1 loss, Adam lr 0.01. PNAS found an ensemble of 5 MLPs the best at ranking
b+1-block cells after training on <= b blocks. Members differ in seed and in their training
subset (a bootstrap sample, or all folds but one); ``predict_dist`` gives the members' mean
and standard deviation.
"""
from __future__ import annotations

import numpy as np

from nasbench.predictors.base import Predictor
from nasbench.predictors.encoding import VOCAB_SIZE, encode_tokens, vocab_size

SUBSAMPLES = ("bootstrap", "folds", "none")


class MLPEnsemblePredictor(Predictor):
    """Ensemble of PNAS MLPs; see the module docstring.

    ``subsample``: ``bootstrap`` (each member on n rows drawn with replacement), ``folds``
    (member i on all folds but fold i) or ``none`` (all rows; seeds differ only).
    """

    name = "mlp_ensemble"

    def __init__(self, n_members: int = 5, embed_dim: int = 100,
                 hidden_sizes: tuple[int, ...] = (100, 100), epochs: int = 60,
                 batch_size: int = 32, lr: float = 0.01, weight_decay: float = 0.0,
                 subsample: str = "bootstrap", scale_targets: bool = True,
                 device: str = "cpu", random_state: int = 0):
        self.n_members = n_members
        self.embed_dim = embed_dim
        self.hidden_sizes = hidden_sizes
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.subsample = subsample
        self.scale_targets = scale_targets
        self.device = device
        self.random_state = random_state

    def _make_net(self):
        from nasbench.predictors.nets import BlockMLPNet

        return BlockMLPNet(self.embed_dim, self.hidden_sizes, vocab=getattr(self, "_vocab", VOCAB_SIZE))

    def _member_rows(self, n: int, rng: np.random.Generator) -> list[np.ndarray]:
        if self.subsample == "bootstrap":
            return [rng.integers(0, n, size=n) for _ in range(self.n_members)]
        if self.subsample == "folds":
            folds = np.array_split(rng.permutation(n), self.n_members)
            rows = [np.setdiff1d(np.arange(n), fold) for fold in folds]
            return [r if r.size else np.arange(n) for r in rows]
        return [np.arange(n) for _ in range(self.n_members)]

    def _fit(self, cells, y):
        from nasbench.predictors.nets import TargetScaler, fit_net

        if self.subsample not in SUBSAMPLES:
            raise ValueError(f"subsample must be one of {', '.join(SUBSAMPLES)}, got {self.subsample!r}")
        if int(self.n_members) < 1:
            raise ValueError(f"n_members must be >= 1, got {self.n_members}")
        self._vocab = vocab_size(cells)
        self._scaler = TargetScaler.fit(y, self.scale_targets)
        z = self._scaler.transform(y)
        tokens, lengths = encode_tokens(cells)
        seq = np.random.SeedSequence(self.random_state)
        rng = np.random.default_rng(seq)
        seeds = [int(s.generate_state(1)[0]) for s in seq.spawn(self.n_members)]
        self._nets = []
        for rows, seed in zip(self._member_rows(len(y), rng), seeds):
            self._nets.append(fit_net(self._make_net, tokens[rows], lengths[rows], z[rows],
                                      epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                                      weight_decay=self.weight_decay, seed=seed,
                                      device=self.device))

    def _member_predictions(self, cells) -> np.ndarray:
        from nasbench.predictors.nets import predict_net

        tokens, lengths = encode_tokens(cells)
        return np.stack([self._scaler.inverse(predict_net(net, tokens, lengths, self.device))
                         for net in self._nets])

    def _predict(self, cells):
        return self._member_predictions(cells).mean(axis=0)

    def predict_dist(self, archs) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of the members' predictions."""
        from nasbench.predictors.encoding import as_cells

        self._check_fitted()
        cells = as_cells(archs)
        if not cells:
            return np.empty(0), np.empty(0)
        preds = self._member_predictions(cells)
        return preds.mean(axis=0), preds.std(axis=0)

    def _get_state(self):
        from nasbench.predictors.nets import state_to_numpy

        state = {"scaler": np.array([self._scaler.lo, self._scaler.hi]), "vocab": np.array(self._vocab)}
        for i, net in enumerate(self._nets):
            state.update(state_to_numpy(net, f"member{i}."))
        return state

    def _set_state(self, state):
        from nasbench.predictors.nets import TargetScaler, net_from_state

        self._scaler = TargetScaler(*np.asarray(state["scaler"], dtype=float))
        self._vocab = int(state["vocab"]) if "vocab" in state else VOCAB_SIZE
        self._nets = [net_from_state(self._make_net, state, f"member{i}.", self.device)
                      for i in range(int(self.n_members))]
