"""The command line read as one tool: examples on every help page, output paths checked before
any work (bug 5), deprecated spellings that still work, and progress bars on long commands."""
from __future__ import annotations

import json
import shlex
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from nasbench.cli import main
from nasbench.tables import Benchmark

SHIPPED = str(Benchmark.default().path)
ARCH = "sep_conv_3x3@0+max_pool_3x3@1"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def commands(group=main, path=("nasbench",)):
    """(command path, command) for the root, every group and every leaf command."""
    yield path, group
    for name, cmd in getattr(group, "commands", {}).items():
        yield from commands(cmd, path + (name,))


ALL = list(commands())


def test_every_command_is_walked():
    names = {" ".join(p) for p, _ in ALL}
    assert {"nasbench build", "nasbench search compare", "nasbench predictor eval",
            "nasbench analyze report", "nasbench table merge", "nasbench space sample"} <= names
    assert len(ALL) >= 25


@pytest.mark.parametrize("path, cmd", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_ends_with_real_examples(path, cmd, tmp_path, monkeypatch):
    """Each --help ends with 1-2 example lines of this very command that click parses, options
    and output paths checked, in a fresh folder holding only ``tables/`` (as in a clone)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tables").symlink_to(Path(SHIPPED).parent)
    result = run(*path[1:], "--help")
    assert result.exit_code == 0, result.output
    lines = [ln.strip() for ln in result.output.rstrip().splitlines()]
    assert "Examples:" in lines, f"{' '.join(path)} --help has no Examples section"
    examples = lines[len(lines) - lines[::-1].index("Examples:"):]
    assert 1 <= len(examples) <= 2 and all(examples)
    for example in examples:
        words = shlex.split(example)
        assert words[:len(path)] == list(path), example
        leaf, leaf_path, rest = cmd, list(path), words[len(path):]
        while isinstance(leaf, click.Group):  # a group's example names one of its commands
            leaf_path.append(rest[0])
            leaf, rest = leaf.commands[rest[0]], rest[1:]
        with leaf.make_context(" ".join(leaf_path), list(rest)) as ctx:
            assert ctx.command is leaf


# ------------------------------------------------------------------ bug 5: output checked first
def one_error(result) -> str:
    assert result.exit_code == 2, (result.output, repr(result.exception))
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    return lines[0]


def test_search_run_into_a_missing_folder_fails_before_searching(tmp_path):
    result = run("search", "run", "--algorithm", "random", "-t", SHIPPED, "--budget-models", 50,
                 "-o", tmp_path / "missing_dir" / "x.parquet")
    line = one_error(result)
    assert "--out" in line and "missing_dir does not exist" in line


def test_live_search_trains_nothing_when_its_output_cannot_be_written(tmp_path):
    cache = tmp_path / "cache"
    result = run("search", "run", "--algorithm", "random", "--live", "--protocol", "digits-quick",
                 "--epochs", 1, "--budget-models", 1, "--out-table", cache,
                 "-o", tmp_path / "missing_dir" / "x.parquet")
    assert "missing_dir" in one_error(result)
    assert not cache.exists()  # not one model was trained


def _file(tmp_path):
    (tmp_path / "a_file").write_text("")
    return tmp_path / "a_file"


OUTPUT_CASES = {  # command -> (args before the output, output under a missing folder or a file)
    "search run": (["search", "run", "--algorithm", "random", "-t", SHIPPED, "--budget-models", 5],
                   lambda p: p / "no" / "x.parquet"),
    "search compare": (["search", "compare", "-t", SHIPPED, "--budget-models", 5, "--n-seeds", 1],
                       lambda p: _file(p) / "cmp"),
    "predictor fit": (["predictor", "fit", "-t", SHIPPED, "-m", "params"], lambda p: p / "no" / "m.npz"),
    "predictor eval": (["predictor", "eval", "-t", SHIPPED, "--models", "params"],
                       lambda p: _file(p) / "ev"),
    "analyze report": (["analyze", "report", "-t", SHIPPED], lambda p: _file(p) / "rep"),
    "analyze edf": (["analyze", "edf", "-t", SHIPPED], lambda p: _file(p)),
    "build": (["build", "--quick"], lambda p: _file(p) / "sub"),
    "table merge": (["table", "merge", "-t", SHIPPED], lambda p: _file(p) / "m"),
}


@pytest.mark.parametrize("name", sorted(OUTPUT_CASES))
def test_every_command_checks_its_output_first(tmp_path, name):
    args, out = OUTPUT_CASES[name]
    line = one_error(run(*args, "-o", out(tmp_path)))
    assert "Invalid value for '--out' / '-o'" in line
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["a_file"])  # nothing written


# ------------------------------------------------------------------ one meaning per name
def _stderr_lines(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if ln.strip()]


@pytest.mark.parametrize("old, new", [
    (["query", SHIPPED, "--top", 2], ["query", "-t", SHIPPED, "--top", 2]),
    (["info", SHIPPED, "--json"], ["info", "-t", SHIPPED, "--json"]),
    (["table", "validate", SHIPPED], ["table", "validate", "-t", SHIPPED]),
    (["search", "run", "-a", "random", "-t", SHIPPED, "--budget-models", 5, "-o", "{tmp}/t.parquet"],
     ["search", "run", "--algorithm", "random", "-t", SHIPPED, "--budget-models", 5, "-o", "{tmp}/t.parquet"]),
    (["search", "compare", "-t", SHIPPED, "--algorithms", "random", "--budget-models", 5, "--workers", 1,
      "--seeds", 2, "--target", 0.9, "-o", "{tmp}/c"],
     ["search", "compare", "-t", SHIPPED, "--algorithms", "random", "--budget-models", 5, "--workers", 1,
      "--n-seeds", 2, "--target-acc", 0.9, "-o", "{tmp}/c"]),
    (["predictor", "eval", "-t", SHIPPED, "--models", "params", "--sizes", 20, "--no-extrapolation",
      "--seeds", 2, "-o", "{tmp}/e"],
     ["predictor", "eval", "-t", SHIPPED, "--models", "params", "--sizes", 20, "--no-extrapolation",
      "--n-seeds", 2, "-o", "{tmp}/e"]),
])
def test_old_spellings_work_one_release_with_a_deprecation_line(tmp_path, old, new):
    def call(args, tag):
        (tmp_path / tag).mkdir()
        return run(*[str(a).replace("{tmp}", str(tmp_path / tag)) for a in args])

    was, now = call(old, "old"), call(new, "new")
    assert was.exit_code == now.exit_code == 0, (was.output, now.output)
    warned = _stderr_lines(was)
    assert len([ln for ln in warned if ln.startswith("Deprecated:")]) >= 1, was.stderr
    assert not any(ln.startswith("Deprecated:") for ln in _stderr_lines(now))
    assert was.stdout.replace(str(tmp_path / "old"), "X") == now.stdout.replace(str(tmp_path / "new"), "X")
    if "compare" in new:  # same seeds, same target: the same summary
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "old" / "c" / "summary.csv"),
                                      pd.read_csv(tmp_path / "new" / "c" / "summary.csv"))


def test_predict_old_model_spelling_and_both_spellings_refused(tmp_path):
    model = tmp_path / "p.npz"
    assert run("predictor", "fit", "-t", SHIPPED, "-m", "params", "-o", model).exit_code == 0
    new = run("predictor", "predict", "--model-file", model, "-a", ARCH)
    old = run("predictor", "predict", "-m", model, "-a", ARCH)
    assert new.exit_code == old.exit_code == 0 and new.stdout == old.stdout
    assert _stderr_lines(old)[0].startswith("Deprecated: --model / -m")
    both = run("predictor", "predict", "--model-file", model, "-m", model, "-a", ARCH)
    assert "give --model-file only" in one_error(both)
    assert "Missing option '--model-file'" in one_error(run("predictor", "predict", "-a", ARCH))


@pytest.mark.parametrize("spelling", [["-b", "1-2"], ["-b", "1,2"], ["-b", "1", "-b", "2"],
                                      ["--blocks", "2", "--blocks", "1"]])
def test_blocks_has_one_type_everywhere(spelling):
    """-b takes a count, a range or a list, repeatable, in every command that has it."""
    count = run("space", "count", *spelling)
    assert count.exit_code == 0 and [ln.split()[0] for ln in count.stdout.splitlines()[1:]] == ["1", "2"]
    top = run("query", "--top", 500, *spelling, "--json")
    assert top.exit_code == 0, top.output
    rows = [json.loads(ln) for ln in top.stdout.splitlines()]
    assert {int(r["num_blocks"]) for r in rows} == {1, 2}
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    vals = [float(r["val_acc"]) for r in rows]
    assert vals == sorted(vals, reverse=True)
    sample = run("space", "sample", *spelling, "-n", 2)
    assert sample.exit_code == 0 and len(sample.stdout.splitlines()) == 4


def test_query_top_over_several_block_counts_is_the_ranking_of_the_whole_table():
    bench = Benchmark.default()
    result = run("query", "--top", 7, "-b", "1-5", "--json")
    got = [json.loads(ln)["arch"] for ln in result.stdout.splitlines()]
    assert got == [r["arch"] for r in bench.best(7)]


# ------------------------------------------------------------------ progress bars
@pytest.mark.parametrize("args, label", [
    (["search", "compare", "-t", SHIPPED, "--algorithms", "random", "--budget-models", 5,
      "--n-seeds", 2, "--workers", 1], "searches"),
    (["predictor", "eval", "-t", SHIPPED, "--models", "params", "--sizes", 20, "--n-seeds", 2],
     "predictor fits"),
    (["analyze", "report", "-t", SHIPPED, "--trials", 20, "--permutations", 20, "--where",
      "num_blocks <= 2"], "report"),
])
def test_long_commands_show_progress_on_stderr_only_when_asked_or_on_a_terminal(tmp_path, args, label):
    shown = run(*args, "-o", tmp_path / "a", "--progress")
    assert shown.exit_code == 0, shown.output
    assert label in shown.stderr and "100%" in shown.stderr
    assert label + ":" not in shown.stdout
    quiet = run(*args, "-o", tmp_path / "b")  # CliRunner's stderr is not a terminal
    assert quiet.exit_code == 0 and "100%" not in quiet.stderr
    if label == "searches":  # the cheapest: --no-progress is the same option everywhere
        assert "100%" not in run(*args, "-o", tmp_path / "c", "--no-progress").stderr
