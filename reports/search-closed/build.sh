#!/usr/bin/env bash
# The closed table for replay on measured data (issue 16): every cell of the 4-op PNAS space
# (pnas4, docs/closed-replay.md) with B <= 2 -- 36 B1 cells x 3 seeds, 2,178 B2 cells x 2 seeds,
# 4,464 runs. Resumable: re-run the same script after an interruption (finished runs are kept in
# shards and skipped). Estimated wall time on 2 idle cores under `digits`: ~3.9 h
# (reports/search-closed/estimate_build.py). PROTOCOL switches to the signal study's preset
# (issue 15) when it lands; a table holds one protocol, so switch before the first run.
set -euo pipefail
PROTOCOL=${PROTOCOL:-digits}
OUT=${OUT:-tables/digits-pnas4-closed}
WORKERS=${WORKERS:-2}
nasbench build --space pnas4 --exhaustive --blocks 1-2 --seeds 0,1 --seeds 1=0,1,2 \
  --protocol "$PROTOCOL" --out "$OUT" --workers "$WORKERS"
nasbench table validate -t "$OUT" --closed --min-seeds 2 --min-seeds 1=3
