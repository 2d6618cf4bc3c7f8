"""A new genotype kind is one module plus one registry line: this module defines a "chain" space
(a genotype is a sequence of ops, not a cell, a cell pair or a network spec) with its own
network, and the one line ``NASBENCH_SPACES=<this module>`` registers it -- also in the worker
processes the builder spawns, which inherit the environment. Then it runs end to end: a real
build, queries, predictors, the surrogate and searches (random, evolution, RL) in replay."""
from __future__ import annotations

import ast
import itertools
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from builder_helpers import tiny_protocol
from nasbench.space import PLUGINS_ENV, get_space, parse_arch
from nasbench.space.base import Decisions, Space, hash_string, strip_prefix

# ====================================================================== the kind: one module
OPS = ("conv1x1", "conv3x3", "max_pool")
MAX_LENGTH = 3


@dataclass(frozen=True)
class Chain:
    """A genotype of the chain space: op codes (indices into ``OPS``), applied in order."""

    ops: tuple[int, ...]
    space = "chain"

    @property
    def num_blocks(self) -> int:
        return len(self.ops)

    def canonical(self) -> "Chain":
        return self

    @cached_property
    def canonical_string(self) -> str:
        return "chain:" + "-".join(OPS[op] for op in self.ops)

    @cached_property
    def arch_hash(self) -> str:
        return hash_string(self.canonical_string)

    def __lt__(self, other: "Chain") -> bool:
        return (len(self.ops), self.ops) < (len(other.ops), other.ops)

    def __str__(self) -> str:
        return self.canonical_string


class ChainSpace(Space):
    """Chains of 1..3 ops; no symmetries, so every chain is canonical."""

    name = "chain"
    description = "test kind: a stem, then a chain of ops, pooled linear head"
    sizes = tuple(range(1, MAX_LENGTH + 1))
    default_sizes = (2,)
    ops = OPS
    network = f"{__name__}:ChainNetwork"

    def parse(self, arch) -> Chain:
        self.check_own(arch)
        if isinstance(arch, Chain):
            return arch
        names = strip_prefix(str(arch), self.name).split("-")
        if not all(n in OPS for n in names) or not 1 <= len(names) <= MAX_LENGTH:
            raise ValueError(f"chain: expected 1..{MAX_LENGTH} of {', '.join(OPS)} joined by '-', got {arch!r}")
        return Chain(tuple(OPS.index(n) for n in names))

    def draw(self, b, rng) -> Chain:
        self.check_size(b)
        return Chain(tuple(int(op) for op in rng.integers(len(OPS), size=b)))

    def count(self, b) -> int:
        self.check_size(b)
        return len(OPS) ** b

    def enumerate(self, b):
        self.check_size(b)
        return (Chain(ops) for ops in itertools.product(range(len(OPS)), repeat=b))

    def neighbours(self, arch) -> list[Chain]:
        ops = self.parse(arch).ops
        return sorted(Chain(ops[:i] + (o,) + ops[i + 1:]) for i in range(len(ops)) for o in range(len(OPS))
                      if o != ops[i])

    def tokens(self, genotype) -> np.ndarray:
        return np.array([(1 + i, 1 + MAX_LENGTH + op, 0, 0) for i, op in enumerate(genotype.ops)], dtype=np.int64)

    def vocab_size(self) -> int:
        return 1 + MAX_LENGTH + len(OPS)

    def features(self, genotypes, max_blocks) -> np.ndarray:
        out = np.zeros((len(genotypes), MAX_LENGTH * len(OPS)), dtype=np.float32)
        for row, g in enumerate(genotypes):
            for i, op in enumerate(g.ops):
                out[row, i * len(OPS) + op] = 1.0
        return out

    def cost_features(self, genotypes) -> np.ndarray:
        return np.array([[1.0] + [g.ops.count(op) for op in range(len(OPS))] for g in genotypes], dtype=float)

    def decisions(self, blocks) -> Decisions:
        if len(blocks) != 1:
            raise ValueError("the chain controller draws chains of one length")
        return Decisions(fields=(("op", len(OPS)),), stages=blocks[0])

    def from_decisions(self, decoded) -> Chain:
        return Chain(tuple(decoded[0]))


