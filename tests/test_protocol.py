"""Acceptance tests of the training protocol: hashing, serialization, validation, presets."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import subprocess
import sys

import pytest

from nasbench.builder.protocol import AUGMENTATIONS, PRECISIONS, PRESETS, Protocol, get_protocol
from nasbench.model.network import MACROS

HASH_SCRIPT = """
import json, sys
from nasbench.builder.protocol import PRESETS, Protocol
out = {name: p.protocol_hash for name, p in PRESETS.items()}
out["custom"] = Protocol.from_json(sys.argv[1]).protocol_hash
print(json.dumps(out))
"""


def one_line(exc_info) -> str:
    text = str(exc_info.value)
    assert text and "\n" not in text, repr(text)
    return text


def test_hash_is_stable_across_processes():
    custom = PRESETS["cifar10"].replace(lr=0.123, epochs=7, train_size=1234).to_json()
    procs = [subprocess.Popen([sys.executable, "-c", HASH_SCRIPT, custom], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed})
             for seed in ("1", "4242")]
    outs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    assert outs[0] == outs[1]
    here = {name: p.protocol_hash for name, p in PRESETS.items()}
    here["custom"] = Protocol.from_json(custom).protocol_hash
    assert outs[0] == here


def test_hash_is_sha256_of_canonical_json():
    p = PRESETS["digits"]
    text = json.dumps(p.to_dict(), sort_keys=True, separators=(",", ":"))
    assert p.to_json() == text
    assert p.protocol_hash == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert len(p.protocol_hash) == 16 and int(p.protocol_hash, 16) >= 0


def test_hash_agrees_with_the_tables_module():
    from nasbench.tables.schema import protocol_hash

    for p in PRESETS.values():
        assert protocol_hash(p.to_dict()) == p.protocol_hash


@pytest.mark.parametrize("seed", range(5))
def test_hash_independent_of_dict_order(seed):
    base = PRESETS["cifar10"]
    items = list(base.to_dict().items())
    random.Random(seed).shuffle(items)
    shuffled = Protocol.from_dict(dict(items))
    assert shuffled == base
    assert shuffled.protocol_hash == base.protocol_hash
    assert Protocol.from_json(json.dumps(dict(items))).protocol_hash == base.protocol_hash


def _changed_values(value, name):
    """Candidate valid values different from ``value`` for field ``name``."""
    if isinstance(value, bool):
        return [not value]
    if value is None:
        return [500, 100]
    if isinstance(value, int):
        return [value + 1, value + 2, value - 1]
    if isinstance(value, float):
        return [value * 0.5, value + 0.5, value + 1.0, value + 1e-9]
    if isinstance(value, str):
        pools = {"augment": AUGMENTATIONS, "precision": PRECISIONS, "macro": MACROS}
        return [v for v in pools.get(name, ("mnist", "cifar10", "digits", "x")) if v != value]
    raise AssertionError(f"field {name} has an unexpected type {type(value).__name__}")


@pytest.mark.parametrize("preset", ["digits", "cifar10"])
def test_changing_any_field_changes_the_hash(preset):
    base = PRESETS[preset]
    names = [f.name for f in dataclasses.fields(Protocol) if f.name != "notes"]
    assert len(names) >= 20  # the design's fields: data, optimisation, augmentation, macro, numerics
    hashes = {base.protocol_hash: "base"}
    for name in names:
        changed = None
        for candidate in _changed_values(getattr(base, name), name):
            if candidate == getattr(base, name):
                continue
            try:
                changed = base.replace(**{name: candidate})
                break
            except ValueError:
                continue
        assert changed is not None, f"no valid change of {name} found"
        h = changed.protocol_hash
        assert h not in hashes, f"changing {name} to {getattr(changed, name)!r} gives the hash of {hashes.get(h)}"
        hashes[h] = name
        assert changed != base
        assert name in changed.to_dict()


def test_notes_do_not_change_the_hash():
    base = PRESETS["digits"]
    other = base.replace(notes="something else entirely")
    assert other.protocol_hash == base.protocol_hash
    assert other == base
    assert "notes" not in base.to_dict()


@pytest.mark.parametrize("name", list(PRESETS))
def test_json_round_trip(name):
    p = PRESETS[name]
    back = Protocol.from_json(p.to_json())
    assert back == p
    assert back.to_dict() == p.to_dict()
    assert back.protocol_hash == p.protocol_hash
    custom = p.replace(train_size=321, lr=0.0123456789, nesterov=False, precision="fp32")
    assert Protocol.from_json(custom.to_json()) == custom
    assert Protocol.from_dict(custom.to_dict()) == custom


def test_get_protocol_preset_and_file(tmp_path):
    assert get_protocol("digits-quick") is PRESETS["digits-quick"]
    p = PRESETS["digits-quick"].replace(epochs=2)
    path = tmp_path / "p.json"
    path.write_text(p.to_json())
    assert get_protocol(str(path)) == p


def test_unknown_preset_names_the_presets():
    with pytest.raises(ValueError) as info:
        get_protocol("no-such-preset")
    msg = one_line(info)
    assert "no-such-preset" in msg
    for name in PRESETS:
        assert name in msg


@pytest.mark.parametrize("changes", [
    {"epochs": 0},
    {"epochs": -3},
    {"augment": "x"},
    {"precision": "fp8"},
    {"lr": -0.1},
    {"lr": 0.0},
    {"batch_size": 1},
    {"momentum": 1.5},
    {"weight_decay": -1e-4},
    {"warmup_epochs": 10},
    {"label_smoothing": 1.0},
    {"shift": -1},
    {"val_size": 0},
    {"train_size": 1},
    {"bn_recalibration": -1},
    {"macro": "nope"},
    {"F": 0},
    {"N": 0},
], ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_bad_value_is_one_line_value_error(changes):
    with pytest.raises(ValueError) as info:
        Protocol.from_dict({**PRESETS["digits"].to_dict(), **changes})
    assert list(changes)[0] in one_line(info)  # the message names the field
    with pytest.raises(ValueError):
        PRESETS["digits"].replace(**changes)


@pytest.mark.parametrize("changes", [
    {"epochs": "10"},      # a JSON file with a quoted number
    {"lr": "0.1"},
    {"batch_size": None},
    {"epochs": 2.5},       # accepted today; crashes in train() with a TypeError
    {"nesterov": "yes"},   # accepted today (a truthy string)
], ids=lambda c: ",".join(f"{k}={v!r}" for k, v in c.items()))
def test_wrongly_typed_value_is_one_line_value_error(changes):
    """A protocol JSON with a wrongly typed field must be rejected as a user error (the CLI
    prints ValueErrors as one line; a TypeError becomes a traceback)."""
    with pytest.raises(ValueError) as info:
        Protocol.from_json(json.dumps({**PRESETS["digits"].to_dict(), **changes}))
    one_line(info)


def test_unknown_field_is_one_line_value_error():
    with pytest.raises(ValueError) as info:
        Protocol.from_dict({**PRESETS["digits"].to_dict(), "epochz": 3})
    assert "epochz" in one_line(info)
    with pytest.raises(ValueError) as info:
        PRESETS["digits"].replace(epochz=3)
    assert "epochz" in one_line(info)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"digits"'])
def test_bad_json_is_one_line_value_error(text):
    with pytest.raises(ValueError) as info:
        Protocol.from_json(text)
    one_line(info)


def test_protocol_is_frozen_and_hashable():
    p = PRESETS["digits"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.epochs = 3  # type: ignore[misc]
    assert len({p, Protocol.from_json(p.to_json()), PRESETS["cifar10"]}) == 2
