"""``lstm``: the PNAS surrogate (Liu et al., ECCV 2018, Sec. 3.3).

An LSTM reads a cell's canonical blocks as tokens ``in1, in2, op1, op2`` (shared embedding,
dim 100; one layer, hidden 100); the final hidden state goes through a linear layer and a
sigmoid. L1 loss, Adam with lr 0.01, as in the paper. Handles any number of blocks, so it
can be trained on cells of <= b blocks and rank cells of b+1 blocks.
"""
from __future__ import annotations

import numpy as np

from nasbench.predictors.base import Predictor
from nasbench.predictors.encoding import VOCAB_SIZE, encode_tokens, vocab_size


class LSTMPredictor(Predictor):
    """PNAS LSTM surrogate; see the module docstring.

    ``scale_targets`` maps training targets onto [0.1, 0.9] before the sigmoid (see
    ``nets.TargetScaler``); ``device`` is ``"cpu"`` by default (deterministic).
    """

    name = "lstm"

    def __init__(self, embed_dim: int = 100, hidden_size: int = 100, num_layers: int = 1,
                 epochs: int = 60, batch_size: int = 32, lr: float = 0.01,
                 weight_decay: float = 0.0, scale_targets: bool = True, device: str = "cpu",
                 random_state: int = 0):
        self.embed_dim = embed_dim
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.scale_targets = scale_targets
        self.device = device
        self.random_state = random_state

    def _make_net(self):
        from nasbench.predictors.nets import LSTMNet

        return LSTMNet(self.embed_dim, self.hidden_size, self.num_layers, vocab=getattr(self, "_vocab", VOCAB_SIZE))

    def _fit(self, cells, y):
        from nasbench.predictors.nets import TargetScaler, fit_net

        self._vocab = vocab_size(cells)
        self._scaler = TargetScaler.fit(y, self.scale_targets)
        tokens, lengths = encode_tokens(cells)
        self._net = fit_net(self._make_net, tokens, lengths, self._scaler.transform(y),
                            epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                            weight_decay=self.weight_decay, seed=self.random_state,
                            device=self.device)

    def _predict(self, cells):
        from nasbench.predictors.nets import predict_net

        tokens, lengths = encode_tokens(cells)
        return self._scaler.inverse(predict_net(self._net, tokens, lengths, self.device))

    def _get_state(self):
        from nasbench.predictors.nets import state_to_numpy

        state = state_to_numpy(self._net, "net.")
        state["scaler"] = np.array([self._scaler.lo, self._scaler.hi])
        state["vocab"] = np.array(self._vocab)
        return state

    def _set_state(self, state):
        from nasbench.predictors.nets import TargetScaler, net_from_state

        self._scaler = TargetScaler(*np.asarray(state["scaler"], dtype=float))
        self._vocab = int(state["vocab"]) if "vocab" in state else VOCAB_SIZE
        self._net = net_from_state(self._make_net, state, "net.", self.device)
