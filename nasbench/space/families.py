"""Standard network families as design spaces (Radosavovic et al., ICCV 2019, "NDS", Table 1):
Vanilla, ResNet, ResNeXt-A and ResNeXt-B on CIFAR-sized inputs.

A network is a 3x3 stem (16 channels), three stages (strides 1, 2, 2) and a pooled linear head;
each stage i has its own depth d_i and width w_i (and, for ResNeXt, bottleneck ratio b_i and
groups g_i), drawn independently and uniformly from the value lists below (log-spaced, as in
NDS). Vanilla blocks are conv-BN-ReLU, ResNet blocks are basic residual blocks, ResNeXt blocks
are grouped bottleneck blocks (inner width w_i / b_i). ``num_blocks`` of a family genotype is
its number of stages (3).

Grammar: ``resnet:d=1,2,4;w=16,32,64`` and ``resnext_a:d=..;w=..;b=..;g=..``. Every value
must come from the family's lists. The value lists follow the NDS data release (as read by
third-party tools: the paper's Table 1 gives the ranges and counts, e.g. ResNeXt-A
(5*5*3*3)^3 = 1.1e7, ResNeXt-B (5*5*3*5)^3 = 5.3e7); Vanilla shares ResNet's lists.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from nasbench.space.base import Decisions, Space, hash_string, strip_prefix
from nasbench.space.encoding import TOKENS_PER_BLOCK

STAGES = 3
FAMILY_SLOTS = 16  # token ids per field (value lists are shorter)
STEM_WIDTH = 16
_RESNET = {"d": (1, 2, 3, 4, 6, 8, 12, 16, 24), "w": (16, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256)}
_FIELD_NAMES = {"d": "depths", "w": "widths", "b": "bottleneck ratios", "g": "groups"}


@dataclass(frozen=True)
class NetSpec:
    """A genotype of a family space: per-stage depths, widths, bottleneck ratios and groups."""

    family: str
    depths: tuple[int, ...]
    widths: tuple[int, ...]
    bottlenecks: tuple[int, ...] = (1, 1, 1)
    groups: tuple[int, ...] = (1, 1, 1)

    @property
    def space(self) -> str:
        return self.family

    @property
    def num_blocks(self) -> int:
        return len(self.depths)

    @property
    def block(self) -> str:
        """``plain``, ``basic`` or ``bottleneck``."""
        return FAMILY_BLOCK[self.family]

    def canonical(self) -> "NetSpec":
        return self

    @cached_property
    def canonical_string(self) -> str:
        fields = [("d", self.depths), ("w", self.widths)]
        if self.block == "bottleneck":
            fields += [("b", self.bottlenecks), ("g", self.groups)]
        return f"{self.family}:" + ";".join(f"{k}={','.join(map(str, v))}" for k, v in fields)

    @cached_property
    def arch_hash(self) -> str:
        return hash_string(self.canonical_string)

    def __lt__(self, other: "NetSpec") -> bool:
        return self.canonical_string < other.canonical_string

    def __str__(self) -> str:
        return self.canonical_string


FAMILY_BLOCK = {"vanilla": "plain", "resnet": "basic", "resnext_a": "bottleneck", "resnext_b": "bottleneck"}


class FamilySpace(Space):
    """One standard family: value lists per field, every stage drawn independently."""

    sizes = (STAGES,)
    default_sizes = (STAGES,)
    network = "nasbench.model.families:FamilyNetwork"

    def __init__(self, name: str, values: dict[str, tuple[int, ...]], description: str):
        self.name, self.values, self.description = name, values, description
        self.fields = tuple(values)

    def parse(self, arch) -> NetSpec:
        self.check_own(arch)
        if isinstance(arch, NetSpec):
            return arch
        if not isinstance(arch, str):
            raise ValueError(f"cannot parse a {self.name} genotype from {type(arch).__name__}")
        got: dict[str, tuple[int, ...]] = {}
        for part in strip_prefix(arch, self.name).split(";"):
            key, sep, value = part.strip().partition("=")
            if not sep or key not in self.fields or key in got:
                raise ValueError(f"{self.name}: bad segment {part.strip()!r}; expected "
                                 + ";".join(f"{f}=v1,v2,v3" for f in self.fields))
            try:
                numbers = tuple(int(t) for t in value.split(","))
            except ValueError:
                raise ValueError(f"{self.name}: {key}= needs comma-separated ints, got {value!r}") from None
            if len(numbers) != STAGES:
                raise ValueError(f"{self.name}: {key}= needs {STAGES} values (one per stage), got {len(numbers)}")
            bad = [v for v in numbers if v not in self.values[key]]
            if bad:
                raise ValueError(f"{self.name}: {_FIELD_NAMES[key]} must be in {list(self.values[key])}, got {bad[0]}")
            got[key] = numbers
        missing = [f for f in self.fields if f not in got]
        if missing:
            raise ValueError(f"{self.name}: missing segment {missing[0]}=...")
        return self._spec(got)

    def _spec(self, got: dict[str, tuple[int, ...]]) -> NetSpec:
        return NetSpec(self.name, got["d"], got["w"], got.get("b", (1,) * STAGES), got.get("g", (1,) * STAGES))

    def draw(self, b: int, rng: np.random.Generator) -> NetSpec:
        """Every field of every stage uniform over its value list."""
        return self._spec({f: tuple(int(self.values[f][i]) for i in rng.integers(len(self.values[f]), size=STAGES))
                           for f in self.fields})

    def count(self, b: int) -> int:
        self.check_size(b)
        return math.prod(len(v) for v in self.values.values()) ** STAGES

    def enumerate(self, b: int):
        self.check_size(b)
        per_stage = list(itertools.product(*(self.values[f] for f in self.fields)))
        for stages in itertools.product(per_stage, repeat=STAGES):
            yield self._spec({f: tuple(s[i] for s in stages) for i, f in enumerate(self.fields)})

    def neighbours(self, arch) -> list[NetSpec]:
        """Specs with one field of one stage moved to an adjacent value of its list."""
        spec = self.parse(arch)
        current = {"d": spec.depths, "w": spec.widths, "b": spec.bottlenecks, "g": spec.groups}
        out = set()
        for f in self.fields:
            values = self.values[f]
            for stage in range(STAGES):
                i = values.index(current[f][stage])
                for j in (i - 1, i + 1):
                    if 0 <= j < len(values):
                        changed = {k: current[k] for k in self.fields}
                        changed[f] = current[f][:stage] + (values[j],) + current[f][stage + 1:]
                        out.add(self._spec(changed))
        return sorted(out)

    # ------------------------------------------------------------------ what the layers above read
    def tokens(self, genotype: NetSpec) -> np.ndarray:
        """One 4-token row per stage: the value index of its depth, width, bottleneck, groups."""
        fields = (genotype.depths, genotype.widths, genotype.bottlenecks, genotype.groups)
        rows = [tuple(1 + f * FAMILY_SLOTS + (self.values[n].index(fields[f][s]) if n in self.values else 0)
                      for f, n in enumerate(("d", "w", "b", "g"))) for s in range(genotype.num_blocks)]
        return np.asarray(rows, dtype=np.int64)

    def vocab_size(self) -> int:
        return 1 + TOKENS_PER_BLOCK * FAMILY_SLOTS

    def features(self, genotypes, max_blocks: int) -> np.ndarray:
        """Per stage the four values and their log2, then the total depth."""
        rows = []
        for s in genotypes:
            values = np.array([s.depths, s.widths, s.bottlenecks, s.groups], dtype=np.float32).T.ravel()
            rows.append(np.concatenate([values, np.log2(values), [sum(s.depths)]]))
        return np.asarray(rows, dtype=np.float32)

    def cost_features(self, genotypes) -> np.ndarray:
        """An intercept, the total depth and a per-stage depth x width^2 cost (resolution
        quarters per stage)."""
        return np.array([[1.0, sum(c.depths), sum(d * w * w / 4**s for s, (d, w) in
                                                  enumerate(zip(c.depths, c.widths)))] for c in genotypes])

    def decisions(self, blocks) -> Decisions:
        return Decisions(fields=tuple((f, len(self.values[f])) for f in self.fields), stages=STAGES)

    def from_decisions(self, decoded) -> NetSpec:
        return self._spec({f: tuple(self.values[f][i] for i in idx) for f, idx in zip(self.fields, decoded)})


SPACES = (
    FamilySpace("vanilla", dict(_RESNET), "Vanilla (NDS): 3 stages of conv-BN-ReLU, d and w per stage"),
    FamilySpace("resnet", dict(_RESNET), "ResNet (NDS): 3 stages of basic residual blocks, d and w per stage"),
    FamilySpace("resnext_a", {"d": (1, 2, 4, 8, 16), "w": (16, 32, 64, 128, 256), "b": (1, 2, 4), "g": (1, 2, 4)},
                "ResNeXt-A (NDS): 3 stages of grouped bottleneck blocks, d, w, b, g per stage"),
    FamilySpace("resnext_b", {"d": (1, 2, 4, 8, 16), "w": (64, 128, 256, 512, 1024), "b": (1, 2, 4),
                              "g": (1, 2, 4, 8, 16)},
                "ResNeXt-B (NDS): wider ResNeXt, more groups"),
)
