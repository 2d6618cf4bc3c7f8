"""Torch networks of the PNAS surrogates and the one training loop they share.

Imported lazily by ``lstm.py`` and ``mlp.py`` so that importing ``nasbench.predictors``
does not import torch.

* :class:`LSTMNet` — PNAS Sec. 3.3: tokens ``in1, in2, op1, op2`` per block go through one
  shared embedding table, a one-layer LSTM; its final hidden state → linear → sigmoid.
* :class:`BlockMLPNet` — PNAS: each block's 4 token embeddings are concatenated, the
  block vectors averaged over the cell's blocks, then an MLP (ReLU) → sigmoid.

Both take ``tokens [n, B, 4]`` (0-padded) and ``lengths [n]`` (blocks per cell), so one batch
may mix cells of any number of blocks.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from nasbench.predictors.encoding import PAD, TOKENS_PER_BLOCK, VOCAB_SIZE


class LSTMNet(nn.Module):
    """Embedding → LSTM over the flattened block tokens → final hidden state → sigmoid."""

    def __init__(self, embed_dim: int, hidden_size: int, num_layers: int = 1, vocab: int = VOCAB_SIZE):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed_dim, padding_idx=PAD)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        n = tokens.shape[0]
        emb = self.embed(tokens.reshape(n, -1))
        packed = pack_padded_sequence(emb, (lengths * TOKENS_PER_BLOCK).cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return torch.sigmoid(self.head(h[-1])).squeeze(-1)


class BlockMLPNet(nn.Module):
    """Per-block concatenated token embeddings, averaged over blocks, → MLP → sigmoid."""

    def __init__(self, embed_dim: int, hidden_sizes: Sequence[int], vocab: int = VOCAB_SIZE):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed_dim, padding_idx=PAD)
        layers: list[nn.Module] = []
        width = TOKENS_PER_BLOCK * embed_dim
        for h in hidden_sizes:
            layers += [nn.Linear(width, int(h)), nn.ReLU()]
            width = int(h)
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        n, b, _ = tokens.shape
        blocks = self.embed(tokens).reshape(n, b, -1)
        mask = (torch.arange(b, device=tokens.device)[None, :] < lengths[:, None]).to(blocks.dtype)
        pooled = (blocks * mask[..., None]).sum(1) / lengths[:, None].to(blocks.dtype)
        return torch.sigmoid(self.mlp(pooled)).squeeze(-1)


class TargetScaler:
    """Affine map of the training targets onto [0.1, 0.9], inside the sigmoid's range.

    The paper feeds accuracies straight to the sigmoid; rescaling lets the same nets fit any
    target (seconds, narrow accuracy ranges) and leaves room to extrapolate (b → b+1).
    """

    LOW, HIGH = 0.1, 0.9

    def __init__(self, lo: float, hi: float):
        self.lo, self.hi = float(lo), float(hi)

    @classmethod
    def fit(cls, y: np.ndarray, enabled: bool) -> "TargetScaler":
        if not enabled:
            return cls(cls.LOW, cls.HIGH)  # identity map
        return cls(float(np.min(y)), float(np.max(y)))

    @property
    def _span(self) -> float:
        return self.hi - self.lo if self.hi > self.lo else 1.0

    def transform(self, y: np.ndarray) -> np.ndarray:
        return self.LOW + (y - self.lo) / self._span * (self.HIGH - self.LOW)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return self.lo + (z - self.LOW) / (self.HIGH - self.LOW) * self._span


def fit_net(make_net: Callable[[], nn.Module], tokens: np.ndarray, lengths: np.ndarray,
            y: np.ndarray, *, epochs: int, batch_size: int, lr: float, weight_decay: float,
            seed: int, device: str = "cpu") -> nn.Module:
    """Build a net and train it with Adam on the L1 loss; deterministic for a fixed seed.

    Weight init uses torch's RNG seeded inside ``fork_rng`` (the caller's global RNG state is
    untouched); minibatch order comes from a local numpy Generator.
    """
    if epochs < 0 or batch_size < 1:
        raise ValueError(f"need epochs >= 0 and batch_size >= 1, got {epochs} and {batch_size}")
    rng = np.random.default_rng(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = make_net().to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.L1Loss()
    t_tokens = torch.from_numpy(tokens).to(device)
    t_lengths = torch.from_numpy(lengths).to(device)
    t_y = torch.from_numpy(y.astype(np.float32)).to(device)
    n = len(y)
    net.train()
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(n)).to(device)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            lens = t_lengths[idx]
            batch = t_tokens[idx, : int(lens.max())]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(batch, lens), t_y[idx])
            loss.backward()
            opt.step()
    net.eval()
    return net


@torch.no_grad()
def predict_net(net: nn.Module, tokens: np.ndarray, lengths: np.ndarray, device: str = "cpu",
                batch_size: int = 4096) -> np.ndarray:
    """Net outputs (sigmoid scale) for all rows, in order."""
    net.eval()
    out = []
    for start in range(0, len(lengths), batch_size):
        lens = torch.from_numpy(lengths[start:start + batch_size]).to(device)
        batch = torch.from_numpy(tokens[start:start + batch_size, : int(lens.max())]).to(device)
        out.append(net(batch, lens).float().cpu().numpy())
    return np.concatenate(out).astype(np.float64)


def state_to_numpy(net: nn.Module, prefix: str = "") -> dict[str, np.ndarray]:
    return {prefix + k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}


def net_from_state(make_net: Callable[[], nn.Module], state: dict[str, np.ndarray],
                   prefix: str = "", device: str = "cpu") -> nn.Module:
    """A net built by ``make_net`` with weights from :func:`state_to_numpy` output."""
    net = make_net()
    wanted = net.state_dict().keys()
    missing = [k for k in wanted if prefix + k not in state]
    if missing:
        raise ValueError(f"model file lacks weights {missing[0]!r} (hyper-parameters changed?)")
    net.load_state_dict({k: torch.from_numpy(np.array(state[prefix + k])) for k in wanted})
    return net.to(device).eval()