class ChainNetwork(nn.Module):
    """3x3 conv stem of F channels, the chain's ops at width F, global pool, linear."""

    def __init__(self, chain: Chain, config):
        super().__init__()
        f = config.F
        layers = [nn.Conv2d(config.in_channels, f, 3, padding=1, bias=False), nn.BatchNorm2d(f)]
        for op in chain.ops:
            if OPS[op] == "max_pool":
                layers.append(nn.MaxPool2d(3, 1, 1))
            else:
                k = 1 if OPS[op] == "conv1x1" else 3
                layers += [nn.ReLU(), nn.Conv2d(f, f, k, padding=k // 2, bias=False), nn.BatchNorm2d(f)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(f, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(torch.relu(self.body(x)), 1), 1))


SPACE = ChainSpace()


# ====================================================================== end to end
pytestmark = pytest.mark.usefixtures("one_thread", "chain_registered")


@pytest.fixture(scope="module")
def chain_registered():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PLUGINS_ENV, __name__)  # the one registry line
        yield


@pytest.fixture(scope="module")
def table(chain_registered, tmp_path_factory) -> Path:
    """Every chain of 1 and 2 ops (3 + 9), one seed, trained by the real builder in a spawned worker."""
    from nasbench.builder.build import build
    from nasbench.builder.plan import exhaustive
    from nasbench.builder.runners import RunnerConfig

    out = tmp_path_factory.mktemp("chain") / "table"
    summary = build(exhaustive([1, 2], [0], space="chain"), tiny_protocol(), out, RunnerConfig(workers=1),
                    progress=False)
    assert summary.trained == 12 and summary.failed == 0, summary
    return out


def test_the_kind_is_known_only_where_registered(monkeypatch):
    assert get_space("chain") is SPACE
    monkeypatch.delenv(PLUGINS_ENV)
    with pytest.raises(ValueError, match="unknown space 'chain'"):
        parse_arch("chain:conv1x1")
    monkeypatch.setenv(PLUGINS_ENV, "no_such_module_here")
    with pytest.raises(ValueError, match="NASBENCH_SPACES: cannot import 'no_such_module_here'"):
        get_space("chain")
    monkeypatch.setenv(PLUGINS_ENV, "json")
    with pytest.raises(ValueError, match="module 'json' holds no SPACE"):
        get_space("chain")


def test_the_builder_trains_the_kinds_own_network_in_its_workers(table):
    from nasbench.model import build_network, count_params, network_params
    from nasbench.tables import validate

    runs = pd.read_parquet(table / "runs.parquet")
    assert set(runs.space) == {"chain"} and (runs.status == "ok").all()
    assert sorted(runs.num_blocks.value_counts().items()) == [(1, 3), (2, 9)]
    config = tiny_protocol().macro_config(num_classes=10, in_channels=1)
    for arch, params in zip(runs.arch, runs.params):  # the worker built ChainNetwork, nothing else
        assert params == count_params(ChainNetwork(parse_arch(arch), config))
        assert params == network_params(parse_arch(arch), config) == count_params(build_network(parse_arch(arch), config))
    assert validate(table) == []
    assert "space `chain`" in (table / "TABLE.md").read_text()


def test_queries_by_string_hash_and_genotype(table):
    from nasbench.cli import main
    from nasbench.tables import Benchmark

    bench = Benchmark.open(table)
    assert bench.space == "chain" and len(bench) == 12
    g = parse_arch("chain:conv3x3-max_pool")
    row = bench.query("chain:conv3x3-max_pool")
    assert row["arch"] == g.canonical_string and 0 <= row["val_acc"] <= 1
    assert bench.query(g.arch_hash)["val_acc"] == row["val_acc"] == bench.query(g)["val_acc"]
    with pytest.raises(ValueError, match="space 'pnas', not of space 'chain'"):
        bench.query("sep_conv_3x3@0+identity@1")
    result = CliRunner().invoke(main, ["query", "-t", str(table), "--arch", g.arch_hash, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[0])["arch"] == g.canonical_string
    listed = CliRunner().invoke(main, ["space", "count", "--space", "chain", "-b", "1-3"])
    assert listed.exit_code == 0 and "27" in listed.output


@pytest.mark.parametrize("kind, params", [("xgboost", {"num_rounds": 5, "min_child_weight": 1}),
                                          ("mlp_ensemble", {"epochs": 2, "n_members": 2}),
                                          ("lstm", {"epochs": 2})])
def test_predictors_fit_the_kinds_encodings(table, kind, params, tmp_path):
    from nasbench.predictors import Predictor, create_predictor

    runs = pd.read_parquet(table / "runs.parquet")
    model = create_predictor(kind, **params).fit(runs.arch.tolist(), runs.val_acc.to_numpy())
    pred = model.predict(runs.arch.tolist())
    assert pred.shape == (12,) and np.isfinite(pred).all()
    model.save(tmp_path / "p.npz")
    loaded = Predictor.load(tmp_path / "p.npz")
    np.testing.assert_allclose(loaded.predict(runs.arch.tolist()), pred, rtol=1e-6)
    unseen = [g.canonical_string for g in SPACE.enumerate(3)][:4]  # longer chains than fitted on
    assert np.isfinite(loaded.predict(unseen)).all()
    with pytest.raises(ValueError, match="fitted on space 'chain'"):
        loaded.predict(["sep_conv_3x3@0+identity@1"])


def test_surrogate_fills_replay_misses_from_the_kinds_cost_features(table):
    from nasbench.predictors.surrogate import TableSurrogate
    from nasbench.search import get_algorithm
    from nasbench.search.base import Budget
    from nasbench.search.evaluators import ReplayEvaluator

    surrogate = TableSurrogate("xgboost", num_rounds=5, min_child_weight=1).fit(table)
    out = surrogate.predict_metrics([g.canonical_string for g in SPACE.enumerate(3)])
    assert out["train_seconds"].shape == (27,) and (out["train_seconds"] >= 0).all()
    ev = ReplayEvaluator(table, miss="surrogate", surrogate=surrogate)
    traj = get_algorithm("random").run(ev, Budget(models=5), seed=0, blocks=3)
    assert len(traj) == 5 and traj.to_frame()["arch"].str.startswith("chain:").all()


@pytest.mark.parametrize("algorithm, options", [("random", {}), ("evolution", {"population": 3, "sample": 2}),
                                                ("rl", {"batch_size": 2, "hidden": 8, "blocks": 2}),
                                                ("ppo", {"batch_size": 2, "hidden": 8, "blocks": 2})])
def test_searches_replay_the_table(table, algorithm, options):
    from nasbench.search import get_algorithm
    from nasbench.search.base import Budget
    from nasbench.search.evaluators import ReplayEvaluator
    from nasbench.tables import Benchmark

    traj = get_algorithm(algorithm).run(ReplayEvaluator(table, miss="restrict"), Budget(models=8), seed=0, **options)
    frame = traj.to_frame()
    assert len(frame) == 8 and set(frame["arch"]) <= set(Benchmark.open(table).archs())
    if "blocks" in options:  # the controller drew chains through the kind's decisions
        assert (frame["num_blocks"] == options["blocks"]).all()


# ====================================================================== the rule it rests on
GENOTYPE_TYPES = {"Cell", "SubsetCell", "CellPair", "NetSpec", "Chain", "SubsetSpace", "TwoCellSpace",
                  "FamilySpace", "PNASSpace"}


def test_no_code_outside_space_asks_a_genotypes_type():
    """Outside ``nasbench/space`` every genotype kind is served through its space: no
    ``isinstance`` on a genotype or space class."""
    root = Path(__file__).resolve().parents[1] / "nasbench"
    found = []
    for path in root.rglob("*.py"):
        if path.relative_to(root).parts[0] == "space":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance" and len(node.args) == 2:
                names = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", None) for n in ast.walk(node.args[1])}
                if names & GENOTYPE_TYPES:
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not found, found
