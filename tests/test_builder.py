"""Acceptance tests of the builder: planning, resume, protocol pinning, locking, corrupt
shards. Builds are tiny (B1 cells, 1 epoch, F=4) and share one reference build."""
from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from builder_helpers import (PLAN_ARCHS, PLAN_SEEDS, assert_same_results, b1_archs, copy_build, read_table,
                             reference_build, restrict, shard_count, table_keys, tiny_protocol, write_plan)
from nasbench.builder.build import build, build_lock
from nasbench.builder.plan import Plan, children_of, exhaustive, from_file, sampled, seed_map
from nasbench.builder.runners import RunnerConfig
from nasbench.builder.train import train
from nasbench.space import Cell, pnas
from nasbench.tables.io import read_metadata
from nasbench.tables.validation import validate

PROTO = tiny_protocol()


def plan_keys(plan: Plan) -> list[tuple[str, int]]:
    return [t.key for t in plan.tasks()]


@pytest.fixture(scope="module")
def reference() -> Path:
    return reference_build(PLAN_ARCHS, PLAN_SEEDS)


@pytest.fixture
def plan_file(tmp_path) -> Path:
    return write_plan(tmp_path / "plan.txt", PLAN_ARCHS)


def quiet_build(plan, out, workers=2, **kw):
    return build(plan, PROTO, out, RunnerConfig(workers=workers), shard_size=kw.pop("shard_size", 1),
                 progress=False, **kw)


# ====================================================================== planning
def test_sampled_is_reproducible_and_distinct():
    a = sampled([1, 2], 12, [0], build_seed=5)
    b = sampled([1, 2], 12, [0], build_seed=5)
    c = sampled([1, 2], 12, [0], build_seed=6)
    cells_a = list(a.cells())
    assert cells_a == list(b.cells()) == list(a.cells())  # reproducible, and re-iterable
    assert cells_a != list(c.cells())
    assert len(cells_a) == 24 == a.num_cells == len(a)
    assert a.cells_per_block == {1: 12, 2: 12}
    assert [c.num_blocks for c in cells_a].count(2) == 12
    for cell in cells_a:
        assert cell == cell.canonical()
    assert len({cell.arch_hash for cell in cells_a}) == 24
    keys = plan_keys(a)
    assert len(keys) == len(set(keys)) == len(a)


def test_sampled_more_than_exist_gives_all():
    plan = sampled([1], 500, [0, 1])
    cells = list(plan.cells())
    assert len(cells) == 136 == pnas.count(1) == plan.num_cells
    assert set(cells) == set(pnas.enumerate(1))
    assert len(plan) == 272 == len(plan_keys(plan)) == len(set(plan_keys(plan)))


def test_exhaustive_b1():
    plan = exhaustive([1], [0])
    cells = list(plan.cells())
    assert len(cells) == 136 == len(set(cells)) == len(plan)
    assert all(c == c.canonical() and c.num_blocks == 1 for c in cells)
    assert len(exhaustive([1, 2], [0, 1, 2])) == 3 * (136 + pnas.count(2))


def test_per_block_seeds():
    seeds = {0: (0,), 1: (0, 1, 2)}
    plan = sampled([1, 2], 5, seeds)
    tasks = list(plan.tasks())
    assert len(plan) == len(tasks) == 5 * 3 + 5 * 1
    for t in tasks:
        assert t.seed in ((0, 1, 2) if t.num_blocks == 1 else (0,))
        assert t.arch == Cell.parse(t.arch).canonical_string and t.arch_hash == Cell.parse(t.arch).arch_hash
    assert sorted(t.seed for t in tasks if t.num_blocks == 1) == [0] * 5 + [1] * 5 + [2] * 5
    big = exhaustive([1, 2], {0: [0], 1: [0, 1, 2]})
    assert len(big) == 3 * 136 + pnas.count(2)


def test_seed_map_errors():
    assert seed_map([2, 0, 2]) == {0: (0, 2)}
    with pytest.raises(ValueError):
        seed_map({1: [0, 1]})  # no default
    with pytest.raises(ValueError):
        seed_map([-1])
    with pytest.raises(ValueError):
        seed_map([])
    with pytest.raises(ValueError):
        sampled([0], 3, [0])
    with pytest.raises(ValueError):
        sampled([1], 0, [0])


