"""Our tables inside syne-tune: export read back by syne-tune's loader, canonical lookups,
syne-tune's ASHA / random search on its simulated backend as our trajectories, the CLI, and
the one-line message without the extra. Runs on the shipped digits table (seconds)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import nasbench
from nasbench.cli import main
from nasbench.search import Budget
from nasbench.search.trajectory import COLUMNS
from nasbench.space import Cell, pnas
from nasbench.tables import Benchmark

TABLE = str(Path(nasbench.__file__).parent / "shipped_tables" / "digits-pnas")
REASON = "syne-tune not installed (pip install 'nasbench[synetune]')"
OBJ = ("val_acc", "test_acc", "val_loss", "test_loss")


@pytest.fixture(scope="module")
def st():
    pytest.importorskip("syne_tune", reason=REASON)
    from nasbench.integrations import synetune

    return synetune


@pytest.fixture(scope="module")
def bench():
    return Benchmark.default()


@pytest.fixture(scope="module")
def exported(st, bench, tmp_path_factory):
    return st.export(bench, tmp_path_factory.mktemp("st") / "digits")


def _cumulative_seconds(bench, arch, seed, epoch):
    c = bench.curves(arch, seed=seed)
    return float(c.loc[c.epoch <= epoch, "epoch_seconds"].sum())


def test_export_read_by_synetune_matches_query(st, bench, exported):
    from syne_tune.blackbox_repository.blackbox_tabular import deserialize

    tasks = deserialize(exported)  # syne-tune's own loader
    assert list(tasks) == ["digits"]
    bb = tasks["digits"]
    meta = st.load(exported).metadata["nasbench"]
    assert meta["elapsed_time_device"] == "cpu" and meta["encoding"]["kind"] == "cell"
    assert not meta["closed"] and meta["seeds"] == [0, 1, 2]
    assert bb.objectives_names == list(st.OBJECTIVES) and bb.fidelity_name() == "epoch"
    assert bb.objectives_evaluations.shape == (len(bench), 3, 10, 5)
    assert not np.isnan(bb.objectives_evaluations).any()
    rng = np.random.default_rng(0)
    checked_filled = 0
    for _ in range(100):
        i, slot, epoch = int(rng.integers(len(bench))), int(rng.integers(3)), int(rng.integers(1, 11))
        config = bb.hyperparameters.iloc[i].to_dict()
        arch = config["arch"]
        recorded = meta["recorded"][i]
        seed = slot if slot in recorded else recorded[slot % len(recorded)]  # the fill rule
        checked_filled += seed != slot
        got = bb.objective_function(config, fidelity={"epoch": epoch}, seed=slot)
        want = bench.query(arch, seed=seed, epoch=epoch)
        for name in OBJ:
            assert got[name] == pytest.approx(want[name], rel=1e-6), (arch, slot, epoch, name)
        assert got["elapsed_time"] == pytest.approx(
            _cumulative_seconds(bench, arch, seed, epoch), rel=1e-6)
    assert checked_filled > 0  # the sample met B>=2 cells without seeds 1 and 2


def test_mean_policy_matches_seed_mean(st, bench, exported):
    bb = st.load(exported, seed_policy="mean")
    assert bb.num_seeds == 1
    for arch in bench.archs(1)[:5] + bench.archs(4)[:5]:
        got = bb.objective_function({"arch": arch, "space": "pnas"}, fidelity=7)
        want = bench.query(arch, epoch=7)
        for name in OBJ:
            assert got[name] == pytest.approx(want[name], rel=1e-6)


def test_blocks_encoding_maps_any_config_to_its_canonical_row(st, bench, tmp_path):
    closed = st.load(st.export(bench, tmp_path / "b1", blocks=1))
    assert closed.encoding.kind == "blocks" and closed.metadata["nasbench"]["closed"]
    assert set(closed.configuration_space) == {"b1_op1", "b1_in1", "b1_op2", "b1_in2"}
    n_swapped = 0
    for arch in bench.archs(1)[:20]:
        c = closed.encoding.to_config(arch)
        swapped = {"b1_op1": c["b1_op2"], "b1_in1": c["b1_in2"],
                   "b1_op2": c["b1_op1"], "b1_in2": c["b1_in1"]}
        n_swapped += swapped != c
        assert closed.row(swapped) == closed.row(c) == closed.archs.index(arch)
        got = closed.objective_function(swapped, fidelity=10, seed=2)
        assert got["val_acc"] == pytest.approx(bench.query(arch, seed=2, epoch=10)["val_acc"])
    assert n_swapped >= 10
    # a sampled table in the blocks encoding: a block-reordered cell finds its row, a cell
    # that nobody trained is a one-line error
    sampled = st.load(st.export(bench, tmp_path / "all", encoding="blocks"))
    assert "num_blocks" in sampled.configuration_space
    arch = next(a for a in bench.archs(2) if "@2" not in a)  # two independent blocks
    (b1, b2) = Cell.parse(arch).blocks
    reordered = Cell([(b2[1], b2[0]), b1])
    assert reordered.format() != arch and reordered.canonical_string == arch
    config = sampled.encoding.to_config(arch)
    config.update({k: v for k, v in zip(("b1_op1", "b1_in1", "b1_op2", "b1_in2", "b2_op1",
                                         "b2_in1", "b2_op2", "b2_in2"),
                                        [x for g in reordered.genotype() for x in g])})
    config["b5_op1"] = "sep_conv_7x7"  # inactive blocks are ignored
    assert sampled.row(config) == sampled.archs.index(arch)
    not_in = next(str(c) for c in pnas.enumerate(2) if str(c) not in bench)
    with pytest.raises(ValueError, match="not in the exported table"):
        sampled.row(sampled.encoding.to_config(not_in))


@pytest.mark.parametrize("optimizer", ["st:ASHA", "st:RandomSearch"])
def test_arm_runs_on_simulated_backend_as_our_trajectory(st, bench, optimizer):
    from nasbench.integrations.synetune.arms import blackbox_for

    bb = blackbox_for(bench)
    run = st.run_arm(bb, optimizer, Budget(models=30), seed=3)
    df = run.frame()
    assert set(COLUMNS) <= set(df.columns) and len(df) == 30
    assert df["index"].tolist() == list(range(1, 31))
    assert np.allclose(df.elapsed, np.cumsum(df.train_seconds))
    for r in df.itertuples():  # every value is the table's (seed mean) at the epoch reached
        want = bench.query(r.arch, epoch=int(r.epochs))
        assert r.val_acc == pytest.approx(want["val_acc"]) and r.test_acc == pytest.approx(want["test_acc"])
        assert r.train_seconds == pytest.approx(
            np.mean([_cumulative_seconds(bench, r.arch, s, int(r.epochs)) for s in want["seeds"]]),
            rel=1e-5)
    if optimizer == "st:ASHA":
        assert df.epochs.min() < 10 and df.full_models.iloc[-1] < 30
    else:
        assert (df.epochs == 10).all() and df.full_models.iloc[-1] == 30
    again = st.run_arm(bb, optimizer, Budget(models=30), seed=3).frame()
    assert again.equals(df)


def test_seconds_budget_and_closed_table_arm(st, bench):
    from nasbench.integrations.synetune.arms import blackbox_for

    df = st.run_arm(bench, "st:ASHA", Budget(seconds=150.0), seed=0).frame()
    start = df.elapsed - df.train_seconds
    assert (start < 150).all() and df.elapsed.iloc[-1] >= 150
    b1 = blackbox_for(bench, blocks=1)  # closed: the structured space, every config has a row
    df = st.run_arm(b1, "st:REA", Budget(models=25), seed=0, population_size=10,
                    sample_size=3).frame()
    assert len(df) == 25 and set(df.arch) <= set(bench.archs(1))
    with pytest.raises(ValueError, match="closed table"):
        st.run_arm(blackbox_for(bench, encoding="blocks"), "st:ASHA", Budget(models=3))


def test_arms_in_the_comparison_report(st, tmp_path):
    from nasbench.search import harness

    readme = harness.compare(TABLE, ["random", "st:ASHA", "st:RandomSearch"], 2,
                             Budget(models=20), tmp_path, workers=1)
    text = readme.read_text()
    assert "| st:ASHA |" in text and "| st:RandomSearch |" in text and "st:ASHA" in text
    assert "epochs they trained, as full models" in text
    import pandas as pd

    df = pd.read_parquet(tmp_path / "trajectories.parquet")
    assert set(df.algorithm) == {"random", "st:ASHA", "st:RandomSearch"}
    assert df.groupby(["algorithm", "seed"]).size().eq(20).all()
    table, _ = harness.summary(df)
    row = table.set_index("algorithm").loc["st:ASHA"]
    assert row.full_models_run < row.models_run == 20
    with pytest.raises(ValueError, match="unknown option"):
        harness.run_many(TABLE, ["st:ASHA"], 1, Budget(models=5),
                         {"st:ASHA": {"nope": 1}}, workers=1)
    with pytest.raises(ValueError, match="unknown syne-tune optimizer"):
        harness.run_many(TABLE, ["st:Nope"], 1, Budget(models=5), workers=1)
    # what the table's export would refuse fails in the check, named by the arm, before any run
    with pytest.raises(ValueError, match=r"^st:ASHA: table .* has no cells with \[6\] blocks"):
        harness.run_many(TABLE, ["st:ASHA[blocks=6]"], 1, Budget(models=5), workers=1)
    with pytest.raises(ValueError, match=r"^st:ASHA: the 'blocks' encoding needs a closed table"):
        harness.run_many(TABLE, ["st:ASHA[blocks=1-2,encoding=blocks]"], 1, Budget(models=5), workers=1)


def test_arm_with_inline_options_and_held_out_seeds(st, tmp_path):
    """st: arms take inline options like our own, and under seed_policy='random' the cell a
    syne-tune run selects is scored on the seeds it did not see (B1: 3 seeds, closed)."""
    import pandas as pd

    from nasbench.search import harness

    arms = ["random[blocks=1]", "st:REA[blocks=1,population_size=10,sample_size=3]"]
    harness.compare(TABLE, arms, 3, Budget(models=40), tmp_path, seed_policy="random", workers=1)
    df = pd.read_parquet(tmp_path / "trajectories.parquet")
    assert set(df.algorithm) == set(arms) and set(df.num_blocks) == {1}
    sel = pd.read_csv(tmp_path / "selected.csv").set_index("algorithm")
    assert sel.loc[arms[1], "heldout_val"].notna().all()  # every run's pick matched its seed
    assert sel.loc[arms[1], "percentile"].between(0, 100).all()


def test_cli_export(st, tmp_path):
    r = CliRunner().invoke(main, ["export", "syne-tune", "-t", TABLE, "-o", str(tmp_path / "o"),
                                  "--blocks", "1"])
    assert r.exit_code == 0, r.output
    assert "136 cells x 3 seed slots x 10 epochs, encoding blocks (closed table)" in r.output
    assert (tmp_path / "o" / "objectives_evaluations.npy").is_file()
    r = CliRunner().invoke(main, ["export", "syne-tune", "-t", TABLE, "-o", str(tmp_path / "p"),
                                  "--blocks", "7"])
    assert r.exit_code == 2 and r.output.strip().count("\n") == 0 and "no cells with [7]" in r.output


def test_without_synetune_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "syne_tune", None)  # import syne_tune now fails
    r = CliRunner().invoke(main, ["export", "syne-tune", "-t", TABLE, "-o", str(tmp_path / "o")])
    assert r.exit_code != 0 and "pip install 'nasbench[synetune]'" in r.output
    assert r.output.strip().count("\n") == 0
    from nasbench.search import harness

    with pytest.raises(ValueError, match=r"pip install 'nasbench\[synetune\]'"):
        harness.run_many(TABLE, ["st:ASHA"], 1, Budget(models=5), workers=1)


@pytest.mark.slow
def test_bayesian_optimization_arm_on_closed_table(st, bench):
    pytest.importorskip("botorch", reason="st:BayesianOptimization needs botorch")
    df = st.run_arm(bench, "st:BayesianOptimization", Budget(models=12), seed=0, blocks=1).frame()
    assert len(df) == 12 and set(df.arch) <= set(bench.archs(1)) and (df.epochs == 10).all()


def test_random_seed_policy_answers_one_recorded_seed_uniformly(st, bench, exported):
    """seed_policy='random': each trial sees one recorded training run of its cell, each of the
    cell's k seeds with probability 1/k (B1 cells: 3 seeds; B2..B5 of this table: 1)."""
    from scipy import stats

    bb = st.load(exported, seed_policy="random")
    assert bb.num_seeds == 3  # lcm(3, 1)
    b1, b4 = bench.archs(1)[0], bench.archs(4)[0]
    f32 = np.float32  # syne-tune stores objectives as float32
    got = [bb.objective_function({"arch": b1, "space": "pnas"}, fidelity=10, seed=j)["val_acc"] for j in range(3)]
    assert got == [f32(bench.query(b1, seed=s)["val_acc"]) for s in (0, 1, 2)]
    assert {bb.objective_function({"arch": b4, "space": "pnas"}, fidelity=10, seed=j)["val_acc"]
            for j in range(3)} == {f32(bench.query(b4, seed=0)["val_acc"])}
    from nasbench.integrations.synetune.arms import blackbox_for

    run = st.run_arm(blackbox_for(bench, blocks=1, seed_policy="random"), "st:RandomSearch",
                     Budget(models=300), seed=1)
    df = run.frame()
    drawn = []
    for r in df.itertuples():
        per_seed = [f32(bench.query(r.arch, seed=s)["val_acc"]) for s in (0, 1, 2)]
        assert f32(r.val_acc) in per_seed  # one real training run, never a mean
        drawn.append(per_seed.index(f32(r.val_acc)))
    counts = np.bincount(drawn, minlength=3)
    assert stats.chisquare(counts).pvalue > 1e-3, counts  # ties in val only favour seed 0 a little
    assert st.run_arm(blackbox_for(bench, blocks=1, seed_policy="random"), "st:RandomSearch",
                      Budget(models=300), seed=1).frame().equals(df)


