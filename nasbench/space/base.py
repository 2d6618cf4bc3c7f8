"""What every design space provides, and how an architecture string names its space.

A space is one module holding one :class:`Space` instance, registered by name in
``nasbench.space.SPACES`` (or, outside the package, named in ``NASBENCH_SPACES``). Its
genotypes are values with ``space``, ``canonical_string``, ``arch_hash``, ``num_blocks`` and
``canonical()``. What the layers above need of a genotype kind, the space provides (see
:class:`Space`): the network builder's name (``nasbench.model.build_network`` imports it: data
flows space -> model), token rows and features for the predictors, cost features for the
surrogate's train-time model, and the RL controller's decision layout.

Architecture strings are self-describing: every space but ``pnas`` (the original grammar, kept
unprefixed) writes ``<space>:<body>``, so a string can be routed to its space and a genotype
of one space given to another fails with one line naming both.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from nasbench.space.ops import NUM_OPS

_PREFIX_RE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*:")


def space_of(arch) -> str | None:
    """The space an architecture names: its genotype's ``space``, its ``<space>:`` prefix, or
    ``None`` for an unprefixed string (the PNAS grammar)."""
    if isinstance(arch, str):
        match = _PREFIX_RE.match(arch)
        return match.group(1) if match else None
    return getattr(arch, "space", None)


def strip_prefix(arch: str, name: str) -> str:
    """``arch`` without its ``name:`` prefix (already checked by :func:`space_of`)."""
    text = arch.strip()
    return text[len(name) + 1:] if text.startswith(name + ":") else text


def hash_string(text: str) -> str:
    """First 16 hex chars of sha256: the arch_hash of a canonical string."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_genotype(value) -> bool:
    """Whether ``value`` is one genotype (of any space), not a sequence of them."""
    return hasattr(value, "canonical_string") and hasattr(value, "space")


@dataclass(frozen=True)
class Decisions:
    """The RL controller's decision layout for a space (``nasbench.search.rl``).

    Cell layout: per block ``in1, in2, op1, op2`` over ``num_ops`` ops, for ``cells`` cells
    (``distinct``: a block's two inputs differ). Field layout (``fields`` non-empty): per stage
    one choice per ``(name, size)`` field, for ``stages`` stages; :meth:`Space.from_decisions`
    then gets, per field, the chosen value index of each stage.
    """

    num_ops: int = NUM_OPS
    cells: int = 1
    distinct: bool = False
    fields: tuple[tuple[str, int], ...] = ()
    stages: int = 0


