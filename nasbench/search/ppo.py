"""``ppo``: the RL controller trained with PPO, as NASNet trained it (Zoph et al., CVPR 2018).

Same controller, decisions, masking and restricted-replay re-draws as ``rl``
(:mod:`nasbench.search.rl`); only the update differs. Each batch of ``batch_size`` sampled cells
is one set of one-step episodes: the action is the whole decision sequence, its probability
the product of the decisions' (NASNet A.2: "the joint probability of a child network is the
product of all probabilities at these 10B softmaxes"). With ``logp_old`` fixed at sampling
time, ``epochs`` full-batch Adam steps minimise the clipped surrogate (Schulman et al. 2017,
eq. 7) minus an entropy bonus::

    ratio = exp(logp - logp_old);  A = R - baseline
    loss  = -mean(min(ratio * A, clip(ratio, 1 - clip, 1 + clip) * A)) - entropy_weight * mean(H)

Defaults. From "Learning Transferable Architectures for Scalable Image Recognition"
(arXiv:1707.07012v4), Appendix A.2 "Controller architecture": one-layer LSTM with 100 hidden
units (``hidden=100``), PPO with learning rate 0.00035 (``lr``), entropy penalty weight 0.00001
(``entropy_weight``), baseline = exponential moving average of previous rewards with weight
0.95 (``baseline_decay``), weights uniform in [-0.1, 0.1]; Appendix A.3: the controller is
updated with minibatches of 20 architectures (``batch_size=20``). Checked against the
appendix text; the page number (p. 12-13 in the arXiv PDF) was not verified. NOT given by the
paper: the clip range, the epochs per batch, the optimizer and how the EMA weight is applied.
Ours: ``clip=0.2`` (Schulman et al. 2017, Sec. 6.1, the best setting in their Table 1),
``epochs=3`` (their Atari setting, Table 5), Adam, and ``b <- 0.95 b + 0.05 mean(R)`` started
at the first batch's mean (as ``rl``). NASNet's reward is the validation accuracy (A.2), as here.
"""
from __future__ import annotations

import numpy as np

from nasbench.search.base import SearchContext, register
from nasbench.search.rl import draw_batch, start


def clipped_loss(logp, logp_old, advantage, entropy, clip: float = 0.2, entropy_weight: float = 0.0):
    """PPO's clipped surrogate loss (to minimise) for one-step episodes; torch tensors [n]."""
    import torch

    ratio = torch.exp(logp - logp_old)
    surrogate = torch.minimum(ratio * advantage, torch.clamp(ratio, 1 - clip, 1 + clip) * advantage)
    return -surrogate.mean() - entropy_weight * entropy.mean()


@register("ppo")
def ppo_search(ctx: SearchContext, rng: np.random.Generator, *, blocks=None, batch_size: int = 20,
               lr: float = 3.5e-4, hidden: int = 100, entropy_weight: float = 1e-5,
               baseline_decay: float = 0.95, clip: float = 0.2, epochs: int = 3,
               max_redraws: int = 10_000) -> None:
    """PPO-trained controller with NASNet's defaults; see the module docstring."""
    import torch

    if int(epochs) < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if not 0 < clip < 1:
        raise ValueError(f"clip must be in (0, 1), got {clip}")
    ctrl, gen, opt, restricted = start(ctx, rng, blocks, hidden, lr, batch_size, baseline_decay)
    baseline = None
    while True:
        actions, R = draw_batch(ctx, ctrl, gen, int(batch_size), restricted, max_redraws)
        baseline = float(R.mean()) if baseline is None else baseline
        advantage = R - baseline
        with torch.no_grad():
            _, logp_old, _ = ctrl(len(R), actions=actions)
        for _ in range(int(epochs)):
            _, logp, ent = ctrl(len(R), actions=actions)
            loss = clipped_loss(logp, logp_old, advantage, ent, clip, entropy_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
        baseline = baseline_decay * baseline + (1 - baseline_decay) * float(R.mean())