def test_op_subset_tables_export_with_their_own_ops(st, tmp_path):
    """A closed pnas3 table (all 21 B1 cells x 2 seeds, trained by the real builder on a tiny
    protocol) exports with the structured encoding over its 3 ops, maps an operand-swapped
    configuration to its canonical row, and serves a syne-tune arm with one seed per trial."""
    from builder_helpers import write_protocol
    from nasbench.integrations.synetune.arms import blackbox_for
    from nasbench.space import get_space

    out = tmp_path / "pnas3"
    r = CliRunner().invoke(main, ["build", "--space", "pnas3", "--exhaustive", "--blocks", "1",
                                  "--seeds", "0,1", "--protocol", str(write_protocol(tmp_path / "p.json")),
                                  "--out", str(out), "--workers", "1", "--no-progress"])
    assert r.exit_code == 0, r.output
    bench = Benchmark.open(out)
    bb = st.load(st.export(bench, tmp_path / "bb"), seed_policy="mean")
    space = get_space("pnas3")
    assert bb.encoding.kind == "blocks" and bb.encoding.space == "pnas3"
    assert set(bb.configuration_space["b1_op1"].categories) == set(space.ops)
    for cell in space.enumerate(1):
        config = bb.encoding.to_config(cell.canonical_string)
        swapped = {**config, "b1_op1": config["b1_op2"], "b1_in1": config["b1_in2"],
                   "b1_op2": config["b1_op1"], "b1_in2": config["b1_in1"]}
        want = bench.query(cell.canonical_string)
        for c in (config, swapped):
            got = bb.objective_function(c, fidelity=want["epochs"])
            assert got["val_acc"] == pytest.approx(want["val_acc"], rel=1e-6)
    run = st.run_arm(blackbox_for(bench, seed_policy="random"), "st:REA", Budget(models=20), seed=0,
                     population_size=5, sample_size=2).frame()
    assert len(run) == 20 and set(run.arch) <= set(bench.archs(1))


