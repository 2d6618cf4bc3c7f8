"""Acceptance tests of one training job: determinism, curves, schedule, complexity,
divergence and the on-device augmentation."""
from __future__ import annotations

import json
import math
import subprocess

import pytest
import torch

from builder_helpers import CURVE_TIMING, PYTHON, RUN_TIMING, python_env, tiny_protocol
from nasbench.builder.train import augment, data_for, lr_at, train
from nasbench.model import CellNetwork, complexity
from nasbench.space import Cell
from nasbench.tables.io import write_table
from nasbench.tables.validation import validate

#: Two blocks with convs, a pool, an identity and a block input: exercises most op kinds.
ARCH = "sep_conv_3x3@0+max_pool_3x3@1,conv_1x7_7x1@2+identity@0"
#: 3 epochs with 1 warmup epoch: warmup, cosine and more than one curve row.
PROTO = tiny_protocol(epochs=3, warmup_epochs=1)

TRAIN_SCRIPT = """
import json, sys
from nasbench.builder.protocol import Protocol
from nasbench.builder.train import train
arch, protocol_json, seed, out = sys.argv[1:5]
r = train(arch, Protocol.from_json(protocol_json), int(seed))
with open(out, "w") as fh:
    json.dump({"run": r.run, "curves": r.curves}, fh)
"""


def strip_timing(result: dict) -> dict:
    run = {k: v for k, v in result["run"].items() if k not in RUN_TIMING}
    curves = [{k: v for k, v in row.items() if k not in CURVE_TIMING} for row in result["curves"]]
    return {"run": run, "curves": curves}


def as_json(result) -> dict:
    """A TrainResult through JSON (NaN-preserving), as a subprocess would report it."""
    return json.loads(json.dumps({"run": result.run, "curves": result.curves}))


@pytest.fixture(scope="module")
def result():
    return train(ARCH, PROTO, 0)


def test_same_seed_is_bit_identical_in_separate_processes(tmp_path, result):
    script = tmp_path / "train_one.py"
    script.write_text(TRAIN_SCRIPT)
    outs = [tmp_path / f"r{i}.json" for i in range(2)]
    procs = [subprocess.Popen([PYTHON, str(script), ARCH, PROTO.to_json(), "0", str(out)],
                              stderr=subprocess.PIPE, text=True, env=python_env()) for out in outs]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    a, b = (strip_timing(json.loads(out.read_text())) for out in outs)
    assert a == b
    # ... and equal to this process's run (a pool worker and the test process agree)
    assert strip_timing(as_json(result)) == a
    assert len(a["curves"]) == PROTO.epochs


def test_different_seeds_differ(result):
    other = train(ARCH, PROTO, 1)
    assert other.run["seed"] == 1
    assert [r["train_loss"] for r in other.curves] != [r["train_loss"] for r in result.curves]
    assert other.run["val_loss"] != result.run["val_loss"]
    # the architecture, not the seed, decides the complexity
    assert (other.run["params"], other.run["flops"]) == (result.run["params"], result.run["flops"])


def test_equivalent_arch_forms_give_the_same_run(result):
    """Training takes any accepted form and trains the canonical cell."""
    swapped = "max3@1+sep3@0,identity@0+conv17@2"  # operands swapped, aliases
    assert Cell.parse(swapped).canonical() == Cell.parse(ARCH).canonical()
    other = train(swapped, PROTO, 0)
    assert strip_timing(as_json(other)) == strip_timing(as_json(result))
    assert other.run["arch"] == Cell.parse(ARCH).canonical_string


