"""Oracle: replay with a simulated clock, seed policies, partial epochs, miss policies."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from nasbench.space import Cell, pnas
from nasbench.tables import NotInTableError, Oracle
from table_factory import make_table


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return make_table(tmp_path_factory.mktemp("oracle") / "t", seeds=(0, 1, 2), epochs=4)




def outside(bench, n=3, b=3):
    return [c for c in pnas.sample(b, n + 3, 123) if not bench.contains(c)][:n]


class TinySurrogate:
    """The predict_metrics protocol, with a call log."""

    def __init__(self):
        self.calls = []

    def predict_metrics(self, cells):
        self.calls.append([c.canonical_string for c in cells])
        n = len(cells)
        return {"val_acc": np.full(n, 0.5), "test_acc": np.full(n, 0.4),
                "train_seconds": np.full(n, 10.0)}


def test_clock_is_the_sum_of_recorded_train_seconds(path, frames):
    runs, _ = frames
    oracle = Oracle(path, seed_policy=1)
    picks = runs[runs.seed == 1].sample(frac=1.0, random_state=0)
    for _, row in picks.iterrows():
        ev = oracle.evaluate(row.arch)
        assert ev.seed == 1 and ev.val_acc == row.val_acc
        assert (ev.params, ev.flops, ev.predicted) == (row.params, row.flops, False)
    assert oracle.elapsed == pytest.approx(picks.train_seconds.sum(), rel=1e-12)
    assert oracle.n_evaluated == len(picks) == len(oracle.log)
    assert [e.arch for e in oracle.log] == picks.arch.tolist()
    assert oracle.log[-1].elapsed == oracle.elapsed
    oracle.reset()
    assert (oracle.elapsed, oracle.n_evaluated, oracle.log) == (0.0, 0, [])


def test_mean_policy(bench):
    oracle = Oracle(bench)
    for arch in bench.archs():
        ev = oracle.evaluate(arch)
        want = bench.query(arch)
        assert ev.seed is None and ev.val_acc == want["val_acc"]
        assert ev.train_seconds == want["train_seconds"] and ev.epochs == 4
        assert ev.num_blocks == Cell.parse(arch).num_blocks


def test_random_policy_replays_identically(bench):
    calls = bench.archs() * 3

    def replay():
        oracle = Oracle(bench, seed_policy="random", rng=11)
        return [oracle.evaluate(a) for a in calls], oracle.elapsed

    first, second = replay(), replay()
    assert first == second
    assert len({e.seed for e in first[0]}) > 1
    with pytest.raises(ValueError, match="needs rng"):
        Oracle(bench, seed_policy="random")


def test_partial_epochs(bench, frames):
    _, curves = frames
    oracle = Oracle(bench, seed_policy=2)
    arch = bench.archs()[4]
    h = Cell.parse(arch).arch_hash
    ev = oracle.evaluate(arch, epochs=2)
    mine = curves[(curves.arch_hash == h) & (curves.seed == 2)]
    assert ev.val_acc == mine[mine.epoch == 2].val_acc.item() and ev.epochs == 2
    assert ev.train_seconds == pytest.approx(mine[mine.epoch <= 2].epoch_seconds.sum())
    mean = Oracle(bench).evaluate(arch, epochs=3)
    assert mean.val_acc == pytest.approx(bench.query(arch, epoch=3)["val_acc"])
    for bad in (0, 5, 2.5, True):
        with pytest.raises(ValueError, match="epochs must be in 1..4"):
            oracle.evaluate(arch, epochs=bad)


def test_miss_error_names_the_arch(bench):
    cell = outside(bench, 1)[0]
    oracle = Oracle(bench)
    with pytest.raises(KeyError) as exc:
        oracle.evaluate(cell.format(short=True))
    assert cell.canonical_string in str(exc.value) and isinstance(exc.value, NotInTableError)
    assert oracle.elapsed == 0 and oracle.n_evaluated == 0
    with pytest.raises(ValueError):
        oracle.evaluate("garbage@0+x")


def test_miss_restrict(bench):
    oracle = Oracle(bench, miss="restrict", rng=5)
    assert oracle.candidates() == bench.archs()
    assert oracle.candidates(2) == bench.archs(num_blocks=2)
    drawn = oracle.sample(2, 50)
    assert all(c.canonical_string in oracle.candidates(2) and c.num_blocks == 2 for c in drawn)
    assert drawn == Oracle(bench, miss="restrict", rng=5).sample(2, 50)
    assert [c.canonical_string for c in oracle.sample(1, 5, rng=3)] == \
        [c.canonical_string for c in Oracle(bench).sample(1, 5, rng=3)]
    with pytest.raises(NotInTableError, match="restricted to the table"):
        oracle.evaluate(outside(bench, 1)[0])
    with pytest.raises(ValueError, match="no cells with 5 blocks"):
        oracle.sample(5, 1)
    with pytest.raises(ValueError, match="needs rng"):
        Oracle(bench).sample(1, 2)


def test_miss_surrogate(bench):
    surrogate = TinySurrogate()
    oracle = Oracle(bench, miss="surrogate", surrogate=surrogate)
    inside = bench.archs()[0]
    a, b = outside(bench, 2)
    evs = [oracle.evaluate(inside), oracle.evaluate(a), oracle.evaluate(b, epochs=2)]
    assert [e.predicted for e in evs] == [False, True, True]
    assert surrogate.calls == [[a.canonical_string], [b.canonical_string]]
    assert (evs[1].val_acc, evs[1].test_acc, evs[1].train_seconds) == (0.5, 0.4, 10.0)
    assert evs[1].arch_hash == a.arch_hash and evs[1].seed is None and evs[1].params is None
    assert math.isnan(evs[1].val_loss)
    assert evs[2].train_seconds == 5.0  # scaled by 2/4 epochs
    assert oracle.elapsed == pytest.approx(bench.query(inside)["train_seconds"] + 15.0)
    with pytest.raises(ValueError, match="predict_metrics"):
        Oracle(bench, miss="surrogate", surrogate=object())
    with pytest.raises(ValueError, match="only used with miss='surrogate'"):
        Oracle(bench, surrogate=surrogate)


def test_bad_arguments_and_frozen(bench):
    with pytest.raises(ValueError, match="seed 7 is not in table"):
        Oracle(bench, seed_policy=7)
    with pytest.raises(ValueError, match="seed_policy"):
        Oracle(bench, seed_policy="median")
    with pytest.raises(ValueError, match="miss must be"):
        Oracle(bench, miss="ignore")
    ev = Oracle(bench).evaluate(bench.archs()[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.val_acc = 1.0


def _same(a, b) -> bool:
    """Evaluations equal field by field, NaN equal to NaN, and of the same types."""
    fa, fb = dataclasses.astuple(a), dataclasses.astuple(b)
    return all(type(x) is type(y) and (x == y or (isinstance(x, float) and math.isnan(x)
                                                 and math.isnan(y))) for x, y in zip(fa, fb))


@pytest.fixture(scope="module")
def ragged(tmp_path_factory):
    """Nine seeds (means over >= 8 runs), an arch whose runs all failed, archs without
    seed 1 (the fixed-seed miss) and one with a single seed."""
    from table_factory import PROTOCOL, make_rows
    from nasbench.tables import Benchmark
    from nasbench.tables.io import write_table

    runs, curves = make_rows(per_block=5, seeds=tuple(range(9)), failed=9, diverged=2, seed=4)
    hashes = sorted({r["arch_hash"] for r in runs})
    drop = {(h, s) for h in hashes[1:4] for s in (1, 5, 7)} | {(hashes[5], s) for s in range(1, 9)}
    keep = lambda row: (row["arch_hash"], row["seed"]) not in drop  # noqa: E731
    path = write_table(tmp_path_factory.mktemp("ragged") / "t", [r for r in runs if keep(r)],
                       [c for c in curves if keep(c)], PROTOCOL, {"command": "test"})
    return Benchmark.open(path)


@pytest.mark.parametrize("policy", ["mean", "random", 0, 1, 5])
@pytest.mark.parametrize("miss", ["error", "restrict", "surrogate"])
def test_fast_path_equals_the_slow_path(ragged, policy, miss):
    """Every hit, by canonical string and by hash, in a shuffled order with repeats and
    misses mixed in: the same Evaluations, clock, log and rng stream as fast=False."""
    bench = ragged
    hashes = [Cell.parse(a).arch_hash for a in bench.archs()]
    calls = bench.archs() * 2 + hashes + [a + " " for a in bench.archs()[:3]]
    calls += [c.canonical_string for c in outside(bench, 2)]
    order = np.random.default_rng(7).permutation(len(calls))
    surrogate = TinySurrogate() if miss == "surrogate" else None
    rng = 3 if policy == "random" else None
    fast, slow = (Oracle(bench, seed_policy=policy, rng=rng, miss=miss, surrogate=surrogate,
                         fast=f) for f in (True, False))
    answered = 0
    for i in order.tolist():
        outcomes = []
        for oracle in (fast, slow):
            try:
                outcomes.append(oracle.evaluate(calls[i]))
            except (KeyError, ValueError) as exc:
                outcomes.append((type(exc), str(exc)))
        if isinstance(outcomes[0], tuple):
            assert outcomes[0] == outcomes[1]
        else:
            assert _same(*outcomes), calls[i]
            answered += 1
    assert answered > len(calls) // 2
    assert all(_same(a, b) for a, b in zip(fast.log, slow.log)) and len(fast.log) == len(slow.log)
    assert fast.elapsed == slow.elapsed or (math.isnan(fast.elapsed) and math.isnan(slow.elapsed))
    if policy == "random":
        assert fast.rng.integers(1 << 30) == slow.rng.integers(1 << 30)


def test_fast_path_takes_only_full_epoch_string_hits(ragged):
    """Partial epochs and genotype objects take the slow path (and agree with it)."""
    arch = ragged.archs()[7]
    fast, slow = Oracle(ragged, seed_policy=0), Oracle(ragged, seed_policy=0, fast=False)
    assert _same(fast.evaluate(arch, epochs=2), slow.evaluate(arch, epochs=2))
    assert fast._hits is None  # not built: no full-epoch string call yet
    assert _same(fast.evaluate(Cell.parse(arch)), slow.evaluate(arch))
    assert _same(fast.evaluate(arch, epochs=ragged.epochs), slow.evaluate(arch))
    assert fast._hits is not None and not slow._hits