class Space:
    """A design space: grammar, canonical form, sampling and (where defined) enumeration.

    ``num_blocks`` is the space's size knob: blocks per cell for cell spaces, stages for the
    network families. Subclasses set ``name``, ``sizes`` (allowed sizes) and
    ``default_sizes`` and implement :meth:`parse` and :meth:`sample`.

    A genotype kind serves the layers above through its space: ``network`` names the callable
    ``(genotype, MacroConfig) -> nn.Module`` as ``"module:attribute"`` (imported by
    ``nasbench.model``, so this package imports neither model nor torch), :meth:`tokens` /
    :meth:`vocab_size` feed the sequence predictors, :meth:`features` XGBoost,
    :meth:`cost_features` the surrogate's train-time model, :meth:`decisions` /
    :meth:`from_decisions` the RL controller. No code outside ``space/`` asks a genotype's type.
    """

    name: str = ""
    description: str = ""
    sizes: tuple[int, ...] = ()
    default_sizes: tuple[int, ...] = ()
    ops: tuple[str, ...] = ()
    network: str = ""

    def parse(self, arch):
        """A genotype of this space from a string (or a genotype of this space)."""
        raise NotImplementedError(f"space {self.name!r} does not implement parse")

    def sample(self, b: int, n: int, seed: int | np.random.Generator = 0) -> list:
        """``n`` independent random genotypes of size ``b`` (each from :meth:`draw`)."""
        self.check_size(b)
        if n < 0:
            raise ValueError(f"sample size must be >= 0, got {n}")
        rng = np.random.default_rng(seed)
        return [self.draw(b, rng) for _ in range(n)]

    def draw(self, b: int, rng: np.random.Generator):
        """One random genotype of size ``b`` from ``rng``."""
        raise NotImplementedError(f"space {self.name!r} does not implement sampling")

    def count(self, b: int) -> int:
        """Exact number of distinct genotypes of size ``b``."""
        raise NotImplementedError(f"space {self.name!r} cannot count its genotypes")

    def enumerate(self, b: int) -> Iterator:
        """Stream every distinct genotype of size ``b`` once."""
        raise NotImplementedError(f"space {self.name!r} cannot enumerate its genotypes")

    def expand(self, arch) -> list:
        """Every distinct genotype with one more block whose prefix is ``arch``."""
        raise NotImplementedError(f"space {self.name!r} has no progressive (b -> b+1) structure")

    def neighbours(self, arch) -> list:
        """Every distinct genotype one mutation away from ``arch``."""
        raise NotImplementedError(f"space {self.name!r} defines no mutations")

    def mutate(self, arch, rng: np.random.Generator):
        """One uniformly chosen neighbour of ``arch``."""
        options = self.neighbours(arch)
        if not options:
            raise ValueError(f"no mutation changes {self.parse(arch).canonical_string}")
        return options[rng.integers(len(options))]

    def tokens(self, genotype) -> np.ndarray:
        """``[rows, 4]`` int64 token ids in ``1..vocab_size() - 1`` (0 pads), e.g. one row per block."""
        raise NotImplementedError(f"space {self.name!r} defines no token encoding")

    def vocab_size(self) -> int:
        """Number of token ids :meth:`tokens` may use, padding included."""
        raise NotImplementedError(f"space {self.name!r} defines no token encoding")

    def features(self, genotypes: Sequence, max_blocks: int) -> np.ndarray:
        """Fixed-length float32 features ``[n, d]`` (``max_blocks``: the widest cell encoded)."""
        raise NotImplementedError(f"space {self.name!r} defines no feature encoding")

    def cost_features(self, genotypes: Sequence) -> np.ndarray:
        """Non-negative ``[n, d]`` features, column 0 the intercept, to which train time is
        fitted linearly with non-negative weights."""
        raise NotImplementedError(f"space {self.name!r} defines no cost features")

    def decisions(self, blocks: tuple[int, ...]) -> Decisions:
        """The RL controller's layout for genotypes of the sizes ``blocks``."""
        raise NotImplementedError(f"space {self.name!r} defines no controller decisions")

    def from_decisions(self, decoded):
        """The genotype a decoded controller sample names (see :class:`Decisions`)."""
        raise NotImplementedError(f"space {self.name!r} defines no controller decisions")

    def check_size(self, b: int) -> None:
        if isinstance(b, bool) or not isinstance(b, (int, np.integer)) or int(b) not in self.sizes:
            raise ValueError(f"space {self.name!r}: size (blocks) must be one of "
                             f"{_ranges(self.sizes)}, got {b!r}")

    def check_own(self, arch) -> None:
        """Raise one line if ``arch`` names another space."""
        other = space_of(arch) or "pnas"
        if other != self.name:
            raise ValueError(f"{_show(arch)} is a genotype of space {other!r}, not of space {self.name!r}")

    def __repr__(self) -> str:
        return f"<space {self.name}>"


def _show(arch) -> str:
    text = arch if isinstance(arch, str) else getattr(arch, "canonical_string", repr(arch))
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _ranges(values) -> str:
    values = sorted(values)
    if values and values == list(range(values[0], values[-1] + 1)) and len(values) > 2:
        return f"{values[0]}..{values[-1]}"
    return ", ".join(map(str, values))
