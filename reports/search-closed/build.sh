#!/usr/bin/env bash
# A closed table for replay on measured data (issue 16): every cell of an op-subset PNAS space
# with B <= 2 -- 3 seeds per B1 cell, 2 per B2 cell -- under the `fmnist` preset (the signal
# study's choice, docs/protocol-tradeoffs.md: its 5,000-image val set agrees with test at the
# top, and no run collapses, where `digits` collapses 5 % of B2 runs).
#   SPACE=pnas4 (default): 36 B1 + 2,178 B2 cells, 4,464 runs, the issue's table.
#   SPACE=pnas3: 21 B1 + 735 B2 cells, 1,533 runs; its cells are pnas4 cells, and
#     `nasbench table rekey` carries its runs into the pnas4 build (see docs/closed-replay.md).
# Cost on 2 cores varies by machine: about 680 pnas4 models/h on one, 400-470 on another
# (B2 models 9-25 s each alone). Needs apt-get install -y dataset-fashion-mnist.
#
# Resumable: re-run the same command after an interruption; finished runs are kept in the
# shards under $OUT (outside the repository) and skipped. Runs already measured under the same
# protocol are reused, not trained (`nasbench build --reuse`): the shipped 8-op fmnist-pnas
# table's (all B1 cells), the pnas3 closed table's for pnas4, and this build's checkpoint.
# Sharing the cores: `nice` alone does not yield to jobs started in another session (the
# kernel's autogroups share CPU per session); `echo 19 > /proc/<build pid>/autogroup` does.
# Across machines: stop the build (SIGTERM: it compacts), then
# `reports/search-closed/build.sh checkpoint` copies its table into
# reports/search-closed/partial/$SPACE/ (commit it); a later run on a fresh machine reuses it.
set -euo pipefail
cd "$(dirname "$0")/../.."
SPACE=${SPACE:-pnas4}
PROTOCOL=${PROTOCOL:-fmnist}
OUT=${OUT:-/root/nasbench-work/fmnist-$SPACE-closed}
DEST=${DEST:-tables/fmnist-$SPACE-closed}
WORKERS=${WORKERS:-2}
KEEP=reports/search-closed/partial/$SPACE
if [[ "${1:-}" == checkpoint ]]; then
  mkdir -p "$KEEP"
  cp "$OUT"/{runs.parquet,curves.parquet} "$KEEP"/
  python -c "import sys, pandas as pd; print(len(pd.read_parquet(sys.argv[1])), 'runs in', sys.argv[2], '- commit them')" \
    "$KEEP/runs.parquet" "$KEEP"
  exit 0
fi
REUSE=()
[[ -f "$KEEP/runs.parquet" ]] && REUSE+=(--reuse "$KEEP")
[[ "$SPACE" != pnas3 && -f tables/fmnist-pnas3-closed/runs.parquet ]] && REUSE+=(--reuse tables/fmnist-pnas3-closed)
REUSE+=(--reuse nasbench/shipped_tables/fmnist-pnas)
nasbench build --space "$SPACE" --exhaustive --blocks 1-2 --seeds 0,1 --seeds 1=0,1,2 \
  --protocol "$PROTOCOL" --out "$OUT" --workers "$WORKERS" "${REUSE[@]}"
nasbench table validate -t "$OUT" --closed --min-seeds 2 --min-seeds 1=3
mkdir -p "$DEST"
cp "$OUT"/{runs.parquet,curves.parquet} "$DEST/"
nasbench table datasheet -t "$DEST" --command \
  "SPACE=$SPACE reports/search-closed/build.sh  # B1 x seeds 0-2 and B2 x seeds 0,1, protocol $PROTOCOL"
nasbench table validate -t "$DEST" --closed --min-seeds 2 --min-seeds 1=3
