"""Arms with inline options (nasbench.search.arms): parsing, the harness running variants of
one algorithm side by side, and one Table-1 per PNAS arm -- on the shipped table's B1 level,
which is closed (all 136 cells x 3 seeds), so every answer is measured."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from nasbench.search import Budget, harness
from nasbench.search.arms import arm_options, parse_arm, split_arms
from nasbench.search.closed import default_miss

SHIPPED = Path(__file__).resolve().parents[1] / "tables" / "digits-pnas"


def test_split_and_parse_arms():
    text = "pnas[K=8,surrogate=xgboost,parents=all], rl ,ppo[lr=3.5e-4],st:ASHA"
    assert split_arms(text) == ["pnas[K=8,surrogate=xgboost,parents=all]", "rl", "ppo[lr=3.5e-4]", "st:ASHA"]
    assert parse_arm("pnas[K=8,surrogate=xgboost,parents=all]") == (
        "pnas", {"K": 8, "surrogate": "xgboost", "parents": "all"})
    assert parse_arm("ppo[lr=3.5e-4]") == ("ppo", {"lr": 3.5e-4})
    assert parse_arm("evolution[blocks=[1, 2]]") == ("evolution", {"blocks": [1, 2]})
    assert parse_arm("rl") == ("rl", {})
    assert parse_arm('pnas[surrogate=xgboost,surrogate_params={"min_child_weight": 1, "n_jobs": 1}]') == (
        "pnas", {"surrogate": "xgboost", "surrogate_params": {"min_child_weight": 1, "n_jobs": 1}})
    assert arm_options("pnas[K=8]", {"pnas[K=8]": {"K": 16, "Bmax": 2}}) == ("pnas", {"K": 16, "Bmax": 2})
    for bad, match in (("pnas[K=8", "unbalanced"), ("pnas]", "unbalanced"), ("pnas[p={]", "unbalanced")):
        with pytest.raises(ValueError, match=match):
            split_arms(bad)
    for bad, match in (("pnas[K]", "not KEY=VALUE"), ("[K=8]", "expected NAME"), ("pnas[K=8]x", "expected NAME")):
        with pytest.raises(ValueError, match=match):
            parse_arm(bad)


def test_miss_default_reads_inline_options():
    assert default_miss(SHIPPED, ["pnas[Bmax=1]", "random[blocks=1]"]) == "error"
    assert default_miss(SHIPPED, ["pnas[Bmax=2]", "random[blocks=1]"]) == "restrict"


def test_variants_run_side_by_side_with_one_table1_per_pnas_arm(tmp_path):
    arms = ["pnas[Bmax=1]", "pnas[Bmax=1,surrogate=xgboost]", "random[blocks=1]"]
    out = tmp_path / "cmp"
    readme = harness.compare(SHIPPED, arms, 2, Budget(models=150), out, seed_policy="random", workers=1)
    df = pd.read_parquet(out / "trajectories.parquet")
    assert set(df["algorithm"]) == set(arms) and not df["predicted"].any()
    assert df.groupby("algorithm")["index"].max().to_dict() == {arms[0]: 136, arms[1]: 136, arms[2]: 150}
    t1 = pd.read_csv(out / "table1.csv")
    assert set(t1["reference"]) == set(arms[:2])
    for ref in arms[:2]:  # each reference's table: that PNAS arm and the non-PNAS arms only
        assert set(t1[t1["reference"] == ref]["algorithm"]) == {ref, "random[blocks=1]"}
    text = readme.read_text()
    assert "## Table 1: models to reach `pnas[Bmax=1]`'s top-M accuracy" in text
    assert "## Table 1: models to reach `pnas[Bmax=1,surrogate=xgboost]`'s top-M accuracy" in text
    assert "## Table 1 overview" in text and text.index("## Table 1 overview") < text.index("## Table 1: models")
    section = text[text.index("## Table 1 overview"):text.index("## Table 1: models")]
    row = [ln for ln in section.splitlines() if ln.startswith("| pnas[Bmax=1] | ")]
    assert len(row) == 3 and all(ln.count(" [") == 1 for ln in row)  # M = 1, 5, 25; one other arm
    for figure in ("table1_reach_1.png", "table1_reach_2.png"):  # reach curves per PNAS arm
        assert f"({figure})" in text and (out / figure).stat().st_size > 10_000
    with pytest.raises(ValueError, match="unknown option"):
        harness.run_many(SHIPPED, ["random[nope=1]"], 1, Budget(models=5))
    with pytest.raises(ValueError, match="given twice"):
        harness.run_many(SHIPPED, ["rl", "rl"], 1, Budget(models=5))


def test_cli_takes_arms_with_commas_inside(tmp_path):
    from nasbench.cli import main

    out = tmp_path / "cli"
    r = CliRunner().invoke(main, ["search", "compare", "-t", str(SHIPPED), "--algorithms",
                                  "random[blocks=1],evolution[blocks=1,population=10,sample=3]",
                                  "--n-seeds", "2", "--budget-models", "40", "--workers", "1",
                                  "--target-acc", "0.95", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "miss='error'" in (out / "README.md").read_text()
    assert set(pd.read_parquet(out / "trajectories.parquet")["algorithm"]) == {
        "random[blocks=1]", "evolution[blocks=1,population=10,sample=3]"}
