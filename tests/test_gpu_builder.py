"""The GPU builder's CPU-runnable parts: the graph step's eager twin, the workers-per-GPU
path with the device swapped to CPU, shard bundles merged into a table, the setup recorded
per build, and benchmarks/gpu_check.py itself with ``--device cpu --minutes 1``."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from builder_helpers import PYTHON, assert_same_results, b1_archs, python_env, tiny_protocol, write_plan, write_protocol
from nasbench.builder.build import build
from nasbench.builder.graphs import TrainStep
from nasbench.builder.merge import pack_shards, read_bundles
from nasbench.builder.plan import Task, from_file
from nasbench.builder.runners import LocalRunner, RunnerConfig, gpu_slots
from nasbench.builder.train import cpu_kernels, train
from nasbench.builder.protocol import get_protocol
from nasbench.cli import main
from nasbench.space import parse_arch
from nasbench.tables.io import read_metadata
from nasbench.tables.validation import validate

ROOT = Path(__file__).resolve().parent.parent


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ---------------------------------------------------------------- graph step
def test_eager_twin_matches_torch_sgd_step_for_step():
    """The capturable step (foreach SGD, tensor lr, weight-decay groups, nesterov) follows
    torch.optim.SGD: parameters agree to float rounding after several steps."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    twin = [p.detach().clone() for p in net.parameters()]
    ref = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    with torch.no_grad():
        for p, q in zip(ref.parameters(), twin):
            p.copy_(q)

    def sgd(model):
        decay = [p for p in model.parameters() if p.ndim > 1]
        rest = [p for p in model.parameters() if p.ndim <= 1]
        return torch.optim.SGD([{"params": decay, "weight_decay": 3e-4}, {"params": rest, "weight_decay": 0.0}],
                               lr=0.1, momentum=0.9, nesterov=True)

    step = TrainStep(net, sgd(net), label_smoothing=0.1, use_bf16=False, capture=False)
    opt = sgd(ref)
    gen = torch.Generator().manual_seed(1)
    for i in range(5):
        x, y, lr = torch.randn(16, 6, generator=gen), torch.randint(0, 3, (16,), generator=gen), 0.1 / (i + 1)
        loss, _ = step(x, y, lr)
        for group in opt.param_groups:
            group["lr"] = lr
        ref_loss = torch.nn.functional.cross_entropy(ref(x), y, label_smoothing=0.1)
        opt.zero_grad()
        ref_loss.backward()
        opt.step()
        assert float(loss) == pytest.approx(ref_loss.item(), rel=1e-5)
    for p, q in zip(net.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    assert not step.captured
    with pytest.raises(ValueError, match="fixed batch shape"):
        step(torch.randn(8, 6), torch.zeros(8, dtype=torch.long), 0.1)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU refusal")
def test_capture_needs_cuda():
    net = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="CUDA graphs need a CUDA device"):
        TrainStep(net, torch.optim.SGD(net.parameters(), lr=0.1), label_smoothing=0.0, use_bf16=False, capture=True)


def test_train_with_graphs_on_cpu_runs_the_eager_twin_and_records_setup():
    protocol = tiny_protocol(epochs=2)
    arch = b1_archs(1)[0]
    eager = train(arch, protocol, 0)
    twin = train(arch, protocol, 0, graphs=True)
    assert eager.setup == {"device": "cpu", "cpu": cpu_kernels(), "torch_version": torch.__version__, "precision": "fp32", "graphs": False}
    assert twin.setup == eager.setup  # not captured on CPU: recorded as graphs off
    for a, b in zip(eager.curves, twin.curves):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-4)
        assert b["val_acc"] == pytest.approx(a["val_acc"], abs=0.02)
    with pytest.raises(ValueError, match="compile or graphs"):
        train(arch, protocol, 0, compile=True, graphs=True)


# ---------------------------------------------------------------- workers per GPU
def test_gpu_slots_spread_round_robin():
    assert gpu_slots(["cuda:0", "cuda:1"], 2) == ["cuda:0", "cuda:1", "cuda:0", "cuda:1"]
    assert LocalRunner(RunnerConfig(device="cuda", models_per_gpu=3), gpus=["cpu"]).devices == ["cpu"] * 3


def test_workers_per_gpu_path_with_the_device_swapped_to_cpu():
    """The GPU slot path (per-device workers, each bound to its device at start) on CPU."""
    protocol = tiny_protocol()
    tasks = [Task(arch, parse_arch(arch).arch_hash, 1, 0) for arch in b1_archs(3)]
    runner = LocalRunner(RunnerConfig(device="cuda", models_per_gpu=2, graphs=True), gpus=["cpu"])
    results = list(runner.run(tasks, protocol))
    assert sorted(r.run["arch_hash"] for r in results) == sorted(t.arch_hash for t in tasks)
    assert {r.run["status"] for r in results} == {"ok"}
    assert {r.setup["device"] for r in results} == {"cpu"}


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA error")
def test_cli_workers_per_gpu_without_cuda_is_one_line_error(tmp_path):
    plan = write_plan(tmp_path / "plan.txt", b1_archs(1))
    result = cli("build", "--plan-file", plan, "--protocol", write_protocol(tmp_path / "p.json"),
                 "--out", tmp_path / "out", "--device", "cuda", "--workers-per-gpu", "4", "--cuda-graphs")
    assert result.exit_code == 2 and "torch sees no CUDA device" in result.output, result.output
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- bundles and merging
@pytest.fixture(scope="module")
def cpu_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("cpu-build")
    protocol = tiny_protocol()
    plan = from_file(write_plan(root / "plan.txt", b1_archs(4)), [0])
    build(plan, protocol, root / "out", RunnerConfig(workers=2, graphs=True), shard_size=2, progress=False)
    return root, protocol


