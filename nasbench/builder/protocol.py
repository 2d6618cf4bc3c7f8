"""The training protocol: one frozen, hashed description of how every cell is trained.

One table = one protocol. ``protocol_hash`` is the first 16 hex chars of sha256 over the
canonical JSON (sorted keys, no whitespace) of every field, so it is stable across processes,
Python versions and dict orderings, and changes when any field changes. Fields added after
the first tables shipped (:data:`HASH_NEUTRAL`) are left out of that JSON while they hold
their default, so every older protocol keeps its hash. Only device-independent options live
here; where a run happened is recorded per row.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field

from nasbench.space.base import hash_string

AUGMENTATIONS = ("none", "shift", "shift+flip")
PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class Protocol:
    """How a cell is trained and evaluated. See :data:`PRESETS` for the named ones."""

    # data
    dataset: str = "digits"
    val_size: int = 397
    train_size: int | None = None
    split_seed: int = 0
    # optimisation: SGD + nesterov, linear warmup then cosine to zero, per step
    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 3e-4
    warmup_epochs: int = 0
    label_smoothing: float = 0.0
    # augmentation on the device: random shifts of up to `shift` pixels (zero padded), and
    # horizontal flips with "shift+flip" (only for datasets whose labels allow it)
    augment: str = "shift"
    shift: int = 1
    # macro network
    macro: str = "cifar"
    N: int = 1
    F: int = 16
    stem_multiplier: float = 1.0
    # numerics: bf16 autocast applies on CUDA only; CPU runs are fp32 (and deterministic)
    precision: str = "bf16"
    # recompute BatchNorm statistics over this many training images before each evaluation
    # (running averages lag badly under short schedules); 0 disables it
    bn_recalibration: int = 512
    # input size: images are average-pooled to resolution x resolution before training (the
    # macro network follows the smaller input); None keeps the dataset's size
    resolution: int | None = None
    # evaluation schedule: val at every `val_every`-th epoch and always at the final one
    # (skipped epochs are NaN in curves.parquet); test at the final epoch only when
    # `test_final_only`, else whenever val is evaluated
    val_every: int = 1
    test_final_only: bool = False
    notes: str = field(default="", compare=False, hash=False)

    def __post_init__(self):
        errors = _type_errors(self)
        if errors:
            raise ValueError("bad protocol: " + "; ".join(errors))
        if not math.isfinite(self.lr) or not math.isfinite(self.stem_multiplier) or self.stem_multiplier <= 0:
            errors.append(f"lr and stem_multiplier must be finite and > 0, got {self.lr}, {self.stem_multiplier}")
        if self.epochs < 1:
            errors.append(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 2:
            errors.append(f"batch_size must be >= 2, got {self.batch_size}")
        if not self.lr > 0:
            errors.append(f"lr must be > 0, got {self.lr}")
        if not 0 <= self.momentum < 1:
            errors.append(f"momentum must be in [0, 1), got {self.momentum}")
        if self.weight_decay < 0:
            errors.append(f"weight_decay must be >= 0, got {self.weight_decay}")
        if not 0 <= self.warmup_epochs < self.epochs:
            errors.append(f"warmup_epochs must be in [0, epochs), got {self.warmup_epochs}")
        if not 0 <= self.label_smoothing < 1:
            errors.append(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.augment not in AUGMENTATIONS:
            errors.append(f"augment must be one of {', '.join(AUGMENTATIONS)}, got {self.augment!r}")
        if self.shift < 0:
            errors.append(f"shift must be >= 0, got {self.shift}")
        if self.precision not in PRECISIONS:
            errors.append(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.val_size < 1:
            errors.append(f"val_size must be >= 1, got {self.val_size}")
        if self.train_size is not None and self.train_size < 2:
            errors.append(f"train_size must be >= 2, got {self.train_size}")
        if self.bn_recalibration < 0:
            errors.append(f"bn_recalibration must be >= 0, got {self.bn_recalibration}")
        if self.resolution is not None and self.resolution < 1:
            errors.append(f"resolution must be >= 1 or null, got {self.resolution}")
        if self.val_every < 1:
            errors.append(f"val_every must be >= 1, got {self.val_every}")
        if errors:
            raise ValueError("bad protocol: " + "; ".join(errors))
        self.macro_config(num_classes=10, in_channels=1)  # validates macro, N, F

    def macro_config(self, num_classes: int, in_channels: int):
        from nasbench.model.network import MacroConfig

        return MacroConfig(macro=self.macro, N=self.N, F=self.F, stem_multiplier=self.stem_multiplier,
                           num_classes=num_classes, in_channels=in_channels)

    def evaluates_val(self, epoch: int) -> bool:
        """Whether val is evaluated after ``epoch`` (1-based): every ``val_every``-th and the last."""
        return epoch == self.epochs or epoch % self.val_every == 0

    def evaluates_test(self, epoch: int) -> bool:
        """Whether test is evaluated after ``epoch``: the last, or with val unless ``test_final_only``."""
        return epoch == self.epochs or (not self.test_final_only and self.evaluates_val(epoch))

    # ----------------------------------------------------------------- serialization
    def to_dict(self) -> dict:
        """Every hashed field (``notes`` excluded; :data:`HASH_NEUTRAL` fields only when set)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.compare and not (f.name in HASH_NEUTRAL and getattr(self, f.name) == HASH_NEUTRAL[f.name])}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict) -> "Protocol":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown protocol field(s): {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> "Protocol":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"protocol JSON is malformed: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError("protocol JSON must be an object")
        return cls.from_dict(data)

    @property
    def protocol_hash(self) -> str:
        return hash_string(self.to_json())

    def replace(self, **changes) -> "Protocol":
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValueError(f"unknown protocol field(s): {', '.join(unknown)}")
        return dataclasses.replace(self, **changes)


def _type_errors(protocol: Protocol) -> list[str]:
    """One message per field whose value has the wrong type (JSON gives us anything)."""
    checks = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "int | None": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
    }
    errors = []
    for f in dataclasses.fields(protocol):
        value = getattr(protocol, f.name)
        if not checks[f.type](value):
            errors.append(f"{f.name} must be {f.type.replace(' | None', ' or null')}, got {value!r}")
    return errors


