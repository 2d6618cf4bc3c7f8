"""``rl``: a NASNet-style LSTM controller trained with REINFORCE (Zoph et al., 2018).

The controller (torch) emits, per block k = 1..B, four decisions in NASNet's order:
``in1, in2, op1, op2``; inputs are masked to the legal range 0..k (0, 1 = cell inputs,
j >= 2 = block j-1; in ``distinct`` spaces such as DARTS in2 != in1), so every sampled cell is
valid. In two-cell spaces (NASNet, Amoeba, ENAS, DARTS) it emits the normal cell's blocks, then
the reduction cell's, as NASNet's controller does; ops come from the space's vocabulary. In a
network family (ResNet, ...) it emits, per stage, one choice per field (depth, width, ...).
The space says which (``Space.decisions``) and turns a decoded sample into its genotype
(``Space.from_decisions``), so a new genotype kind drives it by choosing one of these
layouts. With a B range the first decision is
the number of blocks (``blocks=None``: the whole space -- the table's block counts when
restricted, else 1..5). Each step feeds the embedding of the previous decision into one
LSTM cell; separate linear heads score inputs, ops and block counts. Parameters start
uniform in [-0.1, 0.1] (NASNet) from a generator seeded by the run's rng, so a replay
run is deterministic on CPU.

Training: ``batch_size`` cells are sampled, evaluated (reward = val_acc; NaN -> 0), and
one Adam step minimises ``-mean((R - baseline) * log p(cell)) - entropy_weight * mean(H)``;
the baseline is an exponential moving average of the batch mean reward
(``b <- decay * b + (1 - decay) * mean R``, started at the first batch's mean).
Restricted replay: a sampled cell outside the table is re-drawn (the policy is
conditioned on the table); after ``max_redraws`` misses in a row, ValueError.
``ppo`` (:mod:`nasbench.search.ppo`) trains the same controller with PPO, as NASNet did; both
use :func:`start` and :func:`draw_batch`.
"""
from __future__ import annotations

import numpy as np

from nasbench.search.base import SearchContext, parse_blocks, register, resolve_blocks
from nasbench.space import get_space
from nasbench.space.base import Decisions


def _controller_class():
    import torch
    from torch import nn

    class Controller(nn.Module):
        """LSTM policy over (number of blocks,) then (in1, in2, op1, op2) per block and cell,
        or per-stage field choices for a network family."""

        def __init__(self, blocks: tuple[int, ...], hidden: int, layout: Decisions):
            super().__init__()
            num_ops, cells, distinct = layout.num_ops, layout.cells, layout.distinct
            fields, stages = layout.fields, layout.stages
            self.blocks, self.num_ops, self.cells, self.distinct = blocks, num_ops, cells, distinct
            self.fields, self.stages = fields, stages
            self.bmax = max(blocks)
            self.n_inputs = self.bmax + 1
            # vocabulary: start, inputs 0..bmax, ops, block-count choices, family field values
            field_vocab = sum(size for _, size in fields)
            self.embed = nn.Embedding(1 + self.n_inputs + num_ops + len(blocks) + field_vocab, hidden)
            self.cell = nn.LSTMCell(hidden, hidden)
            self.input_head = nn.Linear(hidden, self.n_inputs)
            self.op_head = nn.Linear(hidden, num_ops)
            self.b_head = nn.Linear(hidden, len(blocks))
            self.field_heads = nn.ModuleList(nn.Linear(hidden, size) for _, size in fields)
            offsets, start = [], 1 + self.n_inputs + num_ops + len(blocks)
            for _, size in fields:
                offsets.append(start)
                start += size
            self.field_offsets = offsets

        def steps(self):
            """(kind, k) per decision; kind 'b', 'in', 'op' (k: the 1-based block) or 'f'
            (k: the field index)."""
            out = [("b", 0)] if len(self.blocks) > 1 else []
            if self.fields:
                return out + [("f", i) for _ in range(self.stages) for i in range(len(self.fields))]
            for _ in range(self.cells):
                for k in range(1, self.bmax + 1):
                    out += [("in", k), ("in", k), ("op", k), ("op", k)]
            return out

        def forward(self, n: int, actions=None, gen=None):
            """Sample ``n`` decision sequences (``actions=None``) or score given ones.
            Returns (actions [n, steps], log_prob [n], entropy [n])."""
            h = torch.zeros(n, self.cell.hidden_size)
            c = torch.zeros_like(h)
            x = self.embed(torch.zeros(n, dtype=torch.long))
            logp = torch.zeros(n)
            ent = torch.zeros(n)
            nb = torch.full((n,), self.blocks[0], dtype=torch.long)
            taken = []
            blocks_t = torch.tensor(self.blocks)
            first_in = None
            for j, (kind, k) in enumerate(self.steps()):
                h, c = self.cell(x, (h, c))
                if kind == "b":
                    logits, offset = self.b_head(h), 1 + self.n_inputs + self.num_ops
                elif kind == "f":
                    logits, offset = self.field_heads[k](h), self.field_offsets[k]
                elif kind == "in":
                    mask = (torch.arange(self.n_inputs) > k).expand(n, -1)
                    if self.distinct and first_in is not None:
                        mask = mask | (torch.arange(self.n_inputs) == first_in[:, None])
                    logits = self.input_head(h).masked_fill(mask, float("-inf"))
                    offset = 1
                else:
                    logits, offset = self.op_head(h), 1 + self.n_inputs
                dist = torch.distributions.Categorical(logits=logits)
                if actions is None:
                    a = torch.multinomial(dist.probs, 1, generator=gen).squeeze(1)
                else:
                    a = actions[:, j]
                active = torch.ones(n) if kind in ("b", "f") else (nb >= k).float()
                logp = logp + dist.log_prob(a) * active
                ent = ent + dist.entropy() * active
                if kind == "b":
                    nb = blocks_t[a]
                first_in = a if kind == "in" and first_in is None else None
                taken.append(a)
                x = self.embed(a + offset)
            return torch.stack(taken, 1), logp, ent

        def decode(self, actions) -> list[tuple]:
            """Decision rows -> per cell, block tuples ((op1, in1), (op2, in2)) of the chosen B
            (a family: per field, the value indices of the stages)."""
            out = []
            for row in actions.tolist():
                j = 0
                b = self.blocks[0]
                if len(self.blocks) > 1:
                    b, j = self.blocks[row[0]], 1
                if self.fields:
                    picks = row[j:]
                    nf = len(self.fields)
                    out.append(tuple(tuple(picks[s * nf + i] for s in range(self.stages)) for i in range(nf)))
                    continue
                cells = []
                for _ in range(self.cells):
                    blocks = []
                    for k in range(self.bmax):
                        in1, in2, op1, op2 = row[j:j + 4]
                        if k < b:
                            blocks.append(((op1, in1), (op2, in2)))
                        j += 4
                    cells.append(tuple(blocks))
                out.append(cells[0] if self.cells == 1 else tuple(cells))
            return out

    return Controller


