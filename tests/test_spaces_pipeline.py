"""Downstream of the space registry, for every space: build a tiny table with the real builder,
open and query it, validate it, search it (replay and synthetic), fit a predictor on it and
compare the spaces with the analysis CLI. Nothing here special-cases PNAS."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from builder_helpers import tiny_protocol, write_plan
from nasbench.builder.build import build
from nasbench.builder.plan import from_file, params_window, sampled
from nasbench.builder.runners import RunnerConfig
from nasbench.cli import main
from nasbench.search import get_algorithm
from nasbench.search.base import Budget
from nasbench.search.evaluators import ReplayEvaluator, SyntheticEvaluator
from nasbench.space import SPACES, get_space, parse_arch
from nasbench.tables import Benchmark, validate

pytestmark = pytest.mark.usefixtures("one_thread")

ALL = sorted(SPACES)
#: Small members of the network families (the families' own samples are mostly large).
FAMILY_ARCHS = {
    "vanilla": ["vanilla:d=1,1,1;w=16,16,16", "vanilla:d=1,2,1;w=16,24,32", "vanilla:d=2,1,1;w=24,16,16"],
    "resnet": ["resnet:d=1,1,1;w=16,16,16", "resnet:d=1,1,2;w=16,24,16", "resnet:d=2,1,1;w=24,16,32"],
    "resnext_a": ["resnext_a:d=1,1,1;w=16,16,32;b=1,2,4;g=1,2,1", "resnext_a:d=1,1,1;w=16,32,16;b=1,1,1;g=1,1,1",
                  "resnext_a:d=2,1,1;w=16,16,16;b=2,2,2;g=2,2,2"],
    "resnext_b": ["resnext_b:d=1,1,1;w=64,64,64;b=4,4,4;g=1,2,4", "resnext_b:d=1,1,1;w=64,64,128;b=4,4,4;g=1,1,1",
                  "resnext_b:d=1,2,1;w=64,64,64;b=4,4,4;g=2,2,2"],
}


def small_archs(name: str) -> list[str]:
    if name in FAMILY_ARCHS:
        return FAMILY_ARCHS[name]
    return [g.canonical_string for g in dict.fromkeys(get_space(name).sample(1, 6, 3))][:3]


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, Path]:
    """One tiny table per space (3 archs x 1 seed, 1 epoch), built by the real builder."""
    root = tmp_path_factory.mktemp("spaces")
    out = {}
    for name in ALL:
        plan = from_file(write_plan(root / f"{name}.txt", small_archs(name)), [0])
        summary = build(plan, tiny_protocol(), root / name, RunnerConfig(workers=1), progress=False)
        assert summary.trained == 3 and summary.failed == 0, (name, summary)
        out[name] = root / name
    return out


@pytest.mark.parametrize("name", ALL)
def test_builder_writes_a_valid_table_of_the_space(tables, name):
    runs = pd.read_parquet(tables[name] / "runs.parquet")
    assert set(runs.space) == {name}
    assert (runs.status == "ok").all() and (runs.params > 0).all() and (runs.flops > 0).all()
    assert validate(tables[name]) == []
    assert f"space `{name}`" in (tables[name] / "TABLE.md").read_text()


@pytest.mark.parametrize("name", ALL)
def test_benchmark_queries_by_string_hash_and_genotype(tables, name):
    bench = Benchmark.open(tables[name])
    assert bench.space == name and len(bench) == 3
    for arch in small_archs(name):
        genotype = parse_arch(arch)
        row = bench.query(arch)
        assert row["arch"] == genotype.canonical_string
        assert bench.query(genotype.arch_hash)["val_acc"] == row["val_acc"]
        assert bench.query(genotype)["test_acc"] == row["test_acc"]
    other = "darts" if name != "darts" else "nasnet"
    foreign = get_space(other).sample(get_space(other).default_sizes[0], 1, 0)[0].canonical_string
    with pytest.raises(ValueError, match=f"space {other!r}, not of space {name!r}"):
        bench.query(foreign)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("algorithm", ["random", "evolution"])
def test_replay_search_runs_in_every_space(tables, name, algorithm):
    options = {"evolution": {"population": 2, "sample": 2}}.get(algorithm, {})
    ev = ReplayEvaluator(tables[name], miss="restrict")
    traj = get_algorithm(algorithm).run(ev, Budget(models=6), seed=0, **options)
    assert len(traj) == 6
    held = set(Benchmark.open(tables[name]).archs())
    assert set(traj.to_frame()["arch"]) <= held


@pytest.mark.parametrize("name", ["pnas", "pnas4", "darts"])
def test_replay_rl_restricted_to_a_sparse_table(tables, name):
    """RL in restricted replay re-draws until the table holds the cell: fine on the 3 of 136
    PNAS (3 of 36 pnas4) B1 cells, refused with one clear line on 3 of 4,096 DARTS B1 genotypes."""
    ev = ReplayEvaluator(tables[name], miss="restrict")
    run = lambda: get_algorithm("rl").run(ev, Budget(models=4), seed=0, batch_size=2, max_redraws=200)  # noqa: E731
    if name != "darts":
        assert len(run()) == 4
    else:
        with pytest.raises(ValueError, match="drew 200 cells in a row"):
            run()


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("algorithm", ["random", "evolution", "rl", "ppo"])
def test_unrestricted_search_samples_valid_genotypes(name, algorithm):
    """Against a synthetic score every proposal must be a valid genotype of the space (RL's
    controller emits both cells of a two-cell space, or the stages of a family)."""
    space = get_space(name)
    size = space.default_sizes[-1]
    ev = SyntheticEvaluator(lambda g: (hash(g.canonical_string) % 1000) / 1000, space=name)
    options = {"evolution": {"population": 4, "sample": 2}, "rl": {"batch_size": 4, "hidden": 16},
               "ppo": {"batch_size": 4, "hidden": 16}}.get(algorithm, {})
    traj = get_algorithm(algorithm).run(ev, Budget(models=8), seed=1, blocks=size, **options)
    frame = traj.to_frame()
    assert len(frame) == 8
    for arch in frame["arch"]:
        g = parse_arch(arch, name)
        assert g.num_blocks == size and g.canonical_string == arch


def test_pnas_search_runs_on_a_cell_space_and_refuses_a_family(tables):
    traj = get_algorithm("pnas").run(ReplayEvaluator(tables["darts"], miss="restrict"), None, seed=0,
                                     K=2, Bmax=2, surrogate="xgboost")
    assert len(traj) == 3  # the table's B1 genotypes; no B2 child is in the table
    with pytest.raises(ValueError, match="no cells with 1 blocks"):
        get_algorithm("pnas").run(ReplayEvaluator(tables["resnet"], miss="restrict"), None, seed=0, K=2)


@pytest.mark.parametrize("name", ALL)
def test_predictors_fit_one_space_and_refuse_another(tables, name):
    from nasbench.predictors import create_predictor

    runs = pd.read_parquet(tables[name] / "runs.parquet")
    for kind, params in [("lstm", {"epochs": 2}), ("mlp_ensemble", {"epochs": 2, "n_members": 2}),
                         ("xgboost", {"num_rounds": 5, "min_child_weight": 1})]:
        model = create_predictor(kind, **params).fit(runs.arch.tolist(), runs.val_acc.to_numpy())
        pred = model.predict(runs.arch.tolist())
        assert pred.shape == (3,) and np.isfinite(pred).all()
    other = "pnas" if name != "pnas" else "enas"
    foreign = get_space(other).sample(get_space(other).default_sizes[0], 1, 0)
    with pytest.raises(ValueError, match=f"fitted on space {name!r}"):
        model.predict(foreign)


def test_analysis_compares_all_spaces(tables, tmp_path):
    args = ["analyze", "ks", "--group-by", "space", "--min-models", "2"]
    for name in ALL:
        args += ["--table", str(tables[name])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    for name in ALL:
        assert name in result.output
    report = ["analyze", "report", "--group-by", "space", "--min-models", "2", "--permutations", "20",
              "--trials", "20", "--out", str(tmp_path / "report")]
    for name in ALL:
        report += ["--table", str(tables[name])]
    result = CliRunner().invoke(main, report)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "report" / "README.md").read_text()
    assert all(f"| space={name} | 3 |" in text for name in ALL), text[:2000]


def test_params_window_filters_sampled_plans():
    protocol = tiny_protocol()
    accept = params_window(protocol, max_params=40_000)
    plan = sampled([3], 3, [0], space="resnext_a", accept=accept, window="params <= 40000")
    cells = list(plan.cells())
    assert len(cells) == 3 and all(accept(c) for c in cells)
    assert "params <= 40000" in plan.description
    with pytest.raises(ValueError, match="fit params <= 10"):
        list(sampled([3], 2, [0], space="resnet", accept=params_window(protocol, max_params=10),
                     window="params <= 10").cells())


def test_build_cli_builds_a_two_cell_space_by_name(tmp_path):
    protocol = tmp_path / "tiny.json"
    protocol.write_text(tiny_protocol().to_json())
    out = tmp_path / "enas"
    result = CliRunner().invoke(main, ["build", "--space", "enas", "--blocks", "1", "--sample", "2",
                                       "--protocol", str(protocol), "--out", str(out), "--workers", "1",
                                       "--no-progress"])
    assert result.exit_code == 0, result.output
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 2 and set(runs.space) == {"enas"} and runs.arch.str.startswith("enas:").all()
    bad = CliRunner().invoke(main, ["build", "--space", "enas", "--blocks", "9", "--sample", "2",
                                    "--protocol", str(protocol), "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "size (blocks) must be one of" in bad.output
