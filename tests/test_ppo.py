"""PPO beside REINFORCE: the clipped objective against a hand computation, learning on a toy
reward with the real controller, NASNet's defaults, and replay / live searches that accept it."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from builder_helpers import tiny_protocol
from nasbench.search import Budget, LiveEvaluator, ReplayEvaluator, SyntheticEvaluator, get_algorithm
from nasbench.search.ppo import clipped_loss
from nasbench.space import parse_arch
from nasbench.tables import Benchmark

pytestmark = pytest.mark.usefixtures("one_thread")


def test_clipped_objective_matches_a_hand_computation():
    # ratios 2.0 (A=+1: clipped to 1.2), 0.5 (A=-2: clipped side -1.6 is the min), 1.1 (A=+1: inside)
    logp_old = torch.log(torch.tensor([0.25, 0.4, 0.5]))
    logp = torch.log(torch.tensor([0.5, 0.2, 0.55])).requires_grad_(True)
    adv = torch.tensor([1.0, -2.0, 1.0])
    ent = torch.tensor([1.0, 3.0, 2.0])
    loss = clipped_loss(logp, logp_old, adv, ent, clip=0.2, entropy_weight=0.1)
    expected = -(1.2 - 1.6 + 1.1) / 3 - 0.1 * 2.0
    assert math.isclose(float(loss.detach()), expected, rel_tol=1e-6)
    loss.backward()
    # clipped terms pass no gradient; d/dlogp of -ratio*A/3 at ratio 1.1, A 1 is -1.1/3
    assert torch.allclose(logp.grad, torch.tensor([0.0, 0.0, -1.1 / 3]), atol=1e-6)
    # a ratio below 1 - clip with a positive advantage is NOT clipped (min keeps 0.5 * A)
    low = clipped_loss(torch.log(torch.tensor([0.1])), torch.log(torch.tensor([0.2])), torch.tensor([1.0]),
                       torch.zeros(1), clip=0.2)
    assert math.isclose(float(low), -0.5, rel_tol=1e-6)


def test_defaults_are_nasnets():
    d = get_algorithm("ppo").defaults
    assert (d["lr"], d["entropy_weight"], d["baseline_decay"], d["hidden"], d["batch_size"]) == (
        3.5e-4, 1e-5, 0.95, 100, 20)
    assert (d["clip"], d["epochs"]) == (0.2, 3)


def _fraction_of_sep3(cell) -> float:
    ops = cell.ops()
    return sum(op == "sep_conv_3x3" for op in ops) / len(ops)


def test_ppo_learns_a_toy_reward_far_above_chance():
    """Reward = fraction of sep_conv_3x3 among the cell's ops; chance (uniform ops) is 1/8."""
    runs = []
    for _ in range(2):
        traj = get_algorithm("ppo").run(SyntheticEvaluator(_fraction_of_sep3), Budget(models=200), seed=3,
                                        blocks=1, lr=0.01, hidden=32)
        runs.append(traj.to_frame().val_acc.to_numpy())
    first, last = runs[0][:20].mean(), runs[0][-60:].mean()
    assert first < 0.4 and last > 0.6, (first, last)
    assert np.array_equal(runs[0], runs[1])  # deterministic on CPU


def test_ppo_in_restricted_replay_and_on_a_subset_space():
    ev = ReplayEvaluator(Benchmark.default(), miss="restrict")
    traj = get_algorithm("ppo").run(ev, Budget(models=30), seed=0, blocks=1, batch_size=10)
    frame = traj.to_frame()
    assert len(frame) == 30 and frame.val_acc.notna().all()
    ev = SyntheticEvaluator(_fraction_of_sep3, space="pnas4")
    traj = get_algorithm("ppo").run(ev, Budget(models=20), seed=0, blocks=2, batch_size=10)
    assert all(set(parse_arch(a).ops()) <= {"identity", "max_pool_3x3", "sep_conv_3x3", "conv_1x7_7x1"}
               for a in traj.to_frame().arch)


def test_ppo_drives_a_live_search(tmp_path):
    with LiveEvaluator(tiny_protocol(), tmp_path / "live", seed=0, space="pnas3") as ev:
        traj = get_algorithm("ppo").run(ev, Budget(models=4), seed=0, blocks=1, batch_size=2)
    assert len(traj) == 4 and ev.n_trained + ev.n_cached == 4
    assert all(a.startswith("pnas3:") for a in traj.to_frame().arch)