def make_controller(blocks, hidden: int = 64, seed: int = 0, space=None):
    """A controller for ``space`` (default PNAS) with parameters uniform in [-0.1, 0.1] drawn
    from ``seed``; its decision layout is what the space gives (``Space.decisions``)."""
    import torch

    space = space or get_space("pnas")
    blocks = parse_blocks(blocks)
    ctrl = _controller_class()(blocks, hidden, space.decisions(blocks))
    ctrl.space = space
    gen = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for p in ctrl.parameters():
            p.copy_(torch.rand(p.shape, generator=gen) * 0.2 - 0.1)
    return ctrl


def sample_cells(ctrl, n: int, gen):
    """``n`` sampled (actions, cells) from the controller, without gradients."""
    import torch

    with torch.no_grad():
        actions, _, _ = ctrl(n, gen=gen)
    return actions, [ctrl.space.from_decisions(d) for d in ctrl.decode(actions)]


def draw_batch(ctx: SearchContext, ctrl, gen, batch_size: int, restricted: bool, max_redraws: int):
    """Sample ``batch_size`` cells (in restricted replay, re-drawing cells the table lacks),
    evaluate them and return (actions [n, steps], rewards [n]: val_acc, NaN -> 0)."""
    import torch

    kept, misses = [], 0
    while len(kept) < batch_size:
        actions, cells = sample_cells(ctrl, batch_size, gen)
        for a, cell in zip(actions, cells):
            if len(kept) < batch_size and (not restricted or ctx.contains(cell)):
                kept.append((a, cell))
                misses = 0
            elif restricted and len(kept) < batch_size:
                misses += 1
                if misses >= max_redraws:
                    raise ValueError(f"the RL controller drew {misses} cells in a row that the "
                                     "table does not hold; use miss='surrogate' or a denser table")
    rewards = []
    for _, cell in kept:
        r = ctx.evaluate(cell).val_acc
        rewards.append(r if np.isfinite(r) else 0.0)
    return torch.stack([a for a, _ in kept]), torch.tensor(rewards, dtype=torch.float32)


def start(ctx: SearchContext, rng: np.random.Generator, blocks, hidden: int, lr: float,
          batch_size: int, baseline_decay: float):
    """Check the options and build (controller, sampling generator, Adam, restricted?) from
    the run's rng (the controller's seed first, then the generator's)."""
    import torch

    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not 0 <= baseline_decay < 1:
        raise ValueError(f"baseline_decay must be in [0, 1), got {baseline_decay}")
    blocks = resolve_blocks(ctx, blocks)
    restricted = ctx.pool(blocks) is not None  # also: ValueError if the table has none
    ctrl = make_controller(blocks, int(hidden), int(rng.integers(2**62)), space=ctx.space)
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    return ctrl, gen, torch.optim.Adam(ctrl.parameters(), lr=lr), restricted


@register("rl")
def rl_search(ctx: SearchContext, rng: np.random.Generator, *, blocks=None, batch_size: int = 8,
              lr: float = 0.01, hidden: int = 64, entropy_weight: float = 1e-3,
              baseline_decay: float = 0.9, max_redraws: int = 10_000) -> None:
    """REINFORCE with an EMA baseline and an entropy bonus; see the module docstring."""
    ctrl, gen, opt, restricted = start(ctx, rng, blocks, hidden, lr, batch_size, baseline_decay)
    baseline = None
    while True:
        actions, R = draw_batch(ctx, ctrl, gen, int(batch_size), restricted, max_redraws)
        baseline = float(R.mean()) if baseline is None else baseline
        _, logp, ent = ctrl(len(R), actions=actions)
        loss = -((R - baseline) * logp).mean() - entropy_weight * ent.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        baseline = baseline_decay * baseline + (1 - baseline_decay) * float(R.mean())
