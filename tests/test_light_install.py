"""The light install: querying, replaying and analysing import no torch, xgboost or scikit-learn;
a command that needs a missing extra names it in one line; the torch pin is a range CI pins."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from nasbench.extras import EXTRAS

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "torchvision", "xgboost", "sklearn", "ray")


def python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_query_replay_and_analysis_import_no_heavy_module(tmp_path):
    code = f"""
        import json, sys
        import nasbench
        from nasbench import Benchmark, Oracle
        from nasbench.search import Budget, ReplayEvaluator, get_algorithm
        from nasbench.cli import main
        bench = Benchmark.default()
        best = bench.best(1)[0]
        assert bench.query(best["arch"])["val_acc"] == best["val_acc"]
        assert Oracle(bench).evaluate(best["arch"]).val_acc == best["val_acc"]
        for name in ("random", "evolution"):
            traj = get_algorithm(name).run(ReplayEvaluator(bench, miss="restrict"), Budget(models=30), seed=0)
            assert len(traj) == 30
        for argv in (["info", "-t", str(bench.path)],  # the datasheet: signal figures, classes
                     ["analyze", "report", "-t", str(bench.path), "-o", sys.argv[1], "--trials", "10",
                      "--permutations", "10"]):
            try:
                main(argv)
            except SystemExit as exc:
                assert exc.code in (0, None), (argv, exc.code)
        print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
    """
    result = python(code, str(tmp_path / "report"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    assert (tmp_path / "report" / "README.md").exists()


def test_python_dash_m_runs_the_cli_without_torch():
    code = """
        import runpy, sys
        sys.modules["torch"] = None  # the light install
        sys.argv = ["nasbench", "query", "--top", "1", "--json"]
        runpy.run_module("nasbench.cli", run_name="__main__")
    """
    result = python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rank"] == 1


@pytest.mark.parametrize("module, args, extra", [
    ("torch", ["build", "--quick", "--out", "{tmp}/b"], "train"),
    ("torch", ["model", "summary", "sep3@0+max3@1"], "train"),
    ("xgboost", ["predictor", "fit", "-t", "tables/digits-pnas", "-m", "xgboost", "-o", "{tmp}/x.npz"],
     "predictors"),
])
def test_a_missing_extra_is_named_in_one_line(tmp_path, module, args, extra):
    """Simulate the module missing (sys.modules[name] = None) in a fresh interpreter."""
    code = f"""
        import sys
        sys.modules[{module!r}] = None
        from nasbench.cli import main
        main(sys.argv[1:])
    """
    result = python(code, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Error: this needs {module}, which is not installed: pip install 'nasbench[{extra}]'"]


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_core_dependencies_are_the_light_set_and_extras_cover_the_rest():
    project = _project()
    core = {Requirement(r).name for r in project["dependencies"]}
    assert core == {"numpy", "pandas", "pyarrow", "click", "scipy", "matplotlib", "tqdm"}
    extras = {k: [Requirement(r) for r in v] for k, v in project["optional-dependencies"].items()}
    names = {k: {r.name for r in v} for k, v in extras.items()}
    assert {"torch", "torchvision", "scikit-learn"} <= names["train"]
    assert names["predictors"] == {"xgboost"} and names["ray"] == {"ray"}
    assert extras["all"][0].extras == {"train", "predictors", "ray", "synetune"}
    assert "nasbench" in names["dev"] and {"pytest", "hypothesis"} <= names["dev"]
    assert next(r for r in extras["dev"] if r.name == "nasbench").extras == {"all"}
    pip_name = {"sklearn": "scikit-learn", "syne_tune": "syne-tune"}
    for module, extra in EXTRAS.items():  # every hint names an extra that installs the module
        assert pip_name.get(module, module) in names[extra], (module, extra)


def test_torch_is_a_range_that_contains_the_build_ci_pins():
    import torch
    import torchvision

    reqs = {r.name: r for r in map(Requirement, _project()["optional-dependencies"]["train"])}
    pins = dict(re.findall(r"^(torch|torchvision)==(\S+)$", (ROOT / ".ci/constraints.txt").read_text(), re.M))
    assert pins == {"torch": "2.14.1", "torchvision": "0.29.1"}
    for name, version in pins.items():
        spec = reqs[name].specifier
        assert not any(s.operator == "==" for s in spec), f"{name} is pinned, not a range"
        assert spec.contains(version), (name, version, spec)
    assert reqs["torch"].specifier.contains(torch.__version__.split("+")[0])
    assert reqs["torchvision"].specifier.contains(torchvision.__version__.split("+")[0])
    assert "-c .ci/constraints.txt" in (ROOT / ".ci/run").read_text()