def test_rung_ladder_lands_on_the_epochs_a_table_evaluated(st):
    from nasbench.integrations.synetune.arms import rungs

    assert rungs(list(range(1, 11)), 10) == {}  # every epoch: syne-tune's defaults
    assert rungs([5, 10], 10) == {"grace_period": 5, "reduction_factor": 2}  # fmnist: one rung at 5
    assert rungs([2, 4, 8, 10], 10) == {"grace_period": 2, "reduction_factor": 2}
    assert rungs([3, 5, 10], 10) == {"grace_period": 3, "reduction_factor": 4}  # one rung at 3
    assert rungs([10], 10) == {"grace_period": 10, "reduction_factor": 2}  # no rung: full models


def test_asha_stops_trials_on_a_table_evaluated_at_few_epochs(st):
    """fmnist tables measure val at epochs 5 and 10 only: ASHA's default rungs (1, 3, 9) would
    see NaN and stop nothing, so every trial would train to the end."""
    from nasbench.integrations.synetune.arms import blackbox_for

    closed = Path(nasbench.__file__).parent / "shipped_tables" / "fmnist-pnas3-closed"
    bb = blackbox_for(closed, seed_policy="random")
    assert bb.evaluated_epochs == [5, 10]
    df = st.run_arm(bb, "st:ASHA", Budget(models=60), seed=0).frame()
    assert set(df.epochs) == {5, 10} and df.full_models.iloc[-1] < 60
    assert df.val_acc.notna().all()
    full = st.run_arm(bb, "st:ASHA", Budget(models=20), seed=0, grace_period=1).frame()
    assert (full.epochs == 10).all()  # the NaN rung at epoch 1 stops nothing
