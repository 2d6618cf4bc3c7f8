"""nasbench.search in replay: budgets, evaluators, the four algorithms, harness and CLI.

The table is real (``write_table``) over real canonical cells -- all 136 B1 cells, every B2
child of the TOP_B1 best B1 cells, a sample of B2 and B3 -- with a synthetic accuracy that
is a known function of the ops (``quality``) plus small per-seed noise.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from nasbench.search import (Budget, ReplayEvaluator, SyntheticEvaluator, Trajectory,
                             get_algorithm, harness)
from nasbench.search.base import EvalResult, best_so_far
from nasbench.search.evolution import mutate, neighbours
from nasbench.search.pnas import expected_evaluations
from nasbench.search.rl import make_controller, sample_cells
from nasbench.space import Cell, pnas
from nasbench.space.cell import topological_orders, reorder, _sorted_block
from nasbench.space.ops import OP_RANK
from nasbench.tables import Benchmark, NotInTableError, Oracle
from nasbench.tables.io import write_table
from nasbench.tables.schema import protocol_hash

torch.set_num_threads(1)

PROTOCOL = {"dataset": "synthetic", "epochs": 2}
OP_WEIGHT = np.array([0.9, 0.2, 0.5, 0.3, 1.0, 0.7, 0.6, 0.4])  # by op code (OPS_SORTED)
TOP_B1 = 3
SEP3 = OP_RANK["sep_conv_3x3"]


def quality(cell: Cell) -> float:
    ops = [op for blk in cell.canonical_blocks for op, _ in blk]
    return 0.4 + 0.5 * float(np.mean(OP_WEIGHT[ops])) + 0.02 * cell.num_blocks


def table_cells() -> list[Cell]:
    b1 = list(pnas.enumerate(1))
    out = dict.fromkeys(b1)
    for parent in sorted(b1, key=lambda c: -quality(c))[:TOP_B1]:
        out.update(dict.fromkeys(pnas.expand(parent)))
    out.update(dict.fromkeys(pnas.sample(2, 150, 1)))
    out.update(dict.fromkeys(pnas.sample(3, 60, 2)))
    return list(out)


def write_search_table(path, cells, seeds=(0, 1), epochs=2, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    ph = protocol_hash(PROTOCOL)
    runs, curves = [], []
    for cell in cells:
        q = quality(cell)
        secs = 10.0 * cell.num_blocks + rng.uniform(0, 5)
        for s in seeds:
            val = float(np.clip(q + rng.normal(0, noise), 0, 1))
            test = float(np.clip(val - 0.01 + rng.normal(0, noise), 0, 1))
            s_secs = secs + s
            for e in range(1, epochs + 1):
                curves.append(dict(arch_hash=cell.arch_hash, seed=s, epoch=e, lr=0.1, train_loss=1.0,
                                   train_acc=val * e / epochs, val_loss=1.0, val_acc=val * e / epochs,
                                   test_loss=1.0, test_acc=test * e / epochs, epoch_seconds=s_secs / epochs))
            runs.append(dict(arch=cell.canonical_string, arch_hash=cell.arch_hash, space="pnas",
                             num_blocks=cell.num_blocks, dataset="synthetic", protocol_hash=ph, seed=s,
                             epochs=epochs, params=1000, flops=10000, train_acc=val, val_acc=val,
                             test_acc=test, train_loss=1.0, val_loss=1.0, test_loss=1.0,
                             best_val_acc=val, best_val_epoch=epochs, train_seconds=s_secs,
                             eval_seconds=0.1, device="cpu", status="ok", error=None))
    return write_table(path, runs, curves, PROTOCOL, {"command": "tests/test_search.py"})


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    return write_search_table(tmp_path_factory.mktemp("search") / "t", table_cells())


@pytest.fixture(scope="module")
def bench(table):
    return Benchmark.open(table)


def restrict(bench, **kw):
    return ReplayEvaluator(bench, miss="restrict", **kw)


class QualitySurrogate:
    """A predictor instance that knows the true quality (isolates PNAS's selection logic)."""

    def fit(self, archs, y):
        self.n_fit = len(archs)
        return self

    def predict(self, archs):
        return np.array([quality(Cell.parse(a)) for a in archs])


def frames_equal(a: Trajectory, b: Trajectory):
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


# ---------------------------------------------------------------------- budget, registry
@pytest.mark.parametrize("kw", [dict(models=0), dict(models=-3), dict(seconds=0), dict(seconds=-1.0),
                                dict(models=2.5), dict(models=True)])
def test_bad_budgets_are_value_errors(kw):
    with pytest.raises(ValueError, match="budget"):
        Budget(**kw)


def test_unknown_algorithm_option_and_missing_budget(bench):
    with pytest.raises(ValueError, match="unknown search algorithm 'nope'.*random"):
        get_algorithm("nope")
    with pytest.raises(ValueError, match="unknown option.*frobnicate"):
        get_algorithm("random").run(restrict(bench), Budget(models=5), 0, frobnicate=1)
    with pytest.raises(ValueError, match="needs a budget"):
        get_algorithm("evolution").run(restrict(bench), Budget(), 0)


def test_best_so_far_skips_nan_and_keeps_first_of_ties():
    assert best_so_far(np.array([np.nan, 0.5, 0.4, 0.5, 0.7, np.nan])).tolist() == [-1, 1, 1, 1, 4, 4]
    t = Trajectory()
    for v, te in [(math.nan, 0.1), (0.5, 0.2), (0.5, 0.9), (0.6, 0.3)]:
        t.append(EvalResult("a", 1, v, te, 1.0), 0.0)
    f = t.to_frame()
    assert f.best_test.tolist()[1:] == [0.2, 0.2, 0.3] and math.isnan(f.best_test[0])
    assert f.best_index.tolist() == [0, 2, 2, 4]


# ---------------------------------------------------------------------- replay evaluator
@pytest.mark.parametrize("policy", ["mean", 1, "random"])
def test_fast_replay_matches_the_oracle(bench, policy):
    archs = bench.archs()[::7]
    fast = ReplayEvaluator(bench, seed_policy=policy, rng=3)
    oracle = Oracle(bench, seed_policy=policy, rng=3 if policy == "random" else None)
    for arch in archs + [Cell.parse(archs[0]), Cell.parse(archs[1]).arch_hash]:
        got, want = fast.evaluate(arch), oracle.evaluate(arch)
        assert (got.arch, got.num_blocks, got.predicted) == (want.arch, want.num_blocks, False)
        assert got.val_acc == pytest.approx(want.val_acc, rel=1e-12)
        assert got.test_acc == pytest.approx(want.test_acc, rel=1e-12)
        assert got.train_seconds == pytest.approx(want.train_seconds, rel=1e-12)
    assert fast.elapsed == pytest.approx(oracle.elapsed, rel=1e-12)


def test_restricted_space_and_misses(bench):
    ev = restrict(bench)
    assert set(ev.candidates(1)) == {c.canonical_string for c in pnas.enumerate(1)}
    assert ev.num_blocks == [1, 2, 3]
    outside = next(c for c in pnas.sample(4, 5, 0))
    with pytest.raises(NotInTableError, match="restricted"):
        ev.evaluate(outside)
    with pytest.raises(ValueError, match="no cells with 4 blocks"):
        get_algorithm("random").run(ev, Budget(models=3), 0, blocks=4)


def test_space_not_covered_with_miss_error_is_one_line(bench):
    ev = ReplayEvaluator(bench, miss="error")
    with pytest.raises(KeyError) as info:
        get_algorithm("random").run(ev, Budget(models=3), 0, blocks=4)
    assert "is not in table" in str(info.value) and "\n" not in str(info.value)


class TinySurrogate:
    """The Oracle's predict_metrics protocol with constant answers."""

    def predict_metrics(self, cells):
        n = len(cells)
        return {"val_acc": np.full(n, 0.5), "test_acc": np.full(n, 0.4),
                "train_seconds": np.full(n, 100.0)}


def test_surrogate_answers_misses_and_charges_predicted_seconds(bench):
    ev = ReplayEvaluator(bench, miss="surrogate", surrogate=TinySurrogate())
    traj = get_algorithm("random").run(ev, Budget(models=6), 0, blocks="3-4")
    f = traj.to_frame()
    hit = f.arch.map(bench.contains)
    assert (f.predicted == ~hit).all() and (~hit).sum() >= 5
    assert (f.val_acc[~hit] == 0.5).all() and (f.train_seconds[~hit] == 100.0).all()
    assert ev.elapsed == pytest.approx(f.train_seconds.sum())


def test_unfitted_surrogate_is_a_clear_error(bench):
    from nasbench.predictors.surrogate import TableSurrogate

    with pytest.raises(ValueError, match="not fitted"):
        ReplayEvaluator(bench, miss="surrogate", surrogate=TableSurrogate())
    with pytest.raises(ValueError, match="predict_metrics"):
        ReplayEvaluator(bench, miss="surrogate", surrogate=object())
    with pytest.raises(ValueError, match="surrogate must be"):
        get_algorithm("pnas").run(restrict(bench), Budget(models=5), 0, surrogate=object())


# ---------------------------------------------------------------------- random
def test_random_fast_path_equals_one_by_one_path(bench):
    algo = get_algorithm("random")
    for budget in (Budget(models=2500), Budget(seconds=20_000.0), Budget(models=900, seconds=9_000.0)):
        a = algo.run(restrict(bench), budget, 5, chunk=700)
        b = algo.run(restrict(bench, fast=False), budget, 5, chunk=700)
        frames_equal(a, b)
    assert len(a) == 900 or a.elapsed >= 9_000


def test_seconds_budget_stops_after_the_first_evaluation_past_it(bench):
    traj = get_algorithm("random").run(restrict(bench), Budget(seconds=1000.0), 0)
    f = traj.to_frame()
    assert f.elapsed.iloc[-1] >= 1000.0 > f.elapsed.iloc[-1] - f.train_seconds.iloc[-1]
    assert np.allclose(f.elapsed, np.cumsum(f.train_seconds))


def test_random_best_of_n_matches_the_exact_order_statistic(bench):
    """E[val-selected best of n uniform draws with replacement] from the sorted table."""
    n, runs = 10, 3000
    ev0 = restrict(bench)
    vals = np.array([ev0.evaluate(a).val_acc for a in ev0.candidates(1)])
    tests = np.array([ReplayEvaluator(bench).evaluate(a).test_acc for a in ev0.candidates(1)])
    assert len(np.unique(vals)) == len(vals)
    order = np.argsort(vals)
    N = len(vals)
    p = (np.arange(1, N + 1) / N) ** n - (np.arange(N) / N) ** n  # P(max has rank i)
    e_val, e_val2 = p @ vals[order], p @ vals[order] ** 2
    e_test = p @ tests[order]
    sd = math.sqrt(e_val2 - e_val**2)
    algo = get_algorithm("random")
    got = [algo.run(restrict(bench), Budget(models=n), s, blocks=1) for s in range(runs)]
    best_val = np.array([t.best_val for t in got])
    best_test = np.array([t.best_test for t in got])
    assert abs(best_val.mean() - e_val) < 4 * sd / math.sqrt(runs)
    assert abs(best_test.mean() - e_test) < 4 * best_test.std() / math.sqrt(runs) + 1e-12
    assert all(Cell.parse(a).num_blocks == 1 for t in got[:20] for a in t.archs)


def test_random_unrestricted_is_uniform_over_the_union_of_block_counts():
    ev = SyntheticEvaluator(quality)
    traj = get_algorithm("random").run(ev, Budget(models=300), 1, blocks="1-2")
    f = traj.to_frame()
    assert set(f.num_blocks) <= {1, 2}
    # 136 B1 vs 31,620 B2 canonical cells: ~1.3 B1 cells expected (150 if B were uniform)
    assert (f.num_blocks == 1).sum() < 10
    traj = get_algorithm("random").run(ev, Budget(models=20), 1, blocks=3)
    assert set(traj.to_frame().num_blocks) == {3}


# ---------------------------------------------------------------------- determinism
ALGOS = {
    "random": {},
    "evolution": dict(population=12, sample=4),
    "rl": dict(blocks="1-2", batch_size=5),
    "pnas": dict(K=6, Bmax=2, surrogate="mlp_ensemble",
                 surrogate_params=dict(n_members=2, epochs=3, embed_dim=16, hidden_sizes=(16,))),
}


@pytest.mark.parametrize("name", sorted(ALGOS))
def test_each_algorithm_is_deterministic_in_replay(bench, name):
    algo = get_algorithm(name)
    a = algo.run(restrict(bench), Budget(models=160), 7, **ALGOS[name])
    b = algo.run(restrict(bench), Budget(models=160), 7, **ALGOS[name])
    frames_equal(a, b)
    assert len(a) == (142 if name == "pnas" else 160)
    assert all(bench.contains(x) for x in a.archs)  # restricted: only table cells
    if name != "pnas":  # PNAS evaluates every B1 cell in a fixed order: seed-independent start
        c = algo.run(restrict(bench), Budget(models=160), 8, **ALGOS[name])
        assert a.archs != c.archs


# ---------------------------------------------------------------------- pnas
def test_pnas_counts_with_K_at_least_B1_cover_every_table_child(bench):
    ev = restrict(bench)
    traj = get_algorithm("pnas").run(ev, None, 0, K=10_000, Bmax=2, surrogate=QualitySurrogate())
    b2 = set(ev.candidates(2))
    assert len(traj) == 136 + len(b2)  # every table B2 cell is a child of some B1 cell
    assert set(traj.archs) == set(ev.candidates(1)) | b2


@pytest.mark.parametrize("K,Bmax", [(7, 3), (1, 4), (20, 2)])
def test_pnas_evaluates_exactly_B1_plus_Bmax_minus_1_times_K(K, Bmax):
    traj = get_algorithm("pnas").run(SyntheticEvaluator(quality), None, 0, K=K, Bmax=Bmax,
                                     surrogate=QualitySurrogate())
    assert len(traj) == expected_evaluations(K, Bmax) == 136 + (Bmax - 1) * K
    f = traj.to_frame()
    assert f.num_blocks.tolist() == [1] * 136 + sum(([b] * K for b in range(2, Bmax + 1)), [])
    assert len(set(traj.archs)) == len(traj)
    assert expected_evaluations(256, 5) == 1160


def test_pnas_expands_the_top_K_and_trains_the_top_K_predicted_children():
    K = 4
    traj = get_algorithm("pnas").run(SyntheticEvaluator(quality), None, 0, K=K, Bmax=2,
                                     surrogate=QualitySurrogate())
    f = traj.to_frame()
    b1 = f[f.num_blocks == 1]
    parents = b1.sort_values("val_acc", ascending=False, kind="stable").arch[:K]
    kids = sorted({c for p in parents for c in pnas.expand(p)})
    q = np.array([quality(c) for c in kids])
    want = [kids[i].canonical_string for i in np.argsort(-q, kind="stable")[:K]]
    assert f[f.num_blocks == 2].arch.tolist() == want


class AntiSurrogate(QualitySurrogate):
    def predict(self, archs):
        return -super().predict(archs)


def test_pnas_parents_all_expands_every_cell_of_the_previous_level():
    """A surrogate that ranks worst-first exposes which parents were expanded: the worst B2
    child of the 2 best B1 cells still holds their good ops; over ALL B1 cells it does not."""
    worst = 0.4 + 0.5 * OP_WEIGHT.min() + 0.04
    for parents, want in (("all", worst), ("topk", 0.4 + 0.5 * (OP_WEIGHT.max() + OP_WEIGHT.min()) / 2 + 0.04)):
        traj = get_algorithm("pnas").run(SyntheticEvaluator(quality), None, 0, K=2, Bmax=2,
                                         surrogate=AntiSurrogate(), parents=parents)
        assert len(traj) == 138
        assert [quality(Cell.parse(a)) for a in traj.archs[136:]] == pytest.approx([want] * 2)
    with pytest.raises(ValueError, match="parents"):
        get_algorithm("pnas").run(SyntheticEvaluator(quality), None, 0, parents="some")


def test_pnas_restricted_with_given_K_and_budget(bench):
    ev = restrict(bench)
    traj = get_algorithm("pnas").run(ev, None, 0, K=3, Bmax=3, surrogate=QualitySurrogate())
    f = traj.to_frame()
    assert (f.num_blocks == 1).sum() == 136 and (f.num_blocks == 2).sum() == 3
    assert len(traj) == 139 + (f.num_blocks == 3).sum() and (f.num_blocks == 3).sum() <= 3
    cut = get_algorithm("pnas").run(restrict(bench), Budget(models=50), 0, K=3,
                                    surrogate=QualitySurrogate())
    assert len(cut) == 50


# ---------------------------------------------------------------------- rl
def test_rl_controller_samples_only_valid_cells():
    gen = torch.Generator().manual_seed(0)
    for blocks in [(1,), (2,), (3,), (4,), (5,), (1, 2, 3, 4, 5)]:
        ctrl = make_controller(blocks, hidden=16, seed=1)
        _, cells = sample_cells(ctrl, 400, gen)
        seen = set()
        for cell in cells:
            assert cell.num_blocks in blocks
            seen.add(cell.num_blocks)
            for k, block in enumerate(cell.blocks, start=1):
                assert all(0 <= inp <= k and 0 <= op < 8 for op, inp in block)
            Cell.parse(cell.format())  # round-trips through the grammar
        assert seen == set(blocks)


def planted(cell: Cell) -> float:
    ops = [(op, inp) for blk in cell.blocks for op, inp in blk]
    return sum(o == SEP3 and i == 1 for o, i in ops) / len(ops)


def test_rl_mean_reward_rises_on_a_planted_optimum():
    traj = get_algorithm("rl").run(SyntheticEvaluator(planted), Budget(models=400), 0, blocks=2)
    v = traj.to_frame().val_acc.to_numpy()
    assert v[:40].mean() < 0.4
    assert v[-80:].mean() > max(0.8, v[:80].mean() + 0.3)
    assert traj.best_arch == "sep_conv_3x3@1+sep_conv_3x3@1,sep_conv_3x3@1+sep_conv_3x3@1"


# ---------------------------------------------------------------------- evolution
def _one_edit_apart(a: Cell, b: Cell) -> bool:
    """Some block orders of a and b differ in exactly one operand of one block."""
    def forms(cell):
        return {tuple(_sorted_block(*blk) for blk in reorder(cell.blocks, o))
                for o in topological_orders(cell.blocks)}
    for x, y in itertools.product(forms(a), forms(b)):
        diff = [(p, q) for p, q in zip(x, y) if p != q]
        if len(diff) == 1:
            p, q = diff[0]
            if any(p[i] == q[j] for i in range(2) for j in range(2)):
                return True
    return False


def test_mutations_are_valid_one_edit_neighbours():
    rng = np.random.default_rng(0)
    for b in (1, 2, 3, 4):
        for cell in pnas.sample(b, 25, b):
            child = mutate(cell, rng)
            assert child != cell and child.num_blocks == b
            assert child == Cell.parse(child.canonical_string)
            assert _one_edit_apart(cell, child), (cell, child)
    cell = pnas.sample(3, 1, 9)[0]
    near = neighbours(cell)
    assert len(near) > 20 and cell not in near
    assert all(_one_edit_apart(cell, c) for c in near)


def test_evolution_children_are_neighbours_of_the_living_population():
    P, S = 8, 3
    traj = get_algorithm("evolution").run(SyntheticEvaluator(quality), Budget(models=40), 3,
                                          blocks=2, population=P, sample=S)
    archs = traj.archs
    cache: dict = {}
    for i in range(P, len(archs)):
        alive = archs[i - P:i]  # the oldest died at every step
        near = set().union(*(cache.setdefault(a, {c.canonical_string for c in neighbours(a)})
                             for a in alive))
        assert archs[i] in near
    assert traj.best_val >= max(quality(Cell.parse(a)) for a in archs[:P])


# ---------------------------------------------------------------------- harness, CLI
def test_harness_summary_and_anytime_on_a_known_frame():
    rows = []
    for algo, paths in {"rl": [[0.5, 0.6, 0.7], [0.5, 0.5, 0.6]], "x": [[0.7, 0.7, 0.7], [0.5, 0.65, 0.9]]}.items():
        for seed, vals in enumerate(paths):
            t = Trajectory()
            for v in vals:
                t.append(EvalResult("a", 1, v, v - 0.1, 3600.0), 0.0)
            f = t.to_frame()
            f["elapsed"] = np.arange(1, 4) * 3600.0
            f.insert(0, "seed", seed)
            f.insert(0, "algorithm", algo)
            rows.append(f)
    df = pd.concat(rows, ignore_index=True)
    s, target = harness.summary(df)
    assert target == pytest.approx(0.65)  # rl's mean final best val
    s = s.set_index("algorithm")
    assert s.loc["x", "models_to_target"] == pytest.approx(1.5)  # runs hit at models 1 and 2
    assert s.loc["rl", "models_to_target"] == pytest.approx(3.0) and s.loc["rl", "reached"] == 1
    assert s.loc["x", "speedup"] == pytest.approx(2.0)
    c = harness.anytime(df, "models", grid=[1, 2, 3]).set_index(["algorithm", "models"])
    assert c.loc[("x", 2), "mean"] == pytest.approx((0.6 + 0.55) / 2)
    assert c.loc[("x", 2), "lo"] < c.loc[("x", 2), "mean"] < c.loc[("x", 2), "hi"]
    h = harness.anytime(df, "hours", grid=[0.5, 1.0]).set_index(["algorithm", "hours"])
    assert h.loc[("rl", 0.5), "n"] == 0 and h.loc[("rl", 1.0), "mean"] == pytest.approx(0.4)


def test_run_many_parallel_equals_serial(table):
    kw = dict(options={"evolution": dict(population=10, sample=3)})
    serial = harness.run_many(table, ["random", "evolution"], 3, Budget(models=40), workers=1, **kw)
    parallel = harness.run_many(table, ["random", "evolution"], 3, Budget(models=40), workers=2, **kw)
    pd.testing.assert_frame_equal(serial, parallel)
    assert sorted(serial.groupby(["algorithm", "seed"]).size().items()) == [
        ((a, s), 40) for a in ("evolution", "random") for s in range(3)]


def test_cli_run_and_errors(table, tmp_path):
    import pyarrow.parquet as pq

    from nasbench.cli.search import search

    out = tmp_path / "traj.parquet"
    res = CliRunner().invoke(search, ["run", "--algorithm", "evolution", "--table", str(table),
                                      "--budget-models", "30", "--seed", "2", "-p", "population=10",
                                      "-p", "sample=3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    f = pd.read_parquet(out)
    assert len(f) == 30 and list(f.columns[:3]) == ["index", "elapsed", "arch"]
    assert b"evolution" in pq.read_schema(out).metadata[b"nasbench.search"]
    for args, msg in [(["--algorithm", "nope"], "unknown search algorithm"),
                      (["--algorithm", "random", "--budget-models", "0"], "budget models must be > 0"),
                      (["--algorithm", "random", "--budget-models", "5", "-p", "blocks=4",
                        "--miss", "error"], "is not in table"),
                      (["--algorithm", "random", "--budget-models", "5", "-p", "blocks=4"],
                       "no cells with 4 blocks")]:
        res = CliRunner().invoke(search, ["run", "--table", str(table), "--out", str(out), *args])
        assert res.exit_code == 2, res.output
        assert msg in res.output and res.output.count("\n") == 1, res.output


def test_cli_compare_writes_readme_plots_and_trajectories(table, tmp_path):
    from nasbench.cli.search import search

    out = tmp_path / "cmp"
    res = CliRunner().invoke(search, ["compare", "--table", str(table), "--algorithms", "random,evolution",
                                      "--n-seeds", "3", "--budget-models", "40", "--workers", "1",
                                      "-p", "evolution.population=10", "-p", "evolution.sample=3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = (out / "README.md").read_text()
    assert "anytime_models.png" in text and "| evolution |" in text and "| random |" in text
    assert text.rstrip().endswith("```") and "## Regenerate" in text.split("| random |")[-1]
    assert (out / "anytime_models.png").stat().st_size > 1000 and (out / "anytime_hours.png").exists()
    df = pd.read_parquet(out / "trajectories.parquet")
    assert set(df.algorithm) == {"random", "evolution"} and set(df.seed) == {0, 1, 2}
    assert len(df) == 2 * 3 * 40
