"""Acceptance tests of the foundation CLI: `nasbench --version`, `space ...`, `model summary`."""
from __future__ import annotations

import re

import pytest
import torch
from click.testing import CliRunner

import nasbench
from nasbench.cli import main
from nasbench.model import PNASNET5, PNASNET_CIFAR, PNASNET_MOBILE, CellNetwork, count_flops, count_params
from nasbench.space import Cell, pnas

torch.set_num_threads(1)


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


def assert_user_error(result) -> str:
    """Exit 2, one line starting with 'Error:' and no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, repr(result.exception))
    assert isinstance(result.exception, SystemExit)
    out = lines(result.output)
    assert len(out) == 1 and out[0].startswith("Error:"), result.output
    assert "Traceback" not in result.output
    return out[0]


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert nasbench.__version__ in result.output
    assert result.output.startswith("nasbench")


def test_help_lists_foundation_commands():
    result = run("--help")
    assert result.exit_code == 0
    assert "space" in result.output and "model" in result.output


def test_space_count():
    result = run("space", "count")
    assert result.exit_code == 0, result.output
    out = lines(result.output)
    assert len(out) == 6  # header + B1..B5
    rows = {}
    for ln in out[1:]:
        b, canon, ordered = ln.split()
        rows[int(b)] = (int(canon.replace(",", "")), int(ordered.replace(",", "")))
    assert rows[1] == (136, 256)
    assert rows[2] == (pnas.count(2), 147_456)
    assert rows[3] == (10_979_688, pnas.ordered_count(3))
    assert sorted(rows) == [1, 2, 3, 4, 5]
    assert all(rows[b][0] == pnas.count(b) and rows[b][0] < rows[b][1] for b in rows)
    one = run("space", "count", "-b", "2")
    assert one.exit_code == 0 and len(lines(one.output)) == 2 and "31,620" in one.output


def test_space_enumerate_limit():
    result = run("space", "enumerate", "-b", "1", "--limit", "5")
    assert result.exit_code == 0, result.output
    out = lines(result.output)
    assert len(out) == 5
    expected = [c.canonical_string for c in list(pnas.enumerate(1))[:5]]
    assert out == expected
    for ln in out:
        cell = Cell.parse(ln)
        assert cell.num_blocks == 1 and cell.canonical_string == ln
    short = run("space", "enumerate", "-b", "2", "--limit", "3", "--short")
    assert short.exit_code == 0
    assert [Cell.parse(s) for s in lines(short.output)] == list(pnas.enumerate(2))[:3]


def test_space_sample_reproducible():
    a = run("space", "sample", "-b", "2", "-n", "3", "--seed", "1")
    b = run("space", "sample", "-b", "2", "-n", "3", "--seed", "1")
    assert a.exit_code == 0 and b.exit_code == 0, a.output
    assert a.output == b.output
    out = lines(a.output)
    assert len(out) == 3
    assert out == [c.canonical_string for c in pnas.sample(2, 3, 1)]
    for ln in out:
        cell = Cell.parse(ln)
        assert cell.num_blocks == 2 and cell.canonical_string == ln
    other = run("space", "sample", "-b", "2", "-n", "3", "--seed", "2")
    assert other.exit_code == 0 and other.output != a.output
    hashed = run("space", "sample", "-b", "2", "-n", "3", "--seed", "1", "--hash")
    for ln, arch in zip(lines(hashed.output), out):
        h, s = ln.split()
        assert s == arch and h == Cell.parse(arch).arch_hash


def test_space_canonical():
    cell = Cell.parse(PNASNET5)
    result = run("space", "canonical", PNASNET5)
    assert result.exit_code == 0, result.output
    assert f"canonical: {cell.canonical_string}" in result.output
    assert f"arch_hash: {cell.arch_hash}" in result.output
    genotype = run("space", "canonical", str(cell.genotype()))
    assert genotype.exit_code == 0 and genotype.output == result.output


BAD_ARCHS = [
    "sep3@9+id@1",
    "foo@0+id@1",
    "sep3@0+id@1,",
    "",
    "sep3@0",
    "sep3@4+max3@1,sep5@0+max3@0,sep7@1+max3@1,sep5@1+sep3@1,sep3@0+id@1",  # reads a later block
    "[('sep3', 0)]",
    "[('sep3', 0), ('id', 1.5)]",
    "[('sep3', 0), ('id', 1)",
    "[{[]: 1}]",  # an unhashable literal inside a genotype list
]


@pytest.mark.parametrize("arch", BAD_ARCHS)
def test_space_canonical_bad_arch(arch):
    assert_user_error(run("space", "canonical", arch))


@pytest.mark.parametrize("arch", BAD_ARCHS)
def test_model_summary_bad_arch(arch):
    assert_user_error(run("model", "summary", arch))


def test_bad_options_are_usage_errors():
    result = run("space", "enumerate", "-b", "0")
    assert result.exit_code == 2 and "Traceback" not in result.output
    result = run("space", "count", "--space", "nope")
    assert_user_error(result)


def _summary_numbers(output: str) -> tuple[int, int]:
    params = int(re.search(r"params:\s+([\d,]+)", output).group(1).replace(",", ""))
    flops = int(re.search(r"mult-adds:\s+([\d,]+)", output).group(1).replace(",", ""))
    return params, flops


def test_model_summary_cifar_default():
    result = run("model", "summary", PNASNET5)
    assert result.exit_code == 0, result.output
    net = CellNetwork(PNASNET5, PNASNET_CIFAR)
    assert _summary_numbers(result.output) == (count_params(net), count_flops(net, (3, 32, 32)))
    assert f"arch:      {Cell.parse(PNASNET5).canonical_string}" in result.output
    assert "cells:     9" in result.output
    assert "(3.19M)" in result.output


def test_model_summary_imagenet_mobile():
    result = run("model", "summary", PNASNET5, "--macro", "imagenet")
    assert result.exit_code == 0, result.output
    params, flops = _summary_numbers(result.output)
    net = CellNetwork(PNASNET5, PNASNET_MOBILE)
    assert params == count_params(net)
    assert abs(params - 5.1e6) / 5.1e6 < 0.01 and abs(flops - 588e6) / 588e6 < 0.01


def test_model_summary_small_options():
    result = run("model", "summary", "sep3@0+id@1", "--N", "1", "--F", "8", "--channels", "1",
                 "--size", "8", "--classes", "10")
    assert result.exit_code == 0, result.output
    params, flops = _summary_numbers(result.output)
    from nasbench.model import create_model

    net = create_model("sep3@0+id@1", N=1, F=8, in_channels=1, num_classes=10)
    assert (params, flops) == (count_params(net), count_flops(net, (1, 8, 8)))
    assert "input=1x8x8" in result.output
