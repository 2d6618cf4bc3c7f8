#!/usr/bin/env bash
# The closed table for replay on measured data (issue 16): every cell of the 4-op PNAS space
# (pnas4, docs/closed-replay.md) with B <= 2 -- 36 B1 cells x 3 seeds, 2,178 B2 cells x 2 seeds,
# 4,464 runs -- under the `fmnist` preset (the signal study's choice, docs/protocol-tradeoffs.md:
# its 5,000-image val set agrees with test at the top, val-test Spearman 0.87 in the top quartile
# against 0.58 for `digits`, and no run collapses, where `digits` collapses 5 % of B2 runs).
# Resumable: re-run the same script after an interruption; finished runs are kept in the shards
# under $OUT (outside the repository) and skipped. About 4 h of wall time on 2 idle cores
# (4.0 CPU-s per B1 and 5.9 per B2 model alone). Needs apt-get install -y dataset-fashion-mnist.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROTOCOL=${PROTOCOL:-fmnist}
OUT=${OUT:-/root/nasbench-work/fmnist-pnas4-closed}
DEST=${DEST:-tables/fmnist-pnas4-closed}
WORKERS=${WORKERS:-2}
nasbench build --space pnas4 --exhaustive --blocks 1-2 --seeds 0,1 --seeds 1=0,1,2 \
  --protocol "$PROTOCOL" --out "$OUT" --workers "$WORKERS"
nasbench table validate -t "$OUT" --closed --min-seeds 2 --min-seeds 1=3
mkdir -p "$DEST"
cp "$OUT"/{runs.parquet,curves.parquet} "$DEST/"
nasbench table datasheet -t "$DEST" --command \
  "OUT=$OUT reports/search-closed/build.sh  # pnas4 B1 x seeds 0-2 and B2 x seeds 0,1, protocol $PROTOCOL"
nasbench table validate -t "$DEST" --closed --min-seeds 2 --min-seeds 1=3