#: Fields added after tables shipped, with the default at which they stay out of the hash.
HASH_NEUTRAL = {"resolution": None, "val_every": 1, "test_final_only": False}

PRESETS: dict[str, Protocol] = {
    "digits": Protocol(
        shift=2,
        notes="The shipped table's protocol. N=1, F=16 on 8x8 digits (1,000 train / 397 val / "
        "400 test), 10 epochs of SGD 0.05 (nesterov) + cosine with random +-2 pixel shifts: "
        "long enough not to rank cells by training speed, hard enough not to saturate, so seeds "
        "agree on the ranking (seed-to-seed Spearman 0.83 on val accuracy, 0.87 on val loss "
        "over 23 B1 cells; +-1 shifts saturate at 0.97 val accuracy and rank at 0.69 / 0.77). "
        "See docs/protocol-tradeoffs.md.",
    ),
    "digits-quick": Protocol(
        epochs=4, F=8, batch_size=64, lr=0.08, bn_recalibration=256,
        notes="Smoke tests and the README's first command: a B1 cell in about a second on one "
        "core. Ranks are noisy; do not publish tables built with it.",
    ),
    "fmnist": Protocol(
        dataset="fashion_mnist", val_size=5000, train_size=2000, resolution=7, epochs=10,
        warmup_epochs=1, shift=1, val_every=5, test_final_only=True,
        notes="Fashion-MNIST average-pooled to 7x7: 2,000 train / 5,000 val (held out of the "
        "official train set) / the official 10,000 test, N=1, F=16, 10 epochs of SGD 0.05 "
        "(nesterov) with 1 warmup epoch then cosine, +-1 pixel shifts; val at epochs 5 and 10, "
        "test at the last. The shipped tables/fmnist-pnas (136 B1 cells x 3 seeds): seed-to-seed "
        "Spearman 0.81, top quartile 0.41 per seed (3-seed means: 0.68; digits 0.23), "
        "top-quartile val-test Spearman 0.94 (digits 0.75), no collapsed run in 1,208; about 4 "
        "CPU-s per B1 and 6 per B2 model alone. See docs/protocol-tradeoffs.md.",
    ),
    "cifar10": Protocol(
        dataset="cifar10", val_size=5000, epochs=12, batch_size=256, lr=0.1, weight_decay=5e-4,
        warmup_epochs=1, label_smoothing=0.1, augment="shift+flip", shift=4, N=2, F=16,
        stem_multiplier=3.0, bn_recalibration=2048,
        notes="A short schedule in the spirit of NAS-Bench-201's 12-epoch budget: 12 epochs, "
        "batch 256, lr 0.1 with 1 warmup epoch then cosine, wd 5e-4, label smoothing 0.1, "
        "flips + 4-pixel shifts, N=2, F=16; val = 5,000 held out from the official train set.",
    ),
}


def get_protocol(name_or_path: str) -> Protocol:
    """A preset by name, or a protocol JSON file."""
    if name_or_path in PRESETS:
        return PRESETS[name_or_path]
    if name_or_path.endswith(".json"):
        with open(name_or_path) as fh:
            return Protocol.from_json(fh.read())
    raise ValueError(f"unknown protocol {name_or_path!r}; presets: {', '.join(PRESETS)} (or a .json file)")
