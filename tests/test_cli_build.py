"""`nasbench build`: a tiny real build, resume, and one-line user errors that write nothing."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from builder_helpers import read_table, tiny_protocol, write_protocol
from nasbench.builder.build import build_lock
from nasbench.builder.plan import sampled
from nasbench.cli import main
from nasbench.tables.io import read_metadata
from nasbench.tables.validation import validate


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


def assert_user_error(result) -> str:
    """Exit 2, exactly one output line, starting with 'Error:', and no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, repr(result.exception))
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    out = lines(result.output)
    assert len(out) == 1 and out[0].startswith("Error:"), result.output
    return out[0]


@pytest.fixture
def protocol_file(tmp_path):
    return write_protocol(tmp_path / "protocol.json")


def test_tiny_build_then_resume(tmp_path, protocol_file):
    out = tmp_path / "table"
    args = ["build", "--sample", 3, "--blocks", 1, "--seeds", 0, "--protocol", protocol_file, "--out", out,
            "--workers", 1, "--no-progress"]
    result = run(*args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    runs = pd.read_parquet(out / "runs.parquet")
    curves = pd.read_parquet(out / "curves.parquet")
    assert len(runs) == 3 and set(runs.seed) == {0} and (runs.status == "ok").all()
    assert len(curves) == 3 * tiny_protocol().epochs
    expected = {c.arch_hash for c in sampled([1], 3, [0]).cells()}  # --build-seed defaults to 0
    assert set(runs.arch_hash) == expected
    assert validate(out) == []
    assert (out / "TABLE.md").is_file()
    meta = read_metadata(out)
    assert meta.protocol_hash == tiny_protocol().protocol_hash
    assert "build" in meta.provenance.get("command", ""), meta.provenance
    assert "trained 3" in result.output
    before = read_table(out)
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert "trained 0" in again.output and "skipped 3" in again.output, again.output
    after = read_table(out)
    pd.testing.assert_frame_equal(before[0], after[0])
    pd.testing.assert_frame_equal(before[1], after[1])


@pytest.mark.slow
def test_compiled_build_through_the_cli(tmp_path, protocol_file):
    """`--compile` reaches the workers: a real inductor build of one cell gives a valid table."""
    out = tmp_path / "table"
    result = run("build", "--sample", 1, "--blocks", 1, "--protocol", protocol_file, "--out", out,
                 "--workers", 1, "--no-progress", "--compile")
    assert result.exit_code == 0, result.output + repr(result.exception)
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 1 and (runs.status == "ok").all() and validate(out) == []
    assert "--compile" in read_metadata(out).provenance["command"]


def test_no_plan_choice_is_a_usage_error(tmp_path, protocol_file):
    result = run("build", "--protocol", protocol_file, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "--exhaustive" in result.output and "--sample" in result.output and "--plan-file" in result.output
    assert not (tmp_path / "out").exists()


def test_two_plan_choices_is_a_usage_error(tmp_path, protocol_file):
    plan = tmp_path / "plan.txt"
    plan.write_text("sep3@0+max3@1\n")
    result = run("build", "--sample", 2, "--plan-file", plan, "--protocol", protocol_file, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()


def _bad_inputs(tmp_path, protocol_file):
    comments = tmp_path / "comments.txt"
    comments.write_text("# nothing to build\n\n   # really\n")
    bad_line = tmp_path / "bad_line.txt"
    bad_line.write_text("# header\nsep3@0+max3@1\nsep3@0+nonsense@1\n")
    nope = tmp_path / "nope.json"
    nope.write_text(json.dumps({**tiny_protocol().to_dict(), "dataset": "nope"}))
    typed = tmp_path / "typed.json"
    typed.write_text(json.dumps({**tiny_protocol().to_dict(), "epochs": "2"}))
    sample = ["--sample", 2, "--protocol", protocol_file]
    return {
        "unknown space": (["--space", "nospace", *sample], "nospace"),
        "unknown protocol": (["--sample", 2, "--protocol", "no-such-protocol"], "no-such-protocol"),
        "unknown dataset": (["--sample", 2, "--protocol", nope], "nope"),
        "empty plan": (["--plan-file", comments, "--protocol", protocol_file], "comments.txt"),
        "bad plan line": (["--plan-file", bad_line, "--protocol", protocol_file], f"{bad_line}:3:"),
        "blocks 0": (["--blocks", 0, *sample], "0"),
        "seeds x": (["--seeds", "x", *sample], "--seeds"),
        "missing plan file": (["--plan-file", tmp_path / "missing.txt", "--protocol", protocol_file], "missing.txt"),
        "missing protocol file": (["--sample", 2, "--protocol", tmp_path / "missing.json"], "missing.json"),
        "mistyped protocol": (["--sample", 2, "--protocol", typed], "epochs"),
    }


BAD = ["unknown space", "unknown protocol", "unknown dataset", "empty plan", "bad plan line", "blocks 0",
       "seeds x", "missing plan file", "missing protocol file", "mistyped protocol"]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, protocol_file, case):
    args, needle = _bad_inputs(tmp_path, protocol_file)[case]
    out = tmp_path / "out"
    result = run("build", *args, "--out", out, "--workers", 1, "--no-progress")
    line = assert_user_error(result)
    assert needle in line, line
    assert not out.exists(), f"{case}: {out} was created: {list(out.iterdir())}"


def test_unwritable_out_is_one_line_and_writes_nothing(tmp_path, protocol_file):
    a_file = tmp_path / "file.txt"
    a_file.write_text("keep me\n")
    out = a_file / "out"  # can never be created, even by root
    result = run("build", "--sample", 2, "--protocol", protocol_file, "--out", out, "--workers", 1, "--no-progress")
    line = assert_user_error(result)
    assert "out" in line
    assert a_file.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "protocol.json"]


def test_locked_out_dir_is_a_clear_error(tmp_path, protocol_file):
    out = tmp_path / "out"
    out.mkdir()
    with build_lock(out):
        result = run("build", "--sample", 2, "--protocol", protocol_file, "--out", out, "--workers", 1,
                     "--no-progress")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [ln for ln in lines(result.output) if ln.startswith("Error:")]
    assert len(errors) == 1 and "another nasbench build" in errors[0], result.output
    assert not (out / "runs.parquet").exists() and not (out / "shards").exists()