def test_from_file_comments_blanks_dedupe(tmp_path):
    a = "sep_conv_3x3@0+max_pool_3x3@1"
    path = tmp_path / "plan.txt"
    path.write_text(
        "# my plan\n"
        "\n"
        f"{a}\n"
        "   \n"
        "max3@1+sep3@0   # the same cell: operands swapped, aliases\n"
        "sep5@0+max3@0,sep7@1+max3@1\n"
        "\t# indented comment\n"
        "sep7@1+max3@1,sep5@0+max3@0\n"  # the same B2 cell, blocks reordered
    )
    plan = from_file(path, [0, 3])
    cells = list(plan.cells())
    assert len(cells) == 2 and plan.num_cells == 2
    assert cells[0].canonical_string == Cell.parse(a).canonical_string
    assert plan.cells_per_block == {1: 1, 2: 1}
    assert len(plan) == 4 and {t.seed for t in plan.tasks()} == {0, 3}


def test_from_file_names_the_bad_line(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text("# header\nsep3@0+max3@1\nsep3@0+nope@1\nsep5@0+max3@1\n")
    with pytest.raises(ValueError) as info:
        from_file(path, [0])
    msg = str(info.value)
    assert msg.startswith(f"{path}:3: "), msg
    assert "\n" not in msg
    path.write_text("# only comments\n\n   # and blanks\n")
    with pytest.raises(ValueError, match="no architecture"):
        from_file(path, [0])
    with pytest.raises(FileNotFoundError):
        from_file(tmp_path / "missing.txt", [0])


def _top_sets(means: pd.Series, k: int) -> list[set[str]]:
    """Every valid choice of the k best (ties at the boundary give several)."""
    ranked = means.sort_values(ascending=False)
    threshold = ranked.iloc[k - 1]
    above = set(ranked[ranked > threshold].index)
    tied = sorted(ranked[ranked == threshold].index)
    return [above | set(chosen) for chosen in itertools.combinations(tied, k - len(above))]


def _children(parents) -> set[str]:
    return {child.canonical_string for p in parents for child in pnas.expand(p)}


@pytest.mark.parametrize("top", [1, 3])
def test_children_of_a_real_table(reference, top):
    plan = children_of(reference, top=top, seeds=[0])
    cells = list(plan.cells())
    got = [c.canonical_string for c in cells]
    assert len(got) == len(set(got)) == plan.num_cells == len(plan)
    assert all(c.num_blocks == 2 and c == c.canonical() for c in cells)
    runs = pd.read_parquet(reference / "runs.parquet")
    means = runs.groupby("arch")["val_acc"].mean()  # mean over the seeds
    candidates = [_children(parents) for parents in _top_sets(means, top)]
    assert set(got) in candidates, "children are not the expansion of any top-K choice"
    assert plan.cells_per_block == {2: len(got)}


def test_children_of_expands_only_the_largest_block_count(tmp_path):
    b1 = [Cell.parse(a) for a in b1_archs(3)]
    b2 = list(dict.fromkeys(pnas.sample(2, 12, 11)))[:4]
    assert len(b2) == 4
    rows = []
    for i, cell in enumerate(b1):  # B1 cells score best but are not the largest size
        rows.append(dict(arch=cell.canonical_string, num_blocks=1, status="ok", val_acc=0.99 - i / 100))
    scores = [0.5, 0.7, 0.6, 0.95]
    for cell, score in zip(b2, scores):
        rows.append(dict(arch=cell.canonical_string, num_blocks=2, status="ok", val_acc=score))
        rows.append(dict(arch=cell.canonical_string, num_blocks=2, status="ok", val_acc=score - 0.1))
    # a failed run of the last B2 cell must not count
    rows.append(dict(arch=b2[3].canonical_string, num_blocks=2, status="failed", val_acc=float("nan")))
    pd.DataFrame(rows).to_parquet(tmp_path / "runs.parquet")
    plan = children_of(tmp_path, top=2, seeds=[0])
    got = {c.canonical_string for c in plan.cells()}
    assert got == _children([b2[3], b2[1]])
    assert all(c.num_blocks == 3 for c in plan.cells())


# ====================================================================== builds
def test_reference_build_is_complete_valid_and_deterministic(reference, plan_file):
    plan = from_file(plan_file, PLAN_SEEDS)
    assert table_keys(reference) == set(plan_keys(plan))
    runs, curves = read_table(reference, timing=True)
    assert len(runs) == len(plan) == 30
    assert (runs.status == "ok").all() and (runs.protocol_hash == PROTO.protocol_hash).all()
    assert len(curves) == len(plan) * PROTO.epochs
    assert validate(reference) == []
    meta = read_metadata(reference)
    assert meta.protocol == PROTO.to_dict()
    assert meta.protocol_hash == PROTO.protocol_hash
    assert json.loads((reference / "build.json").read_text())["protocol_hash"] == PROTO.protocol_hash
    # a pool worker's result is bit-identical to training the task here
    for task in list(plan.tasks())[::7]:
        mine = train(task.arch, PROTO, task.seed)
        row = runs[(runs.arch_hash == task.arch_hash) & (runs.seed == task.seed)].iloc[0]
        for key, value in mine.run.items():
            if key not in ("train_seconds", "eval_seconds", "error"):
                assert row[key] == value, (task, key, row[key], value)


def test_rerun_trains_nothing(reference, plan_file, tmp_path):
    out = copy_build(reference, tmp_path / "out")
    plan = from_file(plan_file, PLAN_SEEDS)
    summary = quiet_build(plan, out)
    assert summary.trained == 0 and summary.failed == 0
    assert summary.skipped == summary.planned == len(plan) == 30
    assert summary.interrupted is False
    assert_same_results(out, reference)
    assert shard_count(out) == shard_count(reference)


def test_resume_after_lost_shards_and_a_grown_plan(reference, tmp_path):
    out = copy_build(reference, tmp_path / "out")
    lost = sorted((out / "shards").glob("shard-*.json"))[:3]
    lost_keys = set()
    for path in lost:
        payload = json.loads(json.loads(path.read_text())["payload"])
        lost_keys |= {(r["run"]["arch_hash"], r["run"]["seed"]) for r in payload["results"]}
        path.unlink()
    assert len(lost_keys) == 3
    new_archs = [a for a in b1_archs(40, offset=1) if a not in PLAN_ARCHS][:2]
    plan = from_file(write_plan(tmp_path / "plan.txt", PLAN_ARCHS + new_archs), PLAN_SEEDS)
    summary = quiet_build(plan, out)
    assert summary.planned == len(plan) == 34
    assert summary.trained == 3 + 4 and summary.skipped == 27, summary
    assert table_keys(out) == set(plan_keys(plan))
    assert_same_results(out, reference, keys=table_keys(reference))
    assert validate(out) == []


def test_other_protocol_is_refused(reference, plan_file, tmp_path):
    out = copy_build(reference, tmp_path / "out")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    other = tiny_protocol(lr=0.1)
    with pytest.raises(ValueError) as info:
        build(from_file(plan_file, [0]), other, out, RunnerConfig(workers=1), progress=False)
    msg = str(info.value)
    assert "\n" not in msg and PROTO.protocol_hash in msg and other.protocol_hash in msg
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before


def test_second_builder_gets_a_clear_error(reference, plan_file, tmp_path):
    out = copy_build(reference, tmp_path / "out")
    with build_lock(out):
        with pytest.raises(FileExistsError) as info:
            build(from_file(plan_file, PLAN_SEEDS), PROTO, out, RunnerConfig(workers=1), progress=False)
    msg = str(info.value)
    assert "\n" not in msg and "another nasbench build" in msg and str(os.getpid()) in msg
    assert_same_results(out, reference)
    # once released, the folder is usable again
    with build_lock(out):
        pass


def test_corrupt_shards_are_reported_moved_aside_and_rerun(reference, plan_file, tmp_path, capsys):
    out = copy_build(reference, tmp_path / "out")
    truncated, flipped = sorted((out / "shards").glob("shard-*.json"))[4:6]
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    data = bytearray(flipped.read_bytes())
    for pos in (len(data) // 3, len(data) // 2, 2 * len(data) // 3):
        data[pos] ^= 0x01
    flipped.write_bytes(bytes(data))
    capsys.readouterr()
    plan = from_file(plan_file, PLAN_SEEDS)
    summary = quiet_build(plan, out)
    err = capsys.readouterr().err
    assert "corrupt" in err.lower()
    assert truncated.name in err and flipped.name in err
    assert truncated.with_suffix(".corrupt").is_file() and flipped.with_suffix(".corrupt").is_file()
    assert summary.trained == 2 and summary.skipped == len(plan) - 2, summary
    assert_same_results(out, reference)
    assert validate(out) == []
    # the moved-aside files are not read again
    summary = quiet_build(plan, out)
    assert "corrupt shard" not in capsys.readouterr().err.lower()
    assert summary.trained == 0


def test_a_table_keeps_failed_rows(reference, tmp_path):
    """Tasks that failed for good (params 0, NaN metrics) still compact into a valid table."""
    from nasbench.builder.build import compact
    from nasbench.builder.runners import failed_result
    from nasbench.builder.shards import ShardStore

    out = tmp_path / "out"
    out.mkdir()
    plan = from_file(write_plan(tmp_path / "p.txt", PLAN_ARCHS[:2]), [0])
    ok_task, failed_task = list(plan.tasks())
    ShardStore(out).write([train(ok_task.arch, PROTO, 0),
                           failed_result(failed_task, PROTO, "worker process died 4 times")])
    compact(out, PROTO, report=lambda msg: None)
    runs, curves = read_table(out)
    assert dict(zip(runs.arch_hash, runs.status)) == {ok_task.arch_hash: "ok", failed_task.arch_hash: "failed"}
    assert set(curves.arch_hash) == {ok_task.arch_hash} and validate(out) == []


def test_failed_results_are_retried_and_done_ones_are_not(reference, tmp_path):
    """A ``failed`` row is re-run by the next build; ``ok`` and ``diverged`` rows are kept."""
    from nasbench.builder.runners import failed_result
    from nasbench.builder.shards import ShardStore

    out = tmp_path / "out"
    plan = from_file(write_plan(tmp_path / "p.txt", PLAN_ARCHS[:3]), [0])
    ok_task, failed_task, diverged_task = list(plan.tasks())
    out.mkdir()
    (out / "build.json").write_text(json.dumps({"protocol_hash": PROTO.protocol_hash,
                                                "protocol": PROTO.to_dict()}))
    ok = train(ok_task.arch, PROTO, 0)
    diverged = train(diverged_task.arch, PROTO, 0)
    diverged.run.update(status="diverged", error="non-finite loss at epoch 1")
    ShardStore(out).write([ok, failed_result(failed_task, PROTO, "RuntimeError: boom"), diverged])
    summary = quiet_build(plan, out, workers=1)
    assert summary.trained == 1 and summary.skipped == 2 and summary.failed == 0, summary
    runs, _ = read_table(out)
    assert dict(zip(runs.arch_hash, runs.status)) == {
        ok_task.arch_hash: "ok", failed_task.arch_hash: "ok", diverged_task.arch_hash: "diverged"}
    keys = {ok_task.key, failed_task.key}
    assert_same_results(restrict(*read_table(out), keys), restrict(*read_table(reference), keys))
    assert validate(out) == []


def test_largest_first_sorts_within_windows_and_keeps_every_task():
    from nasbench.builder.build import largest_first
    from nasbench.builder.plan import Task

    tasks = [Task(f"a{i}", f"h{i}", b, 0) for i, b in enumerate([1, 3, 1, 2, 3, 1, 5])]
    ordered = list(largest_first(tasks, window=4))
    assert [t.num_blocks for t in ordered] == [3, 2, 1, 1, 5, 3, 1]
    assert [t.arch for t in ordered[:4]] == ["a1", "a3", "a0", "a2"]  # stable among equals
    assert sorted(t.arch for t in ordered) == sorted(t.arch for t in tasks)
    assert list(largest_first(iter([]))) == []
