"""What every column of a table means: the one home of the column dictionary.

Types come from the schema (:mod:`schema`), units and meanings from :data:`COLUMNS`;
:func:`column_rows` joins them, and TABLE.md and docs/contract.md print its Markdown
(:func:`render_columns`), so the documentation cannot drift from the schema (a test checks
that every schema column has exactly one entry here and that both documents carry it).
"""
from __future__ import annotations

from nasbench.tables import schema as S

_FINAL = "at the last trained epoch"
_EPOCH = "at the end of this epoch (NaN where the protocol's val_every / test_final_only skip it)"

#: (file, column) -> (unit, meaning). Accuracies are fractions in [0, 1].
COLUMNS: dict[tuple[str, str], tuple[str, str]] = {
    (S.RUNS_FILE, "arch"): ("-", "canonical string of the genotype (unprefixed for `pnas`, "
                                 "`<space>:<body>` otherwise)"),
    (S.RUNS_FILE, "arch_hash"): ("-", "first 16 hex digits of sha256(arch); the key"),
    (S.RUNS_FILE, "space"): ("-", "design space the genotype belongs to (one per table)"),
    (S.RUNS_FILE, "num_blocks"): ("blocks", "blocks per cell (families: 3 stages)"),
    (S.RUNS_FILE, "dataset"): ("-", "dataset name of the protocol"),
    (S.RUNS_FILE, "protocol_hash"): ("-", "first 16 hex of sha256 of the protocol's sorted-key "
                                          "JSON (one per table)"),
    (S.RUNS_FILE, "seed"): ("-", "training seed (initialisation, batch order, augmentation)"),
    (S.RUNS_FILE, "epochs"): ("epochs", "epochs the protocol trains for"),
    (S.RUNS_FILE, "params"): ("parameters", "trainable parameters of the network (0 for a "
                                            "failed run)"),
    (S.RUNS_FILE, "flops"): ("multiply-adds", "multiply-adds of convolutions and linear "
                                              "layers for one image (the papers' mult-adds)"),
    (S.RUNS_FILE, "train_acc"): ("fraction", f"training accuracy over the epoch's batches "
                                             f"(augmented, train mode), {_FINAL}"),
    (S.RUNS_FILE, "val_acc"): ("fraction", f"validation accuracy (held out of the official "
                                           f"train set), {_FINAL}"),
    (S.RUNS_FILE, "test_acc"): ("fraction", f"accuracy on the official test set, {_FINAL}"),
    (S.RUNS_FILE, "train_loss"): ("nats", f"mean training cross-entropy over the epoch's "
                                          f"batches, {_FINAL}"),
    (S.RUNS_FILE, "val_loss"): ("nats", f"mean validation cross-entropy, {_FINAL}"),
    (S.RUNS_FILE, "test_loss"): ("nats", f"mean test cross-entropy, {_FINAL}"),
    (S.RUNS_FILE, "best_val_acc"): ("fraction", "highest validation accuracy over the epochs"),
    (S.RUNS_FILE, "best_val_epoch"): ("epoch", "first epoch (1-based) reaching best_val_acc "
                                               "(0 for a failed run)"),
    (S.RUNS_FILE, "train_seconds"): ("seconds", "wall time of the training epochs on `device` "
                                                "(evaluation excluded): the replay clock"),
    (S.RUNS_FILE, "eval_seconds"): ("seconds", "wall time of the per-epoch evaluations "
                                               "(BN recalibration, val and test)"),
    (S.RUNS_FILE, "device"): ("-", "device that trained the run (e.g. `cpu`, a GPU name)"),
    (S.RUNS_FILE, "status"): ("-", "`ok`, `collapsed` (finished, but epoch-1 loss exploded or "
                                   "val fell back to chance: rule in tables/signal.py), `diverged` "
                                   "(non-finite loss; curve stops there) or `failed` (NaN metrics, "
                                   "no curve)"),
    (S.RUNS_FILE, "error"): ("-", "the error of a failed or diverged run; null when ok"),
    (S.CURVES_FILE, "arch_hash"): ("-", "the run's arch_hash"),
    (S.CURVES_FILE, "seed"): ("-", "the run's seed"),
    (S.CURVES_FILE, "epoch"): ("epoch", "epoch number, 1-based"),
    (S.CURVES_FILE, "lr"): ("-", "learning rate of the epoch's last step"),
    (S.CURVES_FILE, "train_loss"): ("nats", "mean training cross-entropy over the epoch's "
                                            "batches"),
    (S.CURVES_FILE, "train_acc"): ("fraction", "training accuracy over the epoch's batches"),
    (S.CURVES_FILE, "val_loss"): ("nats", f"mean validation cross-entropy {_EPOCH}"),
    (S.CURVES_FILE, "val_acc"): ("fraction", f"validation accuracy {_EPOCH}"),
    (S.CURVES_FILE, "test_loss"): ("nats", f"mean test cross-entropy {_EPOCH}"),
    (S.CURVES_FILE, "test_acc"): ("fraction", f"test accuracy {_EPOCH}"),
    (S.CURVES_FILE, "epoch_seconds"): ("seconds", "wall time of this epoch's training"),
}

SCHEMAS = ((S.RUNS_FILE, S.RUNS_SCHEMA), (S.CURVES_FILE, S.CURVES_SCHEMA))


def column_rows() -> list[tuple[str, str, str, str, str]]:
    """(file, column, type, unit, meaning) for every schema column, in schema order."""
    rows = []
    for file, schema in SCHEMAS:
        for field in schema:
            unit, meaning = COLUMNS[(file, field.name)]
            kind = f"{field.type}{', nullable' if field.nullable else ''}"
            rows.append((file, field.name, kind, unit, meaning))
    return rows


def render_columns() -> str:
    """The column dictionary as one Markdown table."""
    lines = ["| file | column | type | unit | meaning |", "|---|---|---|---|---|"]
    lines += [f"| {f} | `{c}` | {t} | {u} | {m} |" for f, c, t, u, m in column_rows()]
    return "\n".join(lines)