def test_curves_shape_and_ranges(result):
    run, curves = result.run, result.curves
    assert [row["epoch"] for row in curves] == list(range(1, PROTO.epochs + 1))
    cell = Cell.parse(ARCH).canonical()
    for row in curves:
        assert row["arch_hash"] == cell.arch_hash and row["seed"] == 0
        for k in ("train_acc", "val_acc", "test_acc"):
            assert 0.0 <= row[k] <= 1.0, (k, row[k])
        for k in ("train_loss", "val_loss", "test_loss"):
            assert math.isfinite(row[k]) and row[k] >= 0, (k, row[k])
        assert row["epoch_seconds"] >= 0
    assert run["status"] == "ok" and run["error"] is None
    assert run["arch"] == cell.canonical_string and run["arch_hash"] == cell.arch_hash
    assert run["num_blocks"] == 2 and run["epochs"] == PROTO.epochs and run["space"] == "pnas"
    assert run["protocol_hash"] == PROTO.protocol_hash and run["dataset"] == PROTO.dataset
    last = curves[-1]
    for k in ("train_acc", "val_acc", "test_acc", "train_loss", "val_loss", "test_loss"):
        assert run[k] == last[k], k
    assert run["best_val_acc"] == max(row["val_acc"] for row in curves)
    assert curves[run["best_val_epoch"] - 1]["val_acc"] == run["best_val_acc"]
    assert run["train_seconds"] > 0 and run["eval_seconds"] > 0
    assert run["device"] == "cpu"


def test_lr_follows_warmup_then_cosine(result):
    base, steps_per_epoch = PROTO.lr, PROTO.train_size // PROTO.batch_size
    total, warm = steps_per_epoch * PROTO.epochs, steps_per_epoch * PROTO.warmup_epochs
    for row in result.curves:
        e = row["epoch"]
        epoch_lrs = [lr_at(s, total, warm, base) for s in range((e - 1) * steps_per_epoch, e * steps_per_epoch)]
        assert row["lr"] in epoch_lrs, (e, row["lr"], epoch_lrs)
    # the schedule itself
    assert lr_at(0, total, warm, base) == pytest.approx(base / warm)
    assert lr_at(warm - 1, total, warm, base) == pytest.approx(base)
    assert lr_at(warm, total, warm, base) == pytest.approx(base)
    warmup = [lr_at(s, total, warm, base) for s in range(warm)]
    assert warmup == sorted(warmup) and len(set(warmup)) == warm
    cosine = [lr_at(s, total, warm, base) for s in range(warm, total)]
    assert all(a > b for a, b in zip(cosine, cosine[1:]))
    assert lr_at(total, total, warm, base) == pytest.approx(0.0, abs=1e-12)
    for s in range(warm, total):
        expected = 0.5 * base * (1 + math.cos(math.pi * (s - warm) / (total - warm)))
        assert lr_at(s, total, warm, base) == pytest.approx(expected)
    # no warmup: the first step runs at the full rate
    assert lr_at(0, 10, 0, 0.3) == pytest.approx(0.3)
    assert lr_at(5, 10, 0, 0.3) == pytest.approx(0.15)


def test_params_and_flops_are_the_model_complexity(result):
    data = data_for(PROTO)
    torch.manual_seed(0)
    net = CellNetwork(Cell.parse(ARCH).canonical(),
                      PROTO.macro_config(num_classes=data.num_classes, in_channels=data.input_shape[0]))
    stats = complexity(net, data.input_shape)
    assert result.run["params"] == stats["params"] > 0
    assert result.run["flops"] == stats["flops"] > 0


def test_diverged_run_ends_early_without_raising(tmp_path):
    proto = tiny_protocol(epochs=3, lr=1e6)
    r = train(ARCH, proto, 0)
    assert r.run["status"] == "diverged"
    assert r.run["error"] and "finite" in r.run["error"]
    assert 1 <= len(r.curves) < proto.epochs
    assert [row["epoch"] for row in r.curves] == list(range(1, len(r.curves) + 1))
    assert r.run["epochs"] == proto.epochs
    # a diverged row is a valid table row: compaction of a build with one must not fail
    write_table(tmp_path, [r.run], r.curves, proto.to_dict(), {"command": "test"})
    assert validate(tmp_path) == []


