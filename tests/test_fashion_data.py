"""Fashion-MNIST from the Debian package's folder: search order, the one-line error naming
every folder tried and the apt package, and the acceptance build on the real files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from nasbench.cli import main
from nasbench.data import get_dataset
from nasbench.data.paths import DATA_ENV_VAR, SYSTEM_DATA_ENV_VAR
from nasbench.tables.validation import validate
from test_data import write_mnist

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
HAS_DEBIAN = (DEBIAN / "train-images-idx3-ubyte.gz").is_file()


@pytest.fixture
def no_user_copy(tmp_path, monkeypatch):
    """No copy under $NASBENCH_DATA or the cache folder."""
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "user"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_system_folder_is_searched_after_the_data_root(no_user_copy, monkeypatch):
    tmp = no_user_copy
    (train_x, _), _ = write_mnist(tmp / "sys" / "fashion-mnist", gz=True)
    monkeypatch.setenv(SYSTEM_DATA_ENV_VAR, f"{tmp / 'empty'}:{tmp / 'sys'}")
    found = get_dataset("fashion_mnist", val_size=10)
    assert found.sizes == {"train": 50, "val": 10, "test": 20}
    (own_x, _), _ = write_mnist(tmp / "user" / "fashion_mnist", n_train=40)  # the data root wins
    assert get_dataset("fashion_mnist", val_size=10).sizes["train"] == 30
    assert not np.array_equal(own_x, train_x)


def test_missing_everywhere_is_one_line_naming_every_folder_and_the_package(no_user_copy, monkeypatch):
    tmp = no_user_copy
    monkeypatch.setenv(SYSTEM_DATA_ENV_VAR, f"{tmp / 'a'}:{tmp / 'b'}")
    with pytest.raises(FileNotFoundError) as info:
        get_dataset("fashion_mnist")
    message = str(info.value)
    assert "\n" not in message and "nothing is downloaded" in message
    for folder in (tmp / "user" / "fashion_mnist", tmp / "a" / "fashion-mnist", tmp / "b" / "fashion-mnist"):
        assert str(folder) in message
    assert "apt-get install -y dataset-fashion-mnist" in message
    with pytest.raises(FileNotFoundError, match=str(tmp / "a" / "mnist")):
        get_dataset("mnist")


def test_build_without_the_files_is_one_line(no_user_copy, monkeypatch):
    monkeypatch.setenv(SYSTEM_DATA_ENV_VAR, str(no_user_copy / "nowhere"))
    result = CliRunner().invoke(main, ["build", "--protocol", "fmnist", "--blocks", "1", "--sample", "4",
                                       "--out", str(no_user_copy / "runs" / "fm"), "--no-progress"])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:") and "dataset-fashion-mnist" in lines[0]
    assert str(no_user_copy / "nowhere" / "fashion-mnist") in lines[0]


@pytest.mark.skipif(not HAS_DEBIAN, reason=f"the Debian package dataset-fashion-mnist is not installed "
                    f"({DEBIAN} absent; apt-get install -y dataset-fashion-mnist)")
def test_fmnist_build_trains_on_the_debian_files(no_user_copy, monkeypatch):
    monkeypatch.delenv(SYSTEM_DATA_ENV_VAR, raising=False)
    out = no_user_copy / "runs" / "fm"
    result = CliRunner().invoke(main, ["build", "--protocol", "fmnist", "--blocks", "1", "--sample", "4",
                                       "--out", str(out), "--workers", "2", "--no-progress"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 4 and set(runs.dataset) == {"fashion_mnist"} and (runs.status == "ok").all()
    assert runs.val_acc.min() > 0.5  # learned real clothes, not noise
    assert validate(out) == []


@pytest.mark.skipif(not HAS_DEBIAN, reason=f"the Debian package dataset-fashion-mnist is not installed "
                    f"({DEBIAN} absent; apt-get install -y dataset-fashion-mnist)")
def test_debian_files_read_as_the_official_splits(no_user_copy, monkeypatch):
    monkeypatch.delenv(SYSTEM_DATA_ENV_VAR, raising=False)
    data = get_dataset("fashion_mnist", val_size=5000, train_size=2000)
    assert data.sizes == {"train": 2000, "val": 5000, "test": 10000}
    assert np.bincount(data.test_y.numpy()).tolist() == [1000] * 10  # the official balanced test set
    assert data.pooled(7).input_shape == (1, 7, 7) and data.class_names[0] == "T-shirt/top"