def test_build_records_training_setup(cpu_build):
    root, _ = cpu_build
    training = read_metadata(root / "out").provenance["training"]
    assert training == [{"device": "cpu", "cpu": cpu_kernels(), "torch_version": torch.__version__, "precision": "fp32",
                         "graphs": False, "runs": 4}]
    text = (root / "out" / "TABLE.md").read_text()
    assert "## Trained on" in text and "not bit-identical to CPU rows" in text
    assert "| 1 | 4 of 136 (2.94%) |" in text


def test_merge_shards_grows_a_table_like_any_build(cpu_build, tmp_path):
    root, protocol = cpu_build
    bundles = pack_shards(root / "out", tmp_path / "bundles", "b2", max_bytes=1)  # one shard per bundle
    assert len(bundles) == 2 and all(p.name.startswith("b2-") for p in bundles)
    assert len(read_bundles(tmp_path / "bundles")) == 4
    proto = write_protocol(tmp_path / "protocol.json", protocol)
    table = tmp_path / "table"
    first = cli("build", "--merge-shards", tmp_path / "bundles", "--out", table, "--protocol", proto)
    assert first.exit_code == 0, first.output
    assert validate(table) == []
    assert_same_results(table, root / "out")
    again = cli("build", "--merge-shards", tmp_path / "bundles", "--out", table, "--protocol", proto)
    assert again.exit_code == 0, again.output
    assert len(pd.read_parquet(table / "runs.parquet")) == 4  # idempotent
    assert "4 of 136" in (table / "TABLE.md").read_text()
    assert read_metadata(table).provenance["training"][0]["runs"] == 4

    other = write_protocol(tmp_path / "other.json", protocol.replace(epochs=2))
    refused = cli("build", "--merge-shards", tmp_path / "bundles", "--out", tmp_path / "t2", "--protocol", other)
    assert refused.exit_code == 2 and "merge them with their own --protocol" in refused.output, refused.output
    bad = tmp_path / "bad"
    bad.mkdir()
    with gzip.open(bad / "b2-000.jsonl.gz", "wt") as fh:
        fh.write('{"checksum": "0", "payload": "{}"}\n')
    corrupt = cli("build", "--merge-shards", bad, "--out", tmp_path / "t3", "--protocol", proto)
    assert corrupt.exit_code == 2 and "checksum mismatch" in corrupt.output, corrupt.output
    mixed = cli("build", "--merge-shards", bad, "--out", tmp_path / "t3", "--protocol", proto, "--blocks", "2")
    assert mixed.exit_code == 2 and "trains nothing" in mixed.output, mixed.output


# ---------------------------------------------------------------- the device script
def test_builder_path_imports_neither_xgboost_nor_ray():
    code = ("import sys; sys.path.insert(0, 'benchmarks'); import gpu_check; "
            "import nasbench.builder.build, nasbench.builder.merge, nasbench.data, nasbench.tables.io; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('xgboost', 'ray')); "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=python_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gpu_check_runs_on_cpu_in_a_minute_and_its_bundles_merge(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([PYTHON, "benchmarks/gpu_check.py", "--device", "cpu", "--minutes", "1", "--out", str(out),
                           "--work", str(tmp_path / "work")], cwd=ROOT, env=python_env(), capture_output=True,
                          text=True, timeout=600)
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "SUMMARY" in lines[-1] and "assertions=5/5 ok" in lines[-1], lines[-1]
    record = json.loads((out / "gpu_check.json").read_text())
    assert record["facts"]["torch"] == torch.__version__
    assert {a["name"] for a in record["assertions"]} == {
        "device_selection", "bf16_vs_fp32", "graph_vs_eager_fp32", "graph_vs_eager_bf16", "killed_worker_retried"}
    naive = [r for r in record["throughput"] if r.get("mode") == "naive"]
    assert {r["level"] for r in naive} == {1, 2} and all(r["models_per_hour"] > 0 for r in naive)
    files = sorted(p.name for p in out.iterdir())
    bundles = [f for f in files if f.endswith(".jsonl.gz")]
    assert bundles and len(files) <= 8, files
    assert record["build"]["ok"] >= 1 and record["build"]["protocol_hash"] == get_protocol("digits").protocol_hash
    table = tmp_path / "digits-pnas-b2"
    merged = cli("build", "--merge-shards", out, "--out", table, "--protocol", "digits")
    assert merged.exit_code == 0, merged.output
    assert validate(table) == []
    assert "of 31,620" in (table / "TABLE.md").read_text()


def test_gpu_check_pool_measurement_on_cpu(tmp_path):
    """gpu_check's pooled throughput (the GPU slot path, device swapped to CPU), which the
    one-minute run may skip for lack of budget: both levels get a steady-state rate."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import gpu_check
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    check = gpu_check.Check(tmp_path, minutes=5)
    cells = {1: gpu_check.b1_cells()[:3], 2: gpu_check.pnas.sample(2, 2, 0)}
    rows = gpu_check.pooled(check, "cpu", tiny_protocol(), 2, True, cells, 2.0)
    assert [r["level"] for r in rows] == [2, 1]
    for row in rows:
        assert row["workers"] == 2 and row["graphs"] is True and row["models"] >= 1, rows
        assert row["models_per_hour"] == pytest.approx(3600 * row["models"] / row["seconds"])
        assert row["device_seconds_per_model_epoch"] == pytest.approx(row["seconds"] * 2 / row["models"])
