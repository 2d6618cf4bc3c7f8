"""What every design space provides, and how an architecture string names its space.

A space is one module holding one :class:`Space` instance, registered by name in
``nasbench.space.SPACES``. Its genotypes are values with ``space``, ``canonical_string``,
``arch_hash``, ``num_blocks`` and ``canonical()``; networks for them are built by
``nasbench.model.create_network`` (data flows space -> model).

Architecture strings are self-describing: every space but ``pnas`` (the original grammar, kept
unprefixed) writes ``<space>:<body>``, so a string can be routed to its space and a genotype
of one space given to another fails with one line naming both.
"""
from __future__ import annotations

import hashlib
import re
from typing import Iterator

import numpy as np

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


class Space:
    """A design space: grammar, canonical form, sampling and (where defined) enumeration.

    ``num_blocks`` is the space's size knob: blocks per cell for cell spaces, stages for the
    network families. Subclasses set ``name``, ``sizes`` (allowed sizes) and
    ``default_sizes`` and implement :meth:`parse` and :meth:`sample`.
    """

    name: str = ""
    description: str = ""
    sizes: tuple[int, ...] = ()
    default_sizes: tuple[int, ...] = ()
    ops: tuple[str, ...] = ()

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
