"""Closure (`nasbench table validate --closed`, the datasheet's closure section) on a real tiny
table: all 21 B1 cells of the 3-op space, trained by the real builder in two steps (19 cells,
then the build resumed with every cell), with two seeds each."""
from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from builder_helpers import write_plan, write_protocol
from nasbench.cli import main
from nasbench.space import get_space
from nasbench.tables.closure import levels, parse_seed_rule, summary
from nasbench.tables.validation import validate

pytestmark = pytest.mark.usefixtures("one_thread")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """(partial, closed): the same folder's state after 19 cells and after all 21, copied."""
    import shutil

    root = tmp_path_factory.mktemp("closure")
    protocol = write_protocol(root / "protocol.json")
    cells = [c.canonical_string for c in get_space("pnas3").enumerate(1)]
    out = root / "table"
    common = ["--seeds", "0,1", "--protocol", protocol, "--out", out, "--workers", 1, "--no-progress"]
    result = run("build", "--plan-file", write_plan(root / "plan.txt", cells[:19]), *common)
    assert result.exit_code == 0, result.output + repr(result.exception)
    shutil.copytree(out, root / "partial")
    result = run("build", "--space", "pnas3", "--exhaustive", "--blocks", 1, *common)
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "trained 4 (0 failed), skipped 38" in result.output  # resumed: only the 2 new cells
    return root / "partial", out


def test_partial_table_is_valid_but_not_closed(tables):
    partial, _ = tables
    assert validate(partial) == []
    assert validate(partial, closed=True, seeds={0: 2}) == [
        "not closed: B1 holds 19 of the space's 21 cells (2 missing)"]
    result = run("table", "validate", "-t", partial, "--closed", "--min-seeds", 2)
    assert result.exit_code == 2
    assert "problem: not closed: B1 holds 19 of the space's 21 cells (2 missing)" in result.output
    assert "**Not closed**" in (partial / "TABLE.md").read_text()


def test_closed_table_passes_with_its_seeds_and_names_what_a_stricter_rule_lacks(tables):
    _, closed = tables
    runs = pd.read_parquet(closed / "runs.parquet")
    assert runs.arch_hash.nunique() == 21 and len(runs) == 42 and (runs.status == "ok").all()
    result = run("table", "validate", "-t", closed, "--closed", "--min-seeds", "1=2")
    assert result.exit_code == 0, result.output
    assert "closed" in result.output
    # the default rule asks 3 seeds of B1 cells; --bmax 2 asks for the whole B2 level too
    assert validate(closed, closed=True) == [
        "not closed: B1 holds 21 of the space's 21 cells (0 missing), 21 present cell(s) with fewer than 3 seeds"]
    assert validate(closed, closed=True, bmax=2, seeds={0: 2}) == [
        "not closed: B2 holds 0 of the space's 735 cells (735 missing)"]
    text = (closed / "TABLE.md").read_text()
    assert "**Closed up to B1**" in text and "| 1 | 21 | 21 | 0 | 2 |" in text
    assert summary(runs, "pnas3")["closed_up_to"] == 1


def test_failed_runs_do_not_count_and_diverged_ones_do(tables):
    _, closed = tables
    runs = pd.read_parquet(closed / "runs.parquet")
    first = runs.arch_hash.iloc[0]
    failed = runs.assign(status=runs.status.where(runs.arch_hash != first, "failed"))
    assert levels(failed, "pnas3", seeds={0: 1})[0].missing == 1
    diverged = runs.assign(status=runs.status.where(runs.arch_hash != first, "diverged"))
    assert levels(diverged, "pnas3", seeds={0: 2})[0].closed


def test_seed_rules_parse_like_build_seeds_and_refuse_nonsense():
    assert parse_seed_rule(("2", "1=3")) == {0: 2, 1: 3}
    for bad in ("x=2", "1=0", "0=2", "two"):
        with pytest.raises(ValueError, match="seed rule"):
            parse_seed_rule((bad,))
    result = run("table", "validate", "-t", ".", "--closed", "--min-seeds", "x=2")
    assert result.exit_code == 2 and result.output.strip() == "Error: seed rule 'x=2': expected N or B=N (e.g. 2 or 1=3)"


def test_closure_of_a_family_table_counts_its_only_size():
    runs = pd.DataFrame({"arch_hash": ["a", "b"], "num_blocks": [3, 3], "seed": [0, 0], "status": ["ok", "ok"]})
    (level,) = levels(runs, "resnet", seeds={0: 1})
    assert (level.num_blocks, level.cells, level.present) == (3, (9 * 12) ** 3, 2) and not level.closed
    assert summary(runs, "resnet")["closed_up_to"] == 0


def test_oracle_and_benchmark_answer_every_cell_of_the_closed_table_by_space_name(tables):
    """On a closed table, replay with miss='error' answers every cell of the space: none is a miss."""
    from nasbench.tables import Benchmark, Oracle

    _, closed = tables
    bench = Benchmark.open(closed)
    assert bench.space == "pnas3"
    oracle = Oracle(bench, seed_policy="random", rng=0, miss="error")
    for cell in get_space("pnas3").enumerate(1):
        answer = oracle.evaluate(cell.canonical_string)
        assert answer.seed in (0, 1) and not answer.predicted and answer.arch == cell.canonical_string
        assert bench.query(cell, seed=answer.seed)["val_acc"] == answer.val_acc
    with pytest.raises(ValueError, match="genotype of space 'pnas', not of space 'pnas3'"):
        oracle.evaluate("identity@0+identity@1")
