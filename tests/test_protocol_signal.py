"""Protocol fields added for top-region signal (resolution, evaluation schedule) keep old
hashes; collapsed runs are flagged; the signal figures of nasbench.tables.signal appear in
the datasheet and in `nasbench info`. Real tiny training throughout."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import spearmanr

from builder_helpers import b1_archs, tiny_protocol, write_plan
from nasbench.builder.build import build
from nasbench.builder.plan import from_file
from nasbench.builder.protocol import HASH_NEUTRAL, PRESETS, Protocol
from nasbench.builder.runners import RunnerConfig
from nasbench.builder.train import train
from nasbench.cli import main
from nasbench.tables.benchmark import Benchmark
from nasbench.tables.datasheet import table_summary
from nasbench.tables.io import read_metadata
from nasbench.tables.signal import collapse_reason, seed_correlation, signal_figures, top_quartile
from nasbench.tables.validation import validate
from table_factory import make_rows

SHIPPED = Path(__file__).resolve().parent.parent / "tables" / "digits-pnas"
#: The presets that existed before the new fields: their hashes must never move.
PINNED = {"digits": "635d22873c4bfe79", "digits-quick": "47fc60da73542d3c", "cifar10": "db93b0a5afdd0c43"}


def test_existing_presets_keep_their_hashes_and_the_shipped_table_stays_valid():
    assert {name: PRESETS[name].protocol_hash for name in PINNED} == PINNED
    assert read_metadata(SHIPPED).protocol_hash == PINNED["digits"]
    assert validate(SHIPPED) == []


@pytest.mark.parametrize("name, value", [("resolution", 4), ("val_every", 2), ("test_final_only", True)])
def test_new_fields_are_hash_neutral_at_default_only(name, value):
    base = PRESETS["digits"]
    assert not set(HASH_NEUTRAL) & set(base.to_dict())
    assert Protocol.from_dict({**base.to_dict(), name: HASH_NEUTRAL[name]}).protocol_hash == base.protocol_hash
    changed = base.replace(**{name: value})
    assert changed.to_dict()[name] == value and changed.protocol_hash != base.protocol_hash
    assert Protocol.from_json(changed.to_json()) == changed


@pytest.mark.parametrize("changes, phrase", [({"resolution": 0}, "resolution must be >= 1"),
                                             ({"val_every": 0}, "val_every must be >= 1"),
                                             ({"test_final_only": 1}, "test_final_only must be bool")])
def test_bad_new_fields_are_one_line_errors(changes, phrase):
    with pytest.raises(ValueError, match=phrase) as info:
        PRESETS["digits"].replace(**changes)
    assert "\n" not in str(info.value)


def test_every_new_preset_warms_up():
    new = [p for name, p in PRESETS.items() if name not in PINNED]
    assert new and all(p.warmup_epochs >= 1 for p in new)


def test_evaluation_schedule_leaves_nan_and_builds_a_valid_table(tmp_path):
    protocol = tiny_protocol(epochs=4, val_every=2, test_final_only=True)
    result = train(b1_archs(1)[0], protocol, seed=0)
    curves = pd.DataFrame(result.curves)
    assert curves.val_acc.isna().tolist() == [True, False, True, False]
    assert curves.test_acc.isna().tolist() == [True, True, True, False]
    assert curves.train_loss.notna().all()
    assert result.run["best_val_epoch"] in (2, 4) and result.run["val_acc"] == curves.val_acc.iloc[-1]
    plan = from_file(write_plan(tmp_path / "plan.txt", b1_archs(2)), [0, 1])
    build(plan, protocol, tmp_path / "out", RunnerConfig(workers=1), progress=False)
    assert validate(tmp_path / "out") == []
    stored = pd.read_parquet(tmp_path / "out" / "curves.parquet")
    assert stored.val_acc.isna().sum() == 2 * 2 * 2 and stored.test_acc.isna().sum() == 2 * 2 * 3
    bench = Benchmark.open(tmp_path / "out")  # readers pass the NaN of a skipped epoch through
    arch = b1_archs(2)[0]
    assert math.isnan(bench.query(arch, seed=0, epoch=3)["val_acc"])
    assert bench.query(arch, epoch=2)["val_acc"] == pytest.approx(stored[(stored.epoch == 2) & (
        stored.arch_hash == bench.query(arch)["arch_hash"])].val_acc.mean())


def test_resolution_pools_the_images_and_the_network_follows():
    cell = b1_archs(1)[0]
    full = train(cell, tiny_protocol(), seed=0).run
    pooled = train(cell, tiny_protocol(resolution=4), seed=0).run
    assert pooled["status"] == "ok" and pooled["flops"] < full["flops"] / 2
    with pytest.raises(ValueError, match="resolution 3 does not divide the 8x8 images"):
        train(cell, tiny_protocol(resolution=3), seed=0)


def test_collapse_rule():
    assert collapse_reason(2 * math.log(10) + 0.01, 0.9, 0.9, 10).startswith("collapsed: epoch-1 train loss")
    assert "near chance" in collapse_reason(1.0, 0.19, 0.4, 10)
    assert collapse_reason(2 * math.log(10) - 0.01, 0.2, 0.9, 10) is None
    assert collapse_reason(2.3, 0.1, 0.39, 10) is None  # never learned: undertrained, not collapsed


def test_a_collapsing_run_is_flagged_and_counted(tmp_path):
    """lr 30 blows a real B1 run up in epoch 1 without a NaN: status `collapsed`, in the datasheet."""
    protocol = tiny_protocol(epochs=2, lr=30.0)
    plan = from_file(write_plan(tmp_path / "plan.txt", b1_archs(1)), [0])
    build(plan, protocol, tmp_path / "out", RunnerConfig(workers=1), progress=False)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert runs.status.tolist() == ["collapsed"] and runs.error[0].startswith("collapsed:")
    assert math.isfinite(runs.val_acc[0]) and validate(tmp_path / "out") == []
    summary = table_summary(tmp_path / "out")
    assert summary["status"]["collapsed"] == 1
    assert summary["signal"]["collapsed"] == {"runs": 1, "flagged": 1, "unflagged": 0, "of": 1}
    assert "collapsed runs: 1 of 1 (1 flagged" in (tmp_path / "out" / "TABLE.md").read_text()
    again = build(plan, protocol, tmp_path / "out", RunnerConfig(workers=1), progress=False)
    assert again.trained == 0  # a collapsed run is finished: resuming does not retrain it


def test_signal_figures_match_a_direct_computation():
    runs, curves = (pd.DataFrame(rows) for rows in make_rows(blocks=(1, 2), per_block=8, failed=0, diverged=0))
    runs.loc[0, "status"] = "collapsed"
    top = top_quartile(runs)
    means = runs.groupby("arch_hash").val_acc.mean()
    assert set(top) == set(means.index[means >= means.quantile(0.75)])
    wide = runs[runs.arch_hash.isin(top)].pivot(index="arch_hash", columns="seed", values="val_acc")
    rhos = [spearmanr(wide[a], wide[b]).statistic for a, b in [(0, 1), (0, 2), (1, 2)]]
    assert seed_correlation(runs, "val_acc", top)["rho"] == pytest.approx(np.mean(rhos))
    curves.loc[(curves.arch_hash == runs.arch_hash[1]) & (curves.seed == runs.seed[1]) & (curves.epoch == 1),
               "train_loss"] = 9.0  # an `ok` run that exploded in epoch 1: found by the rule
    figures = signal_figures(runs, curves, 10)
    assert figures["collapsed"] == {"runs": 2, "flagged": 1, "unflagged": 1, "of": len(runs)}


def test_info_prints_the_signal_of_the_shipped_table():
    result = CliRunner().invoke(main, ["info", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    assert "seed-to-seed Spearman of val_acc, top quartile: " in result.output
    assert "collapsed runs: " in result.output
