"""Cross-dataset rank transfer (nasbench.analysis.transfer): figures against independent
computations on real Parquet tables, the report section and the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from nasbench.analysis import write_report
from nasbench.analysis.transfer import rank_transfer
from nasbench.cli import main

DIGITS = Path(__file__).resolve().parents[1] / "tables" / "digits-pnas"


def _other_dataset(folder: Path, transform, dataset="fashion_mnist", space="pnas") -> Path:
    """A copy of the shipped digits runs with every val/test accuracy replaced by
    ``transform(value, rng)``: a second "dataset" whose true relation to digits is known."""
    runs = pd.read_parquet(DIGITS / "runs.parquet")
    rng = np.random.default_rng(0)
    for col in ("val_acc", "test_acc"):
        runs[col] = transform(runs[col].to_numpy(float), rng)
    runs["dataset"], runs["space"] = dataset, space
    folder.mkdir(parents=True)
    runs.to_parquet(folder / "runs.parquet", index=False)
    return folder


def _seed_means(path, metric, where="num_blocks == 1"):
    runs = pd.read_parquet(Path(path) / "runs.parquet").query(where)
    ok = runs[runs.status == "ok"]
    return ok.groupby("arch_hash")[metric].mean()


def test_reversed_ranking_gives_minus_one_and_no_top_overlap(tmp_path):
    other = _other_dataset(tmp_path / "rev", lambda v, rng: 1.0 - v)
    t = rank_transfer(DIGITS, other, "val_acc", where="num_blocks == 1")
    assert t.n == 136
    assert t.spearman == pytest.approx(-1.0, abs=1e-3) and t.kendall < -0.99  # float ties
    assert t.overlap[10] <= 1 and t.chance[10] == pytest.approx(100 / 136)


def test_figures_match_an_independent_pandas_computation(tmp_path):
    other = _other_dataset(tmp_path / "noisy", lambda v, rng: v + rng.normal(0, 0.02, v.size))
    t = rank_transfer(DIGITS, other, "test_acc", where="num_blocks == 1", top=(10, 25))
    a, b = _seed_means(DIGITS, "test_acc"), _seed_means(other, "test_acc")
    pair = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner")
    assert t.n == len(pair) == 136
    assert t.spearman == pytest.approx(pair.corr(method="spearman").iloc[0, 1], abs=1e-12)
    assert t.kendall == pytest.approx(pair.corr(method="kendall").iloc[0, 1], abs=1e-12)
    for k in (10, 25):
        top_a = set(pair["a"].sort_values(ascending=False, kind="stable").index[:k])
        top_b = set(pair["b"].sort_values(ascending=False, kind="stable").index[:k])
        assert t.overlap[k] == len(top_a & top_b)
    assert 0.3 < t.spearman < 0.99  # noise of 2 points blurs but keeps the ranking


def test_refuses_other_spaces_and_too_few_cells(tmp_path):
    other = _other_dataset(tmp_path / "space", lambda v, rng: v, space="pnas4")
    with pytest.raises(ValueError, match="different spaces"):
        rank_transfer(DIGITS, other)
    with pytest.raises(ValueError, match="top-200 needs at least 200 common cells"):
        rank_transfer(DIGITS, DIGITS, where="num_blocks == 1", top=(200,))


def test_report_section_and_cli(tmp_path):
    other = _other_dataset(tmp_path / "fm", lambda v, rng: v / 2)  # exact in floats: the same ranking, ties kept
    out = tmp_path / "report"
    readme = write_report(other, out, where="num_blocks <= 2", n_permutations=20, n_trials=50,
                          rng=0, transfer_from=DIGITS, transfer_where="num_blocks == 1")
    text = readme.read_text()
    assert "## Rank transfer from" in text and "(transfer.png)" in text
    assert "| `val_acc` | 136 | 1.000 | 1.000 | 10 of 10" in text
    res = json.loads((out / "results.json").read_text())
    assert [r["metric"] for r in res["transfer"]] == ["val_acc", "test_acc"]
    cells = pd.read_parquet(out / "transfer.parquet")
    assert len(cells) == 136 and {"val_acc:digits-pnas", "val_acc:fm"} <= set(cells.columns)

    r = CliRunner().invoke(main, ["analyze", "transfer", "-t", str(DIGITS), "-t", str(other),
                                  "--metric", "test_acc", "--top", "5", "-o", str(tmp_path / "cli")])
    assert r.exit_code == 0, r.output
    row = [line for line in r.output.splitlines() if line.startswith("| `test_acc`")]
    assert len(row) == 1 and row[0].split(" | ")[2:4] == ["1.000", "1.000"] and "5 of 5" in row[0]
    assert (tmp_path / "cli" / "transfer.svg").exists()
    r = CliRunner().invoke(main, ["analyze", "transfer", "-t", str(DIGITS)])
    assert r.exit_code == 2 and "exactly two tables" in r.output
