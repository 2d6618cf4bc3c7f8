"""Load an exported blackbox with syne-tune's loader and answer any configuration by its
canonical cell (imports syne-tune; reached through :func:`nasbench.integrations.synetune.load`).

:class:`CanonicalBlackbox` is a ``BlackboxTabular`` whose lookups go through the encoding:
an operand-swapped or block-reordered configuration gets its canonical cell's row, and a
cell that is not in the table is a one-line ``ValueError`` (on a closed table every
configuration of the ``blocks`` space has a row; the ``cell`` encoding only proposes rows).

``seed_policy``: ``None`` keeps every seed slot (syne-tune draws one per trial); ``'mean'``
(what our replay evaluators use by default) averages each cell's really recorded seeds into
one slot; ``'random'`` (our replay's one-seed-per-answer policy) lays out lcm(k) slots in
which each cell's k recorded seeds appear equally often, so syne-tune's uniform per-trial
draw picks each recorded seed of the cell with probability 1/k (the exported cyclic
filling would favour the first seeds of a cell with fewer seeds); an int keeps that
training seed's slot (filled slots as exported).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from syne_tune.blackbox_repository.blackbox_tabular import BlackboxTabular, deserialize

from nasbench.integrations.synetune.encoding import CellEncoding


class CanonicalBlackbox(BlackboxTabular):
    """A tabular blackbox over a table's cells, looked up by canonical cell."""

    def __init__(self, tabular: BlackboxTabular, metadata: dict, seed_policy=None):
        nb = metadata["nasbench"]
        values = tabular.objectives_evaluations
        seeds = list(nb["seeds"])
        if seed_policy == "mean":
            mask = np.array([[s in rec for s in seeds] for rec in nb["recorded"]], dtype=bool)
            with np.errstate(invalid="ignore"):
                total = np.where(mask[:, :, None, None], values, 0.0).sum(axis=1, keepdims=True)
                values = total / mask.sum(axis=1)[:, None, None, None]
        elif seed_policy == "random":
            index = [[seeds.index(s) for s in rec] for rec in nb["recorded"]]
            if not all(index):
                raise ValueError("seed_policy 'random' needs at least one recorded seed per cell")
            slots = math.lcm(*{len(ix) for ix in index})
            take = np.array([[ix[j % len(ix)] for j in range(slots)] for ix in index])
            values = values[np.arange(len(index))[:, None], take]
        elif seed_policy is not None:
            if isinstance(seed_policy, bool) or int(seed_policy) not in seeds:
                raise ValueError(f"seed_policy must be None, 'mean', 'random' or one of the seeds "
                                 f"{seeds}, got {seed_policy!r}")
            j = seeds.index(int(seed_policy))
            values = values[:, j:j + 1]
        super().__init__(hyperparameters=tabular.hyperparameters,
                         configuration_space=tabular.configuration_space,
                         fidelity_space=tabular.fidelity_space, objectives_evaluations=values,
                         fidelity_values=tabular.fidelity_values,
                         objectives_names=tabular.objectives_names)
        enc = nb["encoding"]
        archs = tuple(nb["archs"]) if enc["kind"] == "cell" else ()
        self.encoding = CellEncoding(enc["kind"], tuple(enc["num_blocks"]), archs, enc.get("space", "pnas"))
        self.metadata = metadata
        self.seed_policy = seed_policy
        self.archs: list[str] = list(nb["archs"])
        self._row = {a: i for i, a in enumerate(self.archs)}

    @property
    def max_epochs(self) -> int:
        return int(max(self.fidelity_values))

    @property
    def evaluated_epochs(self) -> list[int]:
        """The epochs at which the table measured val accuracy (a protocol may evaluate only
        at some, e.g. ``fmnist``: 5 and 10); elsewhere the blackbox holds NaN."""
        val = self.objectives_evaluations[..., self.objectives_names.index("val_acc")]
        finite = np.isfinite(val).any(axis=tuple(range(val.ndim - 1)))
        return [int(e) for e, ok in zip(self.fidelity_values, finite) if ok]

    def row(self, config: dict) -> int:
        """Row index of the canonical cell ``config`` names."""
        cell = self.encoding.to_cell(config)
        try:
            return self._row[cell.canonical_string]
        except KeyError:
            raise ValueError(f"cell {cell} is not in the exported table "
                             f"{self.metadata['nasbench']['table']}") from None

    def _objective_function(self, configuration, fidelity=None, seed=None):
        if isinstance(configuration, dict):
            configuration = self.row(configuration)
        if seed is not None and self.num_seeds == 1:
            seed = 0  # a reduced seed policy has one slot
        values = super()._objective_function(int(configuration), None, seed)
        if fidelity is None:
            return values
        return dict(zip(self.objectives_names,
                        values[self.fidelity_map[list(fidelity.values())[0]]]))


def load(path, seed_policy=None, task: str | None = None) -> CanonicalBlackbox:
    """The blackbox exported to ``path`` (read by syne-tune's ``deserialize``)."""
    path = Path(path)
    if not (path / "metadata.json").is_file():
        raise FileNotFoundError(f"no syne-tune blackbox at {path} (export one with "
                                "`nasbench export syne-tune -t TABLE -o OUT`)")
    metadata = json.loads((path / "metadata.json").read_text())
    if "nasbench" not in metadata:
        raise ValueError(f"{path} is a syne-tune blackbox but not one exported by nasbench")
    tasks = deserialize(path)
    name = task or next(iter(tasks))
    if name not in tasks:
        raise ValueError(f"no task {name!r} in {path}; tasks: {', '.join(tasks)}")
    return CanonicalBlackbox(tasks[name], metadata, seed_policy)