# ------------------------------------------------------------------ augmentation
def _images(n=16, c=1, h=8, w=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, h, w, generator=g) + 0.1  # no zeros: padding is recognisable


def _shifted(x, dy, dx, shift):
    padded = torch.nn.functional.pad(x, (shift, shift, shift, shift))
    h, w = x.shape[-2:]
    return padded[..., dy:dy + h, dx:dx + w]


@pytest.mark.parametrize("shift,flip", [(0, False), (1, False), (2, True), (0, True)])
def test_augment_keeps_shape_and_is_reproducible(shift, flip):
    x = _images(c=3)
    a = augment(x, shift, flip, torch.Generator().manual_seed(7))
    b = augment(x, shift, flip, torch.Generator().manual_seed(7))
    assert a.shape == x.shape and a.dtype == x.dtype
    assert torch.equal(a, b)
    if shift or flip:
        c = augment(x, shift, flip, torch.Generator().manual_seed(8))
        assert not torch.equal(a, c)


def test_augment_identity_without_shift_or_flip():
    x = _images(n=64)
    for seed in range(5):
        assert torch.equal(augment(x, 0, False, torch.Generator().manual_seed(seed)), x)


def test_augment_shift_only_shifts_and_never_flips():
    shift = 1
    x = _images(n=64)
    out = augment(x, shift, False, torch.Generator().manual_seed(3))
    offsets = set()
    for i in range(len(x)):
        matches = [(dy, dx) for dy in range(2 * shift + 1) for dx in range(2 * shift + 1)
                   if torch.equal(out[i], _shifted(x[i], dy, dx, shift))]
        assert matches, f"sample {i} is not a zero-padded shift of its input"
        offsets.update(matches)
    assert len(offsets) > 3  # shifts are random, not one fixed offset


def test_augment_flips_only_when_asked():
    x = _images(n=64)
    out = augment(x, 0, True, torch.Generator().manual_seed(0))
    flipped = [bool(torch.equal(out[i], x[i].flip(-1))) for i in range(len(x))]
    same = [bool(torch.equal(out[i], x[i])) for i in range(len(x))]
    assert all(f or s for f, s in zip(flipped, same))
    assert any(flipped) and any(same)  # about half of 64 each


def test_training_applies_no_flip_on_digits():
    """Digits labels are not flip-invariant: even under 'shift+flip' the job must not flip
    (the protocol's flips apply only to datasets whose labels allow it)."""
    data = data_for(tiny_protocol())
    assert data.flip_ok is False
    assert len(data.train_x) == tiny_protocol().train_size


# ---------------------------------------------------------------- torch.compile (opt-in)

def test_compile_failure_falls_back_to_eager_with_a_warning(result, monkeypatch):
    """A backend that fails on first call: the run warns once and equals the eager run."""
    calls = []

    def broken_compile(model, **kwargs):
        def compiled(x):
            calls.append(x.shape)
            raise RuntimeError("no C++ compiler")
        return compiled

    monkeypatch.setattr(torch, "compile", broken_compile)
    with pytest.warns(RuntimeWarning, match="torch.compile failed .*no C\\+\\+ compiler.*training eagerly"):
        fallback = train(ARCH, PROTO, 0, compile=True)
    assert len(calls) == 1  # tried once, then eager for the rest of the run
    assert strip_timing(as_json(fallback)) == strip_timing(as_json(result))


@pytest.mark.slow
def test_compiled_training_runs_and_agrees_with_eager(result):
    """The real inductor path on CPU: same protocol, same seed, finite and close to eager."""
    compiled = train(ARCH, PROTO, 0, compile=True)
    assert compiled.run["status"] == "ok" and len(compiled.curves) == PROTO.epochs
    assert compiled.run["params"] == result.run["params"]
    assert abs(compiled.run["train_loss"] - result.run["train_loss"]) < 0.05
    assert abs(compiled.run["val_acc"] - result.run["val_acc"]) < 0.05
