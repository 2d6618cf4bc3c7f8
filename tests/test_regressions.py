"""Regression tests of the review's bugs (issue 19): each failed before its fix."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.space import get_space


@pytest.mark.parametrize("b", [1, 3, 5])
def test_evolution_mutation_is_an_op_or_an_input_edit_with_equal_probability(b):
    """Real et al.: op edit or input edit with probability 1/2 each. An op edit changes the
    multiset of ops, an input edit keeps it, so the child tells which kind it was."""
    from nasbench.search.evolution import mutate

    space = get_space("pnas")
    rng = np.random.default_rng(b)
    parents = space.sample(b, 40, seed=b)
    n, ops_changed = 0, 0
    for parent in parents:
        for _ in range(100):
            child = mutate(parent, rng)
            assert child != parent and child.num_blocks == b
            ops_changed += sorted(parent.ops()) != sorted(child.ops())
            n += 1
    # 4000 draws: sd 0.008; the old uniform-over-edits rule gave 0.88 / 0.75 / 0.61
    assert abs(ops_changed / n - 0.5) < 0.035, (b, ops_changed / n)


def test_pnas_space_draws():
    space = get_space("pnas")
    rng = np.random.default_rng(0)
    cells = [space.draw(3, rng) for _ in range(5)]
    assert all(c.num_blocks == 3 and c == c.canonical() for c in cells)
    assert space.draw(3, np.random.default_rng(1)) == space.draw(3, np.random.default_rng(1))
